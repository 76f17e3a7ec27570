import type { Kysely } from 'kysely';

// The OpenAPI document an API was imported from, kept as given (JSON or YAML
// text, at most 1 MiB) so the API can serve it. One per API; an API defined by
// hand has none (it gets a generated document instead).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_documents')
    .addColumn('api_id', 'text', (c) => c.primaryKey().references('apis.component_id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('source_url', 'text')
    .addColumn('imported_by', 'text', (c) => c.notNull())
    .addColumn('imported_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_documents').ifExists().execute();
}
