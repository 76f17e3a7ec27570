import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { sha256 } from '../../src/shared/crypto.js';
import { basic, expectOAuthError, FORM, newConsumer, postForm, startTestPlatform, type Consumer, type TestPlatform } from './fixture.js';

const GRANT = 'grant_type=client_credentials';

/**
 * The per-node client cache (1 s) must never let a replaced secret work
 * again in the process that replaced it: it is emptied after the change is
 * committed, and a record read while a change was under way is not kept.
 */
describe('client cache and secret regeneration', () => {
  let p: TestPlatform;
  const clock = new ManualClock(Date.UTC(2026, 2, 1));

  beforeAll(async () => {
    p = await startTestPlatform({ clock });
  });
  afterAll(() => p.close());

  const token = (c: Consumer, secret: string) => postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(c.clientId, secret) });
  const regenerate = (c: Consumer, body: Record<string, unknown> = {}) => p.admin.post(`/api/v1/orgs/${c.org.handle}/applications/${c.appId}/credentials/development/secret`, body);

  it('regenerating without a grace period refuses the old secret at once, though it was just cached', async () => {
    const c = await newConsumer(p);
    expect((await token(c, c.clientSecret)).status).toBe(200); // now cached
    const regen = await regenerate(c);
    expect(regen.status).toBe(200);
    expectOAuthError(await token(c, c.clientSecret), 401, 'invalid_client', 'Client authentication failed');
    expect((await token(c, regen.body.clientSecret)).status).toBe(200);
    // And again right after the new record was cached.
    expectOAuthError(await token(c, c.clientSecret), 401, 'invalid_client', 'Client authentication failed');
  });

  it('the change notice comes after the commit: at that moment another connection already sees the new secret', async () => {
    const c = await newConsumer(p);
    const file = p.config.databaseUrl.replace(/^sqlite:/, '');
    const reader = new Database(file, { readonly: true, fileMustExist: true });
    const seen: (string | null)[] = [];
    const stop = p.store.changes.subscribe(({ changes }) => {
      if (!changes.some((change) => change.kind === 'credentials')) return;
      // Synchronous read on a second connection: only committed data is visible to it.
      const row = reader.prepare('select secret_hash from credentials where client_id = ?').get(c.clientId) as { secret_hash: string | null };
      seen.push(row.secret_hash);
    });
    try {
      const regen = await regenerate(c);
      expect(regen.status).toBe(200);
      expect(seen.length).toBeGreaterThan(0);
      // The last notice (the one caches rely on) sees the committed new secret, not the old one.
      expect(seen.at(-1)).toBe(sha256(regen.body.clientSecret));
    } finally {
      stop();
      reader.close();
    }
  });

  it('a client record read just before a regeneration is used for that request only, not cached', async () => {
    const c = await newConsumer(p);
    const repo = p.store.credentials;
    const original = repo.forClientAuth.bind(repo);
    let readDone!: () => void;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const spy = vi.spyOn(repo, 'forClientAuth').mockImplementationOnce(async (clientId) => {
      const record = await original(clientId); // the old secret's row
      readDone();
      await gate; // ...and the answer arrives after the regeneration
      return record;
    });
    try {
      const inFlight = token(c, c.clientSecret);
      await read;
      const regen = await regenerate(c);
      expect(regen.status).toBe(200);
      release();
      // That request started before the change and read the old row: it may still succeed.
      expect((await inFlight).status).toBe(200);
      // Nothing it read may outlive the change.
      expectOAuthError(await token(c, c.clientSecret), 401, 'invalid_client', 'Client authentication failed');
      expect((await token(c, regen.body.clientSecret)).status).toBe(200);
    } finally {
      spy.mockRestore();
    }
  });

  it('a settings change applies at once to a cached client', async () => {
    const c = await newConsumer(p, { settings: { scopes: ['a', 'b'] } });
    expect((await token(c, c.clientSecret)).body.scope).toBe('a b');
    const patch = await p.admin.patch(`/api/v1/orgs/${c.org.handle}/applications/${c.appId}/credentials/development`, { scopes: ['a'] });
    expect(patch.status).toBe(200);
    expect((await token(c, c.clientSecret)).body.scope).toBe('a');
  });
});

/** Deleting what owns a client removes its keys by cascade: the 1 s client cache must not keep them alive. */
describe('client cache and deletions', () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startTestPlatform({ clock: new ManualClock(Date.UTC(2026, 2, 1)) });
  });
  afterAll(() => p.close());

  const token = (clientId: string, secret: string) => postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(clientId, secret) });

  it("a deleted component's client is refused at once, though it was just cached", async () => {
    const c = await newConsumer(p);
    expect((await token(c.clientId, c.clientSecret)).status).toBe(200);
    expect((await p.admin.delete(`/api/v1/orgs/${c.org.handle}/projects/default/components/mobile-app`)).status).toBe(204);
    expectOAuthError(await token(c.clientId, c.clientSecret), 401, 'invalid_client', 'Client authentication failed');
  });

  it("a deleted portal application's client is refused at once, though it was just cached", async () => {
    const c = await newConsumer(p);
    const app = await p.admin.post(`/api/v1/orgs/${c.org.handle}/portal/applications`, { name: 'Portal app' });
    expect(app.status).toBe(201);
    const keys = await p.admin.post(`/api/v1/orgs/${c.org.handle}/portal/applications/${app.body.id}/keys/development`, {});
    expect(keys.status).toBe(201);
    expect((await token(keys.body.consumerKey, keys.body.consumerSecret)).status).toBe(200);
    expect((await p.admin.delete(`/api/v1/orgs/${c.org.handle}/portal/applications/${app.body.id}`)).status).toBe(204);
    expectOAuthError(await token(keys.body.consumerKey, keys.body.consumerSecret), 401, 'invalid_client', 'Client authentication failed');
  });
});
