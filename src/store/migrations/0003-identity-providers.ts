import type { Kysely } from 'kysely';

// External identity providers of an organization, and the last good JWKS of each
// (so a restart does not depend on every IdP answering at that moment).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('identity_providers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('well_known_url', 'text')
    // Exactly one of issuer / issuer_template is set.
    .addColumn('issuer', 'text')
    .addColumn('issuer_template', 'text')
    .addColumn('allowed_tenant_ids', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('token_endpoint', 'text')
    .addColumn('jwks_uri', 'text', (c) => c.notNull())
    .addColumn('audiences', 'text', (c) => c.notNull())
    .addColumn('client_id_claim', 'text', (c) => c.notNull())
    .addColumn('subject_claim', 'text', (c) => c.notNull().defaultTo('sub'))
    .addColumn('token_typing', 'text', (c) => c.notNull().defaultTo('none'))
    .addColumn('clock_skew', 'integer', (c) => c.notNull().defaultTo(60))
    .addColumn('max_token_age', 'integer', (c) => c.notNull().defaultTo(86400))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('identity_providers_org_name', ['org_id', 'name'])
    .execute();
  await db.schema.createIndex('identity_providers_org_issuer').on('identity_providers').columns(['org_id', 'issuer']).execute();

  await db.schema
    .createTable('idp_key_cache')
    .addColumn('idp_id', 'text', (c) => c.primaryKey().references('identity_providers.id').onDelete('cascade'))
    .addColumn('jwks', 'text', (c) => c.notNull())
    .addColumn('fetched_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idp_key_cache').ifExists().execute();
  await db.schema.dropTable('identity_providers').ifExists().execute();
}
