import type { Kysely } from 'kysely';

// Developer portal and connections: who may see a private API in the portal
// (an allow-list besides the organization's admins), and connections from a
// consumer (an external-consumer component, or a whole project) to an API.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('portal_api_access')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('api_id', 'text', (c) => c.notNull().references('apis.component_id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('portal_api_access_pk', ['api_id', 'user_id'])
    .execute();
  await db.schema.createIndex('portal_api_access_user').on('portal_api_access').columns(['org_id', 'user_id']).execute();

  await db.schema
    .createTable('connections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    // null: a project-level connection, shared by the project's components.
    .addColumn('component_id', 'text', (c) => c.references('components.id').onDelete('cascade'))
    .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
    .addColumn('api_id', 'text', (c) => c.notNull().references('apis.component_id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('connections_project_name', ['project_id', 'name'])
    .execute();
  await db.schema.createIndex('connections_application_api').on('connections').columns(['application_id', 'api_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['connections', 'portal_api_access']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
