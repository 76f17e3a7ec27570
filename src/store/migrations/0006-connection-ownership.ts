import type { Kysely } from 'kysely';

// Connections own what they make:
// - `connections.created_subscription` (0/1): whether the connection created
//   the subscription it relies on. Deleting the last connection of an
//   (application, API) removes the subscription only when a connection made
//   it; a subscription that existed before (the portal's, the API's) stays.
// - `project_applications`: the shared application of a project's
//   project-level connections, so it survives its connections (the same
//   application and keys come back with the next one).
//
// Rows made before this migration are filled in as well as can be known: the
// earliest connection of an (application, API) counts as the creator of the
// subscription when that subscription was made by the same user at most five
// seconds before it (a connection makes its subscription in the same
// transaction); a project's shared application is the one of its earliest
// project-level connection, else its newest application named
// "<project> (project connections)" that belongs to no component.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('connections')
    .addColumn('created_subscription', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('project_applications')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('application_id', 'text', (c) => c.notNull().unique().references('applications.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  const connections = await db
    .selectFrom('connections')
    .select(['id', 'org_id', 'project_id', 'component_id', 'application_id', 'api_id', 'created_by', 'created_at'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();

  const seen = new Set<string>();
  for (const c of connections) {
    const key = `${c.application_id}\u0000${c.api_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const s = await db
      .selectFrom('subscriptions')
      .select(['created_by', 'created_at'])
      .where('org_id', '=', c.org_id)
      .where('application_id', '=', c.application_id)
      .where('api_id', '=', c.api_id)
      .executeTakeFirst();
    if (!s || s.created_by !== c.created_by) continue;
    const gap = Date.parse(c.created_at as string) - Date.parse(s.created_at as string);
    if (gap >= 0 && gap <= 5000) await db.updateTable('connections').set({ created_subscription: 1 }).where('id', '=', c.id).execute();
  }

  const shared = new Map<string, { orgId: string; applicationId: string }>();
  for (const c of connections) {
    if (c.component_id === null && !shared.has(c.project_id)) shared.set(c.project_id, { orgId: c.org_id, applicationId: c.application_id });
  }
  const projects = await db.selectFrom('projects').select(['id', 'org_id', 'name', 'created_at']).execute();
  for (const p of projects) {
    if (shared.has(p.id)) continue;
    const app = await db
      .selectFrom('applications')
      .select('id')
      .where('org_id', '=', p.org_id)
      .where('component_id', 'is', null)
      .where('name', '=', `${p.name} (project connections)`)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (app) shared.set(p.id, { orgId: p.org_id, applicationId: app.id });
  }
  const used = new Set<string>();
  const now = new Date().toISOString();
  for (const [projectId, { orgId, applicationId }] of shared) {
    if (used.has(applicationId)) continue;
    used.add(applicationId);
    await db.insertInto('project_applications').values({ project_id: projectId, org_id: orgId, application_id: applicationId, created_at: now }).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('project_applications').ifExists().execute();
  await db.schema.alterTable('connections').dropColumn('created_subscription').execute();
}
