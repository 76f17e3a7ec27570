import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { isUniqueViolation } from '../../src/store/index.js';
import { storeBackends, type TestStore } from '../helpers/stores.js';

const HOUR = 3_600_000;

describe.each(storeBackends())('users, sessions and API tokens on $name', (backend) => {
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 12, 0, 0));
  let t: TestStore;
  beforeAll(async () => {
    t = await backend.open({ clock });
  });
  afterAll(() => t?.close());

  describe('users', () => {
    it('creates a user with a lower-cased email and finds it by id and by email in any case', async () => {
      const user = await t.store.users.create({ email: 'Ada@Example.COM', name: 'Ada', passwordHash: 'scrypt$hash-ada' });
      expect(user).toEqual({ id: expect.any(String), email: 'ada@example.com', name: 'Ada', createdAt: '2026-03-01T12:00:00.000Z' });
      expect(await t.store.users.byId(user.id)).toEqual(user);
      expect(await t.store.users.byEmail('ADA@example.com')).toEqual(user);
      expect(await t.store.users.byId('no-such-id')).toBeUndefined();
      expect(await t.store.users.byEmail('nobody@example.com')).toBeUndefined();
    });

    it('counts users as a number', async () => {
      const before = await t.store.users.count();
      expect(typeof before).toBe('number');
      await t.store.users.create({ email: 'count@example.com', name: 'Count', passwordHash: 'x' });
      expect(await t.store.users.count()).toBe(before + 1);
    });

    it('rejects a second user with the same email (any case) as a unique violation', async () => {
      await t.store.users.create({ email: 'twice@example.com', name: 'One', passwordHash: 'x' });
      const error = await t.store.users.create({ email: 'TWICE@example.com', name: 'Two', passwordHash: 'y' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(isUniqueViolation(error)).toBe(true);
      expect((await t.store.users.byEmail('twice@example.com'))?.name).toBe('One');
    });

    it('hands out the password hash only through credentialsByEmail, and updates it', async () => {
      const user = await t.store.users.create({ email: 'pw@example.com', name: 'Pw', passwordHash: 'old-hash' });
      expect(await t.store.users.byId(user.id)).not.toHaveProperty('passwordHash');
      expect(await t.store.users.credentialsByEmail('PW@example.com')).toEqual({ user, passwordHash: 'old-hash' });
      await t.store.users.setPassword(user.id, 'new-hash');
      expect((await t.store.users.credentialsByEmail('pw@example.com'))?.passwordHash).toBe('new-hash');
      expect(await t.store.users.credentialsByEmail('nobody@example.com')).toBeUndefined();
    });
  });

  describe('sessions', () => {
    it('finds the user of a live session, not after expiry, not after deletion', async () => {
      const user = await t.store.users.create({ email: 'session@example.com', name: 'S', passwordHash: 'x' });
      await t.store.users.createSession(user.id, 'session-token-1', 2 * HOUR);
      await t.store.users.createSession(user.id, 'session-token-2', 2 * HOUR);
      expect(await t.store.users.userBySession('session-token-1')).toEqual(user);
      expect(await t.store.users.userBySession('wrong-token')).toBeUndefined();

      await t.store.users.deleteSession('session-token-2');
      expect(await t.store.users.userBySession('session-token-2')).toBeUndefined();

      clock.advance(2 * HOUR - 1);
      expect(await t.store.users.userBySession('session-token-1')).toEqual(user);
      clock.advance(1);
      expect(await t.store.users.userBySession('session-token-1')).toBeUndefined();
    });

    it('stores only the SHA-256 of the session token', async () => {
      const user = await t.store.users.create({ email: 'session-hash@example.com', name: 'S', passwordHash: 'x' });
      await t.store.users.createSession(user.id, 'plain-session-secret', HOUR);
      const rows = await t.db.kysely.selectFrom('sessions').selectAll().where('user_id', '=', user.id).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.id_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain('plain-session-secret');
    });

    it('refuses a session for a user that does not exist, and that is not a unique violation', async () => {
      const error = await t.store.users.createSession('no-such-user', 'orphan-token', HOUR).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(isUniqueViolation(error)).toBe(false);
    });
  });

  describe('personal API tokens', () => {
    it('lists, authenticates, records last use and revokes a token', async () => {
      const user = await t.store.users.create({ email: 'tokens@example.com', name: 'T', passwordHash: 'x' });
      const created = await t.store.users.createApiToken(user.id, 'laptop', 'dbp_secret-one');
      expect(created).toEqual({ id: expect.any(String), name: 'laptop', createdAt: new Date(clock.now()).toISOString(), lastUsedAt: null, revokedAt: null });
      expect(await t.store.users.listApiTokens(user.id)).toEqual([created]);

      clock.advance(1000);
      const usedAt = new Date(clock.now()).toISOString();
      expect(await t.store.users.userByApiToken('dbp_secret-one')).toEqual(user);
      expect(await t.store.users.listApiTokens(user.id)).toEqual([{ ...created, lastUsedAt: usedAt }]);
      expect(await t.store.users.userByApiToken('dbp_not-a-token')).toBeUndefined();

      clock.advance(1000);
      expect(await t.store.users.revokeApiToken(user.id, created.id)).toBe(true);
      expect(await t.store.users.revokeApiToken(user.id, created.id)).toBe(false);
      expect(await t.store.users.userByApiToken('dbp_secret-one')).toBeUndefined();
      expect(await t.store.users.listApiTokens(user.id)).toEqual([{ ...created, lastUsedAt: usedAt, revokedAt: new Date(clock.now()).toISOString() }]);
    });

    it("prevents revoking another user's token", async () => {
      const owner = await t.store.users.create({ email: 'owner@example.com', name: 'O', passwordHash: 'x' });
      const other = await t.store.users.create({ email: 'other@example.com', name: 'X', passwordHash: 'x' });
      const token = await t.store.users.createApiToken(owner.id, 'ci', 'dbp_owner-token');
      expect(await t.store.users.revokeApiToken(other.id, token.id)).toBe(false);
      expect(await t.store.users.userByApiToken('dbp_owner-token')).toEqual(owner);
      expect(await t.store.users.listApiTokens(other.id)).toEqual([]);
    });

    it('stores only the SHA-256 of the token, and the same token twice is a unique violation', async () => {
      const user = await t.store.users.create({ email: 'token-hash@example.com', name: 'T', passwordHash: 'x' });
      await t.store.users.createApiToken(user.id, 'a', 'dbp_plain-token-secret');
      const rows = await t.db.kysely.selectFrom('api_tokens').selectAll().where('user_id', '=', user.id).execute();
      expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain('dbp_plain-token-secret');
      const error = await t.store.users.createApiToken(user.id, 'b', 'dbp_plain-token-secret').catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
    });
  });
});
