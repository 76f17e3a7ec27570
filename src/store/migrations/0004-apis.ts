import type { Kysely } from 'kysely';

// APIs of api-proxy components, their immutable revisions, deployments per
// environment and subscriptions (application ↔ API). JSON columns are text.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('apis')
    .addColumn('component_id', 'text', (c) => c.primaryKey().references('components.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('context_path', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull())
    .addColumn('lifecycle', 'text', (c) => c.notNull())
    .addColumn('resources', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('policies', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('cors', 'text')
    .addColumn('backend_urls', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('apis_org_context_version', ['org_id', 'context_path', 'version'])
    .execute();

  await db.schema
    .createTable('api_revisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('api_id', 'text', (c) => c.notNull().references('apis.component_id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('api_revisions_api_number', ['api_id', 'number'])
    .execute();

  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('api_id', 'text', (c) => c.notNull().references('apis.component_id').onDelete('cascade'))
    .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('revision_id', 'text', (c) => c.notNull().references('api_revisions.id').onDelete('cascade'))
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('backend_url', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('deployed_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addUniqueConstraint('deployments_api_env_sequence', ['api_id', 'environment_id', 'sequence'])
    .execute();
  await db.schema.createIndex('deployments_env_status').on('deployments').columns(['environment', 'status']).execute();

  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
    .addColumn('api_id', 'text', (c) => c.notNull().references('apis.component_id').onDelete('cascade'))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('subscriptions_app_api', ['application_id', 'api_id'])
    .execute();
  await db.schema.createIndex('subscriptions_org').on('subscriptions').columns(['org_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['subscriptions', 'deployments', 'api_revisions', 'apis']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
