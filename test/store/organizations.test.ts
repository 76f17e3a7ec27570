import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { isUniqueViolation, type Store } from '../../src/store/index.js';
import type { Environment } from '../../src/store/repos/organizations.js';
import { storeBackends, type TestStore } from '../helpers/stores.js';

let seq = 0;
const unique = (prefix: string): string => `${prefix}-${++seq}`;

async function newUser(store: Store, name = unique('user')) {
  return store.users.create({ email: `${name}@example.com`, name, passwordHash: 'x' });
}

describe.each(storeBackends())('organizations, memberships and environments on $name', (backend) => {
  const clock = new ManualClock(Date.UTC(2026, 3, 1));
  let t: TestStore;
  beforeAll(async () => {
    t = await backend.open({ clock });
  });
  afterAll(() => t?.close());

  describe('organizations', () => {
    it('creates an organization and finds it by id and handle', async () => {
      const org = await t.store.orgs.create({ name: 'Stark Industries', handle: 'stark-industries' });
      expect(org).toEqual({ id: expect.any(String), name: 'Stark Industries', handle: 'stark-industries', createdAt: '2026-04-01T00:00:00.000Z' });
      expect(await t.store.orgs.byId(org.id)).toEqual(org);
      expect(await t.store.orgs.byHandle('stark-industries')).toEqual(org);
      expect(await t.store.orgs.byHandle('wayne-enterprises')).toBeUndefined();
      expect(await t.store.orgs.handleTaken('stark-industries')).toBe(true);
      expect(await t.store.orgs.nameTaken('Stark Industries')).toBe(true);
      expect(await t.store.orgs.nameTaken('Wayne Enterprises')).toBe(false);
      expect((await t.store.orgs.all()).map((o) => o.handle)).toContain('stark-industries');
    });

    it('rejects a duplicate name and a duplicate handle as unique violations', async () => {
      await t.store.orgs.create({ name: 'Acme', handle: 'acme' });
      const sameHandle = await t.store.orgs.create({ name: 'Acme Two', handle: 'acme' }).catch((e: unknown) => e);
      const sameName = await t.store.orgs.create({ name: 'Acme', handle: 'acme-two' }).catch((e: unknown) => e);
      expect(isUniqueViolation(sameHandle)).toBe(true);
      expect(isUniqueViolation(sameName)).toBe(true);
      expect(await t.store.orgs.handleTaken('acme-two')).toBe(false);
    });
  });

  describe('memberships', () => {
    it('adds members with roles, lists them by email, changes roles and removes them', async () => {
      const org = await t.store.orgs.create({ name: unique('Members Org'), handle: unique('members') });
      const alice = await newUser(t.store, 'm-alice');
      const bob = await newUser(t.store, 'm-bob');
      await t.store.orgs.addMember(org.id, bob.id, 'developer');
      await t.store.orgs.addMember(org.id, alice.id, 'admin');

      expect(await t.store.orgs.members(org.id)).toEqual([
        { userId: alice.id, email: 'm-alice@example.com', name: 'm-alice', role: 'admin', since: '2026-04-01T00:00:00.000Z' },
        { userId: bob.id, email: 'm-bob@example.com', name: 'm-bob', role: 'developer', since: '2026-04-01T00:00:00.000Z' },
      ]);
      expect(await t.store.orgs.membership(org.id, alice.id)).toBe('admin');
      expect(await t.store.orgs.membership(org.id, bob.id)).toBe('developer');
      expect(await t.store.orgs.adminCount(org.id)).toBe(1);

      expect(await t.store.orgs.setRole(org.id, bob.id, 'admin')).toBe(true);
      expect(await t.store.orgs.adminCount(org.id)).toBe(2);
      expect(await t.store.orgs.removeMember(org.id, alice.id)).toBe(true);
      expect(await t.store.orgs.removeMember(org.id, alice.id)).toBe(false);
      expect(await t.store.orgs.membership(org.id, alice.id)).toBeUndefined();
      expect(await t.store.orgs.adminCount(org.id)).toBe(1);
      expect(await t.store.orgs.setRole(org.id, alice.id, 'admin')).toBe(false);
    });

    it('rejects a second membership of the same user as a unique violation', async () => {
      const org = await t.store.orgs.create({ name: unique('Dup Org'), handle: unique('dup') });
      const user = await newUser(t.store);
      await t.store.orgs.addMember(org.id, user.id, 'developer');
      const error = await t.store.orgs.addMember(org.id, user.id, 'admin').catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
      expect(await t.store.orgs.membership(org.id, user.id)).toBe('developer');
    });

    it("lists a user's organizations with their role there, and nobody else's", async () => {
      const user = await newUser(t.store);
      const a = await t.store.orgs.create({ name: unique('a-org'), handle: unique('a-org') });
      const b = await t.store.orgs.create({ name: unique('b-org'), handle: unique('b-org') });
      await t.store.orgs.create({ name: unique('c-org'), handle: unique('c-org') });
      await t.store.orgs.addMember(b.id, user.id, 'developer');
      await t.store.orgs.addMember(a.id, user.id, 'admin');
      expect(await t.store.orgs.listForUser(user.id)).toEqual([
        { ...a, role: 'admin' },
        { ...b, role: 'developer' },
      ]);
      expect(await t.store.orgs.listForUser((await newUser(t.store)).id)).toEqual([]);
    });

    it('counts admins as a number, zero for an organization without members', async () => {
      const org = await t.store.orgs.create({ name: unique('Empty'), handle: unique('empty') });
      expect(await t.store.orgs.adminCount(org.id)).toBe(0);
    });
  });

  describe('environments', () => {
    it('appends environments to the promotion chain and lists them in order', async () => {
      const org = await t.store.orgs.create({ name: unique('Env Org'), handle: unique('env') });
      const dev = await t.store.orgs.addEnvironment({ orgId: org.id, name: 'development', displayName: 'Development', gatewayUrl: 'http://localhost:8080' });
      const prod = await t.store.orgs.addEnvironment({ orgId: org.id, name: 'production', displayName: 'Production', gatewayUrl: 'http://localhost:8081' });
      const staging = await t.store.orgs.addEnvironment({ orgId: org.id, name: 'staging', displayName: 'Staging', gatewayUrl: 'http://localhost:8082' });
      expect([dev.position, prod.position, staging.position]).toEqual([0, 1, 2]);
      expect(dev).toEqual({
        id: expect.any(String),
        orgId: org.id,
        name: 'development',
        displayName: 'Development',
        position: 0,
        gatewayUrl: 'http://localhost:8080',
        createdAt: '2026-04-01T00:00:00.000Z',
      });
      expect(await t.store.orgs.environments(org.id)).toEqual([dev, prod, staging]);
      expect(await t.store.orgs.environment(org.id, 'production')).toEqual(prod);
      expect(await t.store.orgs.environment(org.id, 'qa')).toBeUndefined();
    });

    it('reorders the chain in a transaction and updates an environment', async () => {
      const org = await t.store.orgs.create({ name: unique('Reorder Org'), handle: unique('reorder') });
      const envs: Environment[] = [];
      for (const name of ['development', 'staging', 'production']) {
        envs.push(await t.store.orgs.addEnvironment({ orgId: org.id, name, displayName: name, gatewayUrl: `http://${name}.example.com` }));
      }
      await t.store.transaction((tx) => tx.orgs.reorderEnvironments(org.id, [envs[0]!.id, envs[2]!.id, envs[1]!.id]));
      expect((await t.store.orgs.environments(org.id)).map((e) => [e.name, e.position])).toEqual([
        ['development', 0],
        ['production', 1],
        ['staging', 2],
      ]);

      await t.store.orgs.updateEnvironment(envs[1]!.id, { displayName: 'Staging', gatewayUrl: 'https://staging.example.com' });
      expect(await t.store.orgs.environment(org.id, 'staging')).toMatchObject({ displayName: 'Staging', gatewayUrl: 'https://staging.example.com', position: 2 });
    });

    it('allows the same environment name in two organizations but not twice in one', async () => {
      const a = await t.store.orgs.create({ name: unique('EA'), handle: unique('ea') });
      const b = await t.store.orgs.create({ name: unique('EB'), handle: unique('eb') });
      await t.store.orgs.addEnvironment({ orgId: a.id, name: 'development', displayName: 'Dev', gatewayUrl: 'http://a' });
      await t.store.orgs.addEnvironment({ orgId: b.id, name: 'development', displayName: 'Dev', gatewayUrl: 'http://b' });
      const error = await t.store.orgs.addEnvironment({ orgId: a.id, name: 'development', displayName: 'Again', gatewayUrl: 'http://a2' }).catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
      expect((await t.store.orgs.environments(a.id)).map((e) => e.gatewayUrl)).toEqual(['http://a']);
      expect((await t.store.orgs.environments(b.id)).map((e) => e.gatewayUrl)).toEqual(['http://b']);
    });
  });
});
