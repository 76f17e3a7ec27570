import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compileRuntimeSnapshot } from '../../src/control-plane/snapshot/compile.js';
import { metric } from '../gateway/helpers.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { ManualClock, startTestPlatform, type TestPlatform } from '../helpers/platform.js';

const HOUR = 60 * 60_000;

/**
 * Identity providers in the gateway snapshot: two IdPs of one organization
 * sharing an issuer are told apart by audience, and refetching (or saving
 * again) an unchanged key set moves neither the snapshot nor the gateway's
 * verified-token cache.
 */
describe('IdPs in the gateway snapshot', () => {
  // 01:00 UTC: the digest counts key fetch times in 6 h steps (00:00–06:00 here).
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 1));
  let platform: TestPlatform;
  let idp: TestIdp;
  let backend: Server;
  let backendUrl: string;
  let gatewayUrl: string;
  let org: { id: string; handle: string };
  const idpIds: Record<'one' | 'two', string> = {} as never;

  const token = (aud: string, lifetimeMs = 30 * 60_000) => {
    const now = Math.floor(clock.now() / 1000);
    return idp.sign({ sub: 'daemon', aud, client_id: 'shared-client', iat: now, exp: now + Math.floor(lifetimeMs / 1000) });
  };
  const call = (api: 'orders' | 'billing', t: string) => fetch(`${gatewayUrl}/${org.handle}/${api}/v1/items`, { headers: { authorization: `Bearer ${t}` } });
  const verifications = () => metric(gatewayUrl, 'drawbridge_gateway_token_verifications_total', { environment: 'development', kind: 'external', outcome: 'valid' });
  const version = () => platform.runtime.gateway('development')!.status().snapshot!.version;

  async function api(name: 'orders' | 'billing'): Promise<void> {
    const base = `/api/v1/orgs/${org.handle}/projects/default/components/${name}/api`;
    expect((await platform.admin.post(`/api/v1/orgs/${org.handle}/projects/default/components`, { type: 'api-proxy', name, displayName: name })).status).toBe(201);
    expect((await platform.admin.put(base, { contextPath: `/${name}`, version: 'v1', resources: [{ method: 'GET', path: '/items' }], backendUrls: { development: backendUrl } })).status).toBe(201);
    expect((await platform.admin.post(`${base}/deployments`, { environment: 'development' })).status).toBe(201);
    expect((await platform.admin.post(`${base}/lifecycle`, { state: 'published' })).status).toBe(200);
  }

  /** An IdP with the test IdP's issuer and `audience`, and an application linked to its `shared-client` and subscribed to `apiName` only. */
  async function consumer(name: 'one' | 'two', audience: string, apiName: string): Promise<void> {
    const registered = await platform.admin.post(`/api/v1/orgs/${org.handle}/identity-providers`, { name, kind: 'generic-oidc', issuer: idp.issuer, jwksUri: idp.jwksUri, audiences: [audience] });
    expect(registered.status).toBe(201);
    idpIds[name] = registered.body.id;
    const application = await platform.store.applications.create({ orgId: org.id, name: `${name}-consumer` });
    const [devEnv] = await platform.store.orgs.environments(org.id);
    await platform.store.credentials.createExternal({ orgId: org.id, applicationId: application.id, environmentId: devEnv!.id, idpId: registered.body.id, externalClientId: 'shared-client' });
    expect((await platform.admin.post(`/api/v1/orgs/${org.handle}/subscriptions`, { applicationId: application.id, api: `default/${apiName}` })).status).toBe(201);
  }

  beforeAll(async () => {
    backend = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url }));
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    idp = await startTestIdp({ audience: 'api://one' });
    platform = await startTestPlatform({ clock, env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' } });
    org = (await platform.admin.post('/api/v1/orgs', { name: 'Shared Issuer Corp' })).body;
    await api('orders');
    await api('billing');
    await consumer('one', 'api://one', 'orders');
    await consumer('two', 'api://two', 'billing');
    await platform.deps.idpKeys!.flush();
    await platform.runtime.publisher.refresh();
    gatewayUrl = platform.runtime.gateway('development')!.url;
  }, 30_000);
  afterAll(async () => {
    await platform?.close();
    await idp?.close();
    await new Promise((resolve) => backend?.close(resolve));
  });

  it("serves both IdPs of one issuer and maps each token to its own IdP's linked application", async () => {
    expect(platform.runtime.gateway('development')!.status().snapshot).toBeTruthy();
    const one = await token('api://one');
    const two = await token('api://two');
    expect((await call('orders', one)).status).toBe(200);
    expect((await call('billing', two)).status).toBe(200);
    // Each application is subscribed to one API only: the other answers 403, so each token went to its own application.
    expect((await call('billing', one)).status).toBe(403);
    expect((await call('orders', two)).status).toBe(403);
    const neither = await call('orders', await token('api://three'));
    expect(neither.status).toBe(401);
  });

  it("reads the keys from the key cache, not every organization's saved keys from the store", async () => {
    const allKeys = vi.spyOn(platform.store.identityProviders, 'allKeys');
    try {
      const snapshot = await platform.runtime.publisher.compile('development');
      expect(allKeys).not.toHaveBeenCalled();
      const entry = snapshot.identityProviders.find((p) => p.id === idpIds.one);
      expect(entry?.jwks?.keys.map((k) => k.kid)).toEqual([idp.kid]);
    } finally {
      allKeys.mockRestore();
    }
  });

  it('keeps the snapshot version and the cached tokens when an unchanged key set is fetched and saved again later', async () => {
    const one = await token('api://one', 10 * HOUR);
    expect((await call('orders', one)).status).toBe(200);
    const verified = await verifications();
    const before = version();
    const compileOptions = { store: platform.store, masterKey: platform.deps.masterKey, issuer: platform.config.publicUrl, environment: 'development', clock, logger: platform.deps.logger };
    const fromStore = await compileRuntimeSnapshot(compileOptions);

    clock.advance(2 * HOUR);
    for (const id of Object.values(idpIds)) {
      const refreshed = await platform.deps.idpKeys!.refresh({ id, jwksUri: idp.jwksUri });
      expect(refreshed.fetchedAt).toBe(clock.now());
    }
    await platform.deps.idpKeys!.flush();
    expect((await platform.store.identityProviders.allKeys()).get(idpIds.one)?.fetchedAt).toBe(clock.now());
    await platform.runtime.publisher.refresh();
    expect(version()).toBe(before);
    expect((await compileRuntimeSnapshot(compileOptions)).digest).toBe(fromStore.digest);
    expect((await call('orders', one)).status).toBe(200);
    expect(await verifications()).toBe(verified);

    // Past the 6 h step the disk copy's fetch time is brought forward: a new version, the cache kept.
    clock.advance(6 * HOUR);
    for (const id of Object.values(idpIds)) await platform.deps.idpKeys!.refresh({ id, jwksUri: idp.jwksUri });
    await platform.runtime.publisher.refresh();
    expect(version()).toBeGreaterThan(before);
    expect((await call('orders', one)).status).toBe(200);
    expect(await verifications()).toBe(verified);
  });
});
