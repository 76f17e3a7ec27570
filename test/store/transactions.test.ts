import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { isUniqueViolation, type Store } from '../../src/store/index.js';
import { storeBackends, type TestStore } from '../helpers/stores.js';

/** Writes an organization with its environments, a project, a component and an audit row: the shape of a real multi-row change. */
async function createOrgGraph(tx: Store, handle: string): Promise<string> {
  const org = await tx.orgs.create({ name: `Org ${handle}`, handle });
  await tx.orgs.addEnvironment({ orgId: org.id, name: 'development', displayName: 'Development', gatewayUrl: 'http://localhost:8080' });
  await tx.orgs.addEnvironment({ orgId: org.id, name: 'production', displayName: 'Production', gatewayUrl: 'http://localhost:8081' });
  const project = await tx.projects.create({ orgId: org.id, name: 'default', displayName: 'Default', isDefault: true });
  await tx.projects.createComponent({ orgId: org.id, projectId: project.id, type: 'external-consumer', name: 'app', displayName: 'App' });
  await tx.audit.record({ orgId: org.id, actorId: null, actor: 'system', action: 'org.created', targetType: 'organization', targetId: org.id });
  return org.id;
}

async function rowCounts(store: Store, orgId: string) {
  const count = async (table: 'environments' | 'projects' | 'components' | 'audit_events') => (await store.kysely.selectFrom(table).select('id').where('org_id', '=', orgId).execute()).length;
  return {
    org: (await store.orgs.byId(orgId)) ? 1 : 0,
    environments: await count('environments'),
    projects: await count('projects'),
    components: await count('components'),
    audit: await count('audit_events'),
  };
}

describe.each(storeBackends())('transactions on $name', (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await backend.open({ clock: new ManualClock() });
  });
  afterAll(() => t?.close());

  it('commits every row of a multi-row change and returns the result', async () => {
    const orgId = await t.store.transaction((tx) => createOrgGraph(tx, 'committed'));
    expect(await rowCounts(t.store, orgId)).toEqual({ org: 1, environments: 2, projects: 1, components: 1, audit: 1 });
  });

  it('rolls back every row when the work throws after writing', async () => {
    let orgId = '';
    const failure = new Error('boom after writing');
    await expect(
      t.store.transaction(async (tx) => {
        orgId = await createOrgGraph(tx, 'rolled-back');
        expect(await rowCounts(tx, orgId)).toEqual({ org: 1, environments: 2, projects: 1, components: 1, audit: 1 });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(orgId).not.toBe('');
    expect(await rowCounts(t.store, orgId)).toEqual({ org: 0, environments: 0, projects: 0, components: 0, audit: 0 });
    expect(await t.store.orgs.handleTaken('rolled-back')).toBe(false);
  });

  it('rolls back the earlier writes when a later statement hits a unique violation, and reports it as one', async () => {
    await t.store.orgs.create({ name: 'Taken', handle: 'taken' });
    let orgId = '';
    const error = await t.store
      .transaction(async (tx) => {
        orgId = await createOrgGraph(tx, 'half-way');
        await tx.orgs.create({ name: 'Taken', handle: 'taken-too' });
      })
      .catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
    expect(await rowCounts(t.store, orgId)).toEqual({ org: 0, environments: 0, projects: 0, components: 0, audit: 0 });
  });

  it('runs a nested transaction inside the outer one, so an outer failure undoes it too', async () => {
    let orgId = '';
    await expect(
      t.store.transaction(async (tx) => {
        orgId = await tx.transaction((inner) => createOrgGraph(inner, 'nested'));
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await rowCounts(t.store, orgId)).toEqual({ org: 0, environments: 0, projects: 0, components: 0, audit: 0 });
  });

  it('runs afterCommit callbacks once the transaction committed (once each, nested included), never after a rollback', async () => {
    const seen: string[] = [];
    const a = () => seen.push('a');
    const b = () => seen.push('b');
    await t.store.transaction(async (tx) => {
      tx.afterCommit(a);
      tx.afterCommit(a);
      await tx.transaction(async (inner) => {
        inner.afterCommit(b);
      });
      await tx.orgs.create({ name: 'Hooked', handle: 'hooked' });
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['a', 'b']);
    await expect(
      t.store.transaction(async (tx) => {
        tx.afterCommit(() => seen.push('rolled back'));
        throw new Error('no commit');
      }),
    ).rejects.toThrow('no commit');
    expect(seen).toEqual(['a', 'b']);
    t.store.afterCommit(() => seen.push('outside'));
    expect(seen).toEqual(['a', 'b', 'outside']);
  });

  it('keeps working after a rollback, and isolates concurrent transactions from each other', async () => {
    const results = await Promise.allSettled([
      t.store.transaction((tx) => createOrgGraph(tx, 'parallel-ok-1')),
      t.store.transaction(async (tx) => {
        await createOrgGraph(tx, 'parallel-fails');
        throw new Error('only this one fails');
      }),
      t.store.transaction((tx) => createOrgGraph(tx, 'parallel-ok-2')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    for (const r of results) {
      if (r.status === 'fulfilled') expect(await rowCounts(t.store, r.value)).toEqual({ org: 1, environments: 2, projects: 1, components: 1, audit: 1 });
    }
    expect(await t.store.orgs.handleTaken('parallel-fails')).toBe(false);
  });
});
