import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRuntimeSnapshot } from '../../src/control-plane/snapshot/compile.js';
import { RuntimePublisher } from '../../src/control-plane/snapshot/publisher.js';
import type { GatewaySnapshot } from '../../src/gateway/snapshot.js';
import { ManualClock, startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { anotherApiProxy, apiProxyFixture, ordersApi, type ApiFixture } from './setup.js';

let platform: TestPlatform;
const clock = new ManualClock(Date.UTC(2026, 5, 1));
beforeAll(async () => {
  platform = await startTestPlatform({ clock });
});
afterAll(async () => {
  await platform?.close();
});

const compile = (environment: string) =>
  compileRuntimeSnapshot({
    store: platform.store,
    masterKey: platform.deps.masterKey,
    issuer: platform.config.publicUrl,
    environment,
    clock,
    logger: platform.deps.logger,
  });

interface World {
  f: ApiFixture;
  appId: string;
  otherApiId: string;
}

/** One org: an API deployed to development (with a policy on one resource and one on all), a second API never deployed, an application subscribed to both, credentials, a revocation. */
async function world(): Promise<World> {
  const f = await apiProxyFixture(platform);
  await platform.admin.put(f.base, {
    ...ordersApi('http://${host}/orders/'),
    cors: { allowOrigins: ['https://app.example.com'] },
    policies: [
      { policy: 'set-headers@1.0.0', resources: ['GET /items/{id}'], config: { headers: [{ name: 'X-Tenant', value: '${tenant}' }] } },
      { policy: 'remove-headers@1.0.0', phase: 'response', config: { headers: ['Server'] } },
    ],
  });
  await platform.admin.post(`${f.base}/lifecycle`, { state: 'published' });
  const dep = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { host: '127.0.0.1:9', tenant: { value: 'acme', secret: true } } });
  if (dep.status !== 201) throw new Error(dep.text);
  const other = await anotherApiProxy(platform, f, 'billing');
  await platform.admin.put(other.base, { contextPath: '/billing', version: 'v1', resources: [{ method: 'GET', path: '/' }] });
  await platform.admin.post(`${other.base}/lifecycle`, { state: 'published' });

  const app = await platform.store.applications.create({ orgId: f.orgId, name: 'Consumer' });
  for (const api of ['default/orders', 'default/billing']) {
    expect((await platform.admin.post(`/api/v1/orgs/${f.org}/subscriptions`, { applicationId: app.id, api })).status).toBe(201);
  }
  const [dev, prod] = await platform.store.orgs.environments(f.orgId);
  await platform.store.credentials.createBuiltin({
    orgId: f.orgId,
    applicationId: app.id,
    environmentId: dev!.id,
    clientId: `dev-${app.id}`,
    secretHash: 'x',
    grantTypes: ['client_credentials'],
    tokenLifetime: 3600,
  });
  await platform.store.credentials.createBuiltin({
    orgId: f.orgId,
    applicationId: app.id,
    environmentId: prod!.id,
    clientId: `prod-${app.id}`,
    secretHash: 'y',
    grantTypes: ['client_credentials'],
    tokenLifetime: 3600,
  });
  await platform.store.revocations.revoke({ jti: `jti-${app.id}`, orgId: f.orgId, environment: 'development', expiresAt: new Date(clock.now() + 600_000).toISOString() });
  return { f, appId: app.id, otherApiId: other.componentId };
}

const mine = (s: GatewaySnapshot, orgId: string) => s.apis.filter((a) => a.orgId === orgId);

describe('compiling the runtime snapshot', () => {
  it("holds the environment's routes with parameters resolved, compiled policies, subscriptions, clients, keys and revocations", async () => {
    const w = await world();
    const { snapshot, skipped } = await compile('development');
    expect(skipped).toEqual([]);
    expect(snapshot).toMatchObject({ format: 1, environment: 'development', issuer: platform.config.publicUrl, generatedAt: new Date(clock.now()).toISOString() });
    const [api] = mine(snapshot, w.f.orgId);
    expect(api).toEqual({
      id: w.f.componentId,
      orgId: w.f.orgId,
      orgHandle: w.f.org,
      name: 'orders',
      contextPath: '/orders',
      version: 'v1',
      backendUrl: 'http://127.0.0.1:9/orders',
      audience: `urn:drawbridge:${w.f.orgId}:development`,
      cors: {
        allowOrigins: ['https://app.example.com'],
        allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowHeaders: ['Authorization', 'Content-Type'],
        exposeHeaders: [],
        allowCredentials: false,
        maxAgeSeconds: 600,
      },
      resources: [
        {
          method: 'GET',
          path: '/items',
          security: { oauth2: true, scopes: ['orders:read'] },
          policies: [{ name: 'remove-headers', version: '1.0.0', phase: 'response', config: { headers: ['server'] } }],
        },
        {
          method: 'GET',
          path: '/items/{id}',
          security: { oauth2: true, scopes: [] },
          policies: [
            // tenant is a secret parameter: the header value it went into is sealed.
            { name: 'set-headers', version: '1.0.0', phase: 'request', config: { headers: [{ name: 'x-tenant', value: { $sealed: expect.stringMatching(/^v1\./) } }] } },
            { name: 'remove-headers', version: '1.0.0', phase: 'response', config: { headers: ['server'] } },
          ],
        },
        {
          method: 'POST',
          path: '/items',
          security: { oauth2: true, scopes: ['orders:write'] },
          policies: [{ name: 'remove-headers', version: '1.0.0', phase: 'response', config: { headers: ['server'] } }],
        },
        { method: 'GET', path: '/health', security: { oauth2: false, scopes: [] }, policies: [{ name: 'remove-headers', version: '1.0.0', phase: 'response', config: { headers: ['server'] } }] },
      ],
    });
    // Only APIs this environment serves appear in the subscription map.
    expect(snapshot.subscriptions[w.appId]).toEqual([w.f.componentId]);
    expect(snapshot.clients.builtin[`dev-${w.appId}`]).toBe(w.appId);
    expect(snapshot.clients.builtin[`prod-${w.appId}`]).toBeUndefined();
    expect(snapshot.revokedTokens).toContainEqual({ jti: `jti-${w.appId}`, exp: Math.ceil((clock.now() + 600_000) / 1000) });
    expect(snapshot.keys.length).toBeGreaterThan(0);
    for (const key of snapshot.keys) {
      expect(key).toMatchObject({ kid: expect.any(String), alg: expect.any(String), kty: expect.any(String) });
      expect(key).not.toHaveProperty('d');
    }
  });

  it('compiles each environment separately', async () => {
    const w = await world();
    const { snapshot } = await compile('production');
    expect(mine(snapshot, w.f.orgId)).toEqual([]);
    expect(snapshot.subscriptions[w.appId]).toBeUndefined();
    expect(snapshot.clients.builtin[`prod-${w.appId}`]).toBe(w.appId);
    expect(snapshot.revokedTokens.find((r) => r.jti === `jti-${w.appId}`)).toBeUndefined();
    const promoted = await platform.admin.post(`${w.f.base}/promote`, { params: { host: 'prod.internal:8443', tenant: 'acme-prod' }, backendUrl: 'https://${host}/v2' });
    expect(promoted.status).toBe(201);
    const after = (await compile('production')).snapshot;
    expect(mine(after, w.f.orgId).map((a) => [a.backendUrl, a.audience, a.resources[1]!.policies[0]!.config])).toEqual([
      // tenant was secret in development, so promotion keeps it secret: its header value is sealed.
      ['https://prod.internal:8443/v2', `urn:drawbridge:${w.f.orgId}:production`, { headers: [{ name: 'x-tenant', value: { $sealed: expect.stringMatching(/^v1\./) } }] }],
    ]);
    expect(promoted.body.params.tenant).toEqual({ secret: true });
  });

  it('drops expired revocations and unsubscribed applications', async () => {
    const w = await world();
    const subs = await platform.admin.get(`/api/v1/orgs/${w.f.org}/subscriptions?applicationId=${w.appId}`);
    for (const s of subs.body) await platform.admin.delete(`/api/v1/orgs/${w.f.org}/subscriptions/${s.id}`);
    const before = (await compile('development')).snapshot;
    expect(before.subscriptions[w.appId]).toBeUndefined();
    expect(before.revokedTokens.some((r) => r.jti === `jti-${w.appId}`)).toBe(true);
    clock.advance(601_000);
    const after = (await compile('development')).snapshot;
    expect(after.revokedTokens.some((r) => r.jti === `jti-${w.appId}`)).toBe(false);
  });
});

describe('publishing snapshots', () => {
  it('numbers snapshots by content: the same content keeps its version, a change moves it forward', async () => {
    const publisher = new RuntimePublisher({ store: platform.store, masterKey: platform.deps.masterKey, issuer: platform.config.publicUrl, clock, logger: platform.deps.logger, pollMs: 0 });
    try {
      const a = await publisher.compile('development');
      const b = await publisher.compile('development');
      expect(b.version).toBe(a.version);
      await world();
      const c = await publisher.compile('development');
      expect(c.version).toBeGreaterThan(a.version);
      const pushed: GatewaySnapshot[] = [];
      publisher.attach('development', {
        setSnapshot: async (s) => {
          pushed.push(s);
        },
      });
      await publisher.refresh();
      expect(pushed).toEqual([]);
      await world();
      await publisher.refresh();
      expect(pushed.map((s) => s.version)).toEqual([expect.any(Number)]);
      expect(pushed[0]!.version).toBeGreaterThan(c.version);
    } finally {
      await publisher.close();
    }
  });

  it("pushes a change to the platform's gateway listener right after the change", async () => {
    const gateway = platform.runtime.gateway('development')!;
    const before = gateway.status().snapshot!.version;
    const w = await world();
    await platform.runtime.publisher.refresh();
    const status = gateway.status();
    expect(status.ready).toBe(true);
    expect(status.snapshot!.version).toBeGreaterThan(before);
    expect(status.snapshot!.source).toBe('live');
    const res = await fetch(`${gateway.url}/${w.f.org}/orders/v1/items/1`);
    expect(res.status).toBe(401);
  });
});
