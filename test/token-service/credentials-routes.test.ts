import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { sha256 } from '../../src/shared/crypto.js';
import type { Api } from '../helpers/platform.js';
import { startTestPlatform, type TestPlatform } from './fixture.js';

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

describe('consumer credentials (control plane)', () => {
  let p: TestPlatform;
  let dev: Api;
  let org: string;
  let appId: string;
  let base: string;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    p = await startTestPlatform({ clock });
    org = (await p.admin.post('/api/v1/orgs', { name: 'Credentials Org' })).body.handle;
    dev = await p.newUser('dev@example.com');
    expect((await p.admin.post(`/api/v1/orgs/${org}/members`, { email: 'dev@example.com', role: 'developer' })).status).toBe(201);
    const component = await p.admin.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'external-consumer', name: 'web-shop', displayName: 'Web shop' });
    expect(component.status).toBe(201);
    appId = (await p.admin.get(`/api/v1/orgs/${org}/projects/default/components/web-shop/application`)).body.id;
    base = `/api/v1/orgs/${org}/applications/${appId}/credentials`;
  });
  afterAll(() => p.close());

  it("an external-consumer component gets an application, and its overview shows each environment's authentication", async () => {
    const overview = await p.admin.get(`/api/v1/orgs/${org}/projects/default/components/web-shop`);
    expect(overview.status).toBe(200);
    expect(overview.body.environments.map((e: { name: string; authentication: unknown }) => [e.name, e.authentication])).toEqual([
      [
        'development',
        {
          environment: 'development',
          kind: 'builtin',
          keysGenerated: false,
          clientId: null,
          grantTypes: [],
          scopes: [],
          tokenLifetime: 3600,
          previousSecretExpiresAt: null,
          idpId: null,
          externalClientId: null,
        },
      ],
      [
        'production',
        {
          environment: 'production',
          kind: 'builtin',
          keysGenerated: false,
          clientId: null,
          grantTypes: [],
          scopes: [],
          tokenLifetime: 3600,
          previousSecretExpiresAt: null,
          idpId: null,
          externalClientId: null,
        },
      ],
    ]);
    const app = await p.admin.get(`/api/v1/orgs/${org}/projects/default/components/web-shop/application`);
    expect(app.body).toMatchObject({ id: appId, name: 'web-shop', componentId: overview.body.id });
  });

  it('an API proxy has no application', async () => {
    await p.admin.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'api-proxy', name: 'orders-api', displayName: 'Orders' });
    const res = await p.admin.get(`/api/v1/orgs/${org}/projects/default/components/orders-api/application`);
    expect(res.status).toBe(404);
    const overview = await p.admin.get(`/api/v1/orgs/${org}/projects/default/components/orders-api`);
    expect(overview.body.environments[0].authentication).toBeUndefined();
  });

  it('Generate Keys returns a client ID and a prefixed 256-bit secret once, stored only as SHA-256', async () => {
    const res = await p.admin.post(`${base}/development/keys`, { grantTypes: ['client_credentials', TOKEN_EXCHANGE], scopes: ['orders:read'], tokenLifetime: 1800 });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      environment: 'development',
      kind: 'builtin',
      keysGenerated: true,
      clientId: expect.stringMatching(/^dbc_[A-Za-z0-9_-]{22}$/),
      grantTypes: ['client_credentials', TOKEN_EXCHANGE],
      scopes: ['orders:read'],
      tokenLifetime: 1800,
      previousSecretExpiresAt: null,
      idpId: null,
      externalClientId: null,
      tokenEndpoint: `${p.config.publicUrl}/oauth2/token`,
      clientSecret: expect.stringMatching(/^dbs_[A-Za-z0-9_-]{43}$/),
    });
    const stored = await p.store.kysely.selectFrom('credentials').selectAll().where('client_id', '=', res.body.clientId).executeTakeFirstOrThrow();
    expect(stored.secret_hash).toBe(sha256(res.body.clientSecret));
    expect(JSON.stringify(stored)).not.toContain(res.body.clientSecret);
  });

  it('show never returns the secret', async () => {
    const one = await p.admin.get(`${base}/development`);
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('clientSecret');
    expect(one.body.keysGenerated).toBe(true);
    const all = await p.admin.get(base);
    expect(all.body.map((a: { environment: string; keysGenerated: boolean }) => [a.environment, a.keysGenerated])).toEqual([
      ['development', true],
      ['production', false],
    ]);
    expect(all.text).not.toContain('dbs_');
  });

  it('generating keys twice is a 409 that says to regenerate instead', async () => {
    const res = await p.admin.post(`${base}/development/keys`, {});
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 'conflict', message: 'Keys already exist for the development environment; regenerate the secret instead' });
  });

  it('regenerating without keys is a 409 that says to generate first', async () => {
    const res = await p.admin.post(`${base}/production/secret`, {});
    expect(res.status).toBe(409);
    expect(res.body.message).toBe('No keys exist for the production environment; generate keys first');
  });

  it('settings are validated, naming the field', async () => {
    const badGrant = await p.admin.post(`${base}/production/keys`, { grantTypes: ['password'] });
    expect(badGrant.status).toBe(400);
    expect(badGrant.body.fields).toEqual({ 'grantTypes.0': 'must be one of client_credentials, urn:ietf:params:oauth:grant-type:token-exchange' });
    const badLifetime = await p.admin.post(`${base}/production/keys`, { tokenLifetime: 86_401 });
    expect(badLifetime.status).toBe(400);
    expect(Object.keys(badLifetime.body.fields)).toEqual(['tokenLifetime']);
    const badScope = await p.admin.post(`${base}/production/keys`, { scopes: ['has space'] });
    expect(badScope.status).toBe(400);
    expect(Object.keys(badScope.body.fields)).toEqual(['scopes.0']);
    const wrongType = await p.admin.post(`${base}/production/keys`, { tokenLifetime: '600' });
    expect(wrongType.status).toBe(400);
    const unknown = await p.admin.post(`${base}/production/keys`, { secret: 'mine' });
    expect(unknown.status).toBe(400);
    expect((await p.admin.get(`${base}/production`)).body.keysGenerated).toBe(false);
  });

  it('settings can be changed', async () => {
    const res = await p.admin.patch(`${base}/development`, { scopes: ['orders:read', 'orders:write'], tokenLifetime: 600 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ scopes: ['orders:read', 'orders:write'], tokenLifetime: 600, grantTypes: ['client_credentials', TOKEN_EXCHANGE] });
  });

  it('an unknown environment or application is 404', async () => {
    expect((await p.admin.post(`${base}/staging/keys`, {})).status).toBe(404);
    expect((await p.admin.get(`/api/v1/orgs/${org}/applications/00000000-0000-0000-0000-000000000000/credentials`)).status).toBe(404);
  });

  it('regenerating with a grace period reports when the old secret stops', async () => {
    const res = await p.admin.post(`${base}/development/secret`, { gracePeriod: 3600 });
    expect(res.status).toBe(200);
    expect(res.body.previousSecretExpiresAt).toBe(new Date(T0 + 3_600_000).toISOString());
    expect(res.body.clientSecret).toMatch(/^dbs_/);
    const tooLong = await p.admin.post(`${base}/development/secret`, { gracePeriod: 8 * 86_400 });
    expect(tooLong.status).toBe(400);
  });

  it('a member who is neither admin nor owner may look but not change', async () => {
    expect((await dev.get(`${base}/development`)).status).toBe(200);
    const res = await dev.post(`${base}/production/keys`, {});
    expect(res.status).toBe(403);
    expect(res.body.message).toBe("Only organization admins and the application's owner can change its credentials");
    expect((await dev.post(`${base}/development/secret`, {})).status).toBe(403);
    expect((await dev.patch(`${base}/development`, { tokenLifetime: 60 })).status).toBe(403);
  });

  it("the owner of an application (its component's creator) may generate keys", async () => {
    expect((await dev.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'external-consumer', name: 'dev-bot', displayName: 'Bot' })).status).toBe(201);
    const app = await dev.get(`/api/v1/orgs/${org}/projects/default/components/dev-bot/application`);
    const res = await dev.post(`/api/v1/orgs/${org}/applications/${app.body.id}/credentials/development/keys`, {});
    expect(res.status).toBe(201);
  });

  it('a non-member sees nothing', async () => {
    const outsider = await p.newUser('outsider@example.com');
    expect((await outsider.get(`${base}/development`)).status).toBe(404);
    expect((await outsider.post(`${base}/production/keys`, {})).status).toBe(404);
  });

  it('the audit log records credential changes without secrets', async () => {
    const audit = await p.admin.get(`/api/v1/orgs/${org}/audit`);
    expect(audit.status).toBe(200);
    const actions = audit.body.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['credentials.generated', 'credentials.secret_regenerated', 'credentials.updated']));
    expect(audit.text).not.toMatch(/dbs_/);
    expect(audit.text).not.toMatch(/secret_hash|[0-9a-f]{64}/);
  });
});
