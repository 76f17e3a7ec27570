import { Migrator, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { openStore } from '../../src/store/index.js';
import { FolderProvider, migrate } from '../../src/store/migrator.js';
import { storeBackends } from '../helpers/stores.js';

/**
 * Migration 0006-connection-ownership on a database that has connections
 * already (made under 0005): which connection made its subscription, and
 * which application is a project's shared one, filled in from what is there.
 * Then the repositories read and write the new state. On every backend.
 */

const T0 = '2024-05-01T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

async function seed(db: Kysely<any>): Promise<void> {
  await db.insertInto('users').values({ id: 'u1', email: 'u1@example.com', name: 'U1', password_hash: 'x', created_at: T0 }).execute();
  await db.insertInto('organizations').values({ id: 'o1', name: 'Org', handle: 'org', created_at: T0 }).execute();
  for (const [id, name] of [
    ['p1', 'alpha'],
    ['p2', 'beta'],
    ['p3', 'gamma'],
  ] as const) {
    await db.insertInto('projects').values({ id, org_id: 'o1', name, display_name: name, description: '', is_default: 0, created_at: T0, updated_at: T0 }).execute();
  }
  const component = (id: string, project: string, type: string) => ({ id, org_id: 'o1', project_id: project, type, name: id, display_name: id, description: '', created_at: T0, updated_at: T0 });
  await db
    .insertInto('components')
    .values([component('api1', 'p1', 'api-proxy'), component('api2', 'p1', 'api-proxy'), component('mobile', 'p1', 'external-consumer')])
    .execute();
  for (const id of ['api1', 'api2']) {
    await db
      .insertInto('apis')
      .values({ component_id: id, org_id: 'o1', context_path: `/${id}`, version: 'v1', visibility: 'public', lifecycle: 'published', created_at: T0, updated_at: T0 })
      .execute();
  }
  const app = (id: string, name: string, componentId: string | null, created: string) => ({
    id,
    org_id: 'o1',
    component_id: componentId,
    name,
    description: '',
    owner_user_id: 'u1',
    created_at: created,
    updated_at: created,
  });
  await db
    .insertInto('applications')
    .values([
      app('a-mobile', 'mobile', 'mobile', T0),
      app('a-shared', 'alpha (project connections)', null, T0),
      // beta lost its last project-level connection: two apps of that name (the old bug); the newest is kept.
      app('a-beta-old', 'beta (project connections)', null, at(1)),
      app('a-beta-new', 'beta (project connections)', null, at(2)),
    ])
    .execute();
  const sub = (id: string, appId: string, api: string, by: string, created: string) => ({ id, org_id: 'o1', application_id: appId, api_id: api, created_by: by, created_at: created });
  await db
    .insertInto('subscriptions')
    .values([
      sub('s-made', 'a-mobile', 'api1', 'u1@example.com', at(10)), // made by connection c-made, 5 ms before it
      sub('s-portal', 'a-mobile', 'api2', 'u1@example.com', at(-3600)), // the portal's, an hour before c-reuse
      sub('s-shared', 'a-shared', 'api1', 'u1@example.com', at(20)),
    ])
    .execute();
  const conn = (id: string, project: string, componentId: string | null, appId: string, api: string, created: string) => ({
    id,
    org_id: 'o1',
    project_id: project,
    component_id: componentId,
    application_id: appId,
    api_id: api,
    name: id,
    description: '',
    created_by: 'u1@example.com',
    created_at: created,
  });
  await db
    .insertInto('connections')
    .values([
      conn('c-made', 'p1', 'mobile', 'a-mobile', 'api1', new Date(Date.parse(at(10)) + 5).toISOString()),
      conn('c-second', 'p1', 'mobile', 'a-mobile', 'api1', at(30)),
      conn('c-reuse', 'p1', 'mobile', 'a-mobile', 'api2', at(0)),
      conn('c-shared', 'p1', null, 'a-shared', 'api1', at(20)),
    ])
    .execute();
}

describe.each(storeBackends())('migration 0006 on $name', (backend) => {
  it("fills in which connection made its subscription and each project's shared application", async () => {
    const database = await backend.createDatabase();
    const db = openDatabase(database.url);
    try {
      const migrator = new Migrator({ db: db.kysely, provider: new FolderProvider() });
      const partial = await migrator.migrateTo('0005-connections');
      expect(partial.error).toBeUndefined();
      await seed(db.kysely);
      expect(await migrate(db)).toContain('0006-connection-ownership');

      const flags = await db.kysely.selectFrom('connections').select(['id', 'created_subscription']).orderBy('id').execute();
      expect(flags.map((r) => [r.id, Number(r.created_subscription)])).toEqual([
        ['c-made', 1],
        ['c-reuse', 0],
        ['c-second', 0],
        ['c-shared', 1],
      ]);
      const shared = await db.kysely.selectFrom('project_applications').select(['project_id', 'application_id']).orderBy('project_id').execute();
      expect(shared).toEqual([
        { project_id: 'p1', application_id: 'a-shared' },
        { project_id: 'p2', application_id: 'a-beta-new' },
      ]);
    } finally {
      await db.close();
    }

    const opened = await openStore(database.url);
    try {
      const { store } = opened;
      expect((await store.connections.byName('o1', 'p1', 'c-made'))?.createdSubscription).toBe(true);
      expect((await store.connections.byName('o1', 'p1', 'c-reuse'))?.createdSubscription).toBe(false);
      await store.connections.takeOverSubscription('o1', 'c-second');
      expect((await store.connections.byName('o1', 'p1', 'c-second'))?.createdSubscription).toBe(true);
      expect(await store.connections.projectApplicationId('o1', 'p1')).toBe('a-shared');
      expect(await store.connections.projectApplicationId('o1', 'p3')).toBeUndefined();
      expect(await store.connections.projectApplicationId('other-org', 'p1')).toBeUndefined();
      await store.connections.setProjectApplication('o1', 'p3', 'a-beta-old');
      expect(await store.connections.projectApplicationId('o1', 'p3')).toBe('a-beta-old');
      await expect(store.connections.setProjectApplication('o1', 'p3', 'a-mobile')).rejects.toThrow();
      // The record goes with its application.
      await store.applications.delete('o1', 'a-beta-old');
      expect(await store.connections.projectApplicationId('o1', 'p3')).toBeUndefined();
      const made = await store.connections.create({
        orgId: 'o1',
        projectId: 'p1',
        componentId: null,
        applicationId: 'a-shared',
        apiId: 'api2',
        name: 'new',
        description: '',
        createdSubscription: true,
        createdBy: 'u1@example.com',
      });
      expect(made.createdSubscription).toBe(true);
      expect((await store.connections.byName('o1', 'p1', 'new'))?.createdSubscription).toBe(true);
    } finally {
      await opened.close();
      await database.drop();
    }
  });
});
