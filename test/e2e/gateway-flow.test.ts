import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runStandaloneGateway } from '../../src/cli/standalone-gateway.js';
import { createLogger } from '../../src/shared/logger.js';
import { randomToken, sha256 } from '../../src/shared/crypto.js';
import { startTestIdp } from '../helpers/oidc-idp.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

/**
 * The whole story over real HTTP: an API proxy in front of a test backend,
 * deployed to development, a subscribed consumer with client credentials,
 * promotion to production with its own backend, tokens bound to their
 * environment, revocation through the next snapshot, and a gateway serving
 * from its saved snapshot when the database is gone.
 */

interface Seen {
  backend: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

async function testBackend(name: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const body: Seen = { backend: name, method: req.method!, url: req.url!, headers: req.headers };
    res.writeHead(200, { 'content-type': 'application/json', server: 'test-backend' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let platform: TestPlatform;
let dev: { server: Server; url: string };
let prod: { server: Server; url: string };

beforeAll(async () => {
  [dev, prod] = await Promise.all([testBackend('dev'), testBackend('prod')]);
  platform = await startTestPlatform({ env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' } });
});
afterAll(async () => {
  await platform?.close();
  for (const b of [dev, prod]) await new Promise((resolve) => b?.server.close(resolve));
});

async function token(clientId: string, secret: string): Promise<string> {
  const res = await fetch(`${platform.url}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(`token: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

it('proxies, promotes, binds tokens to their environment, revokes, and survives the database going away', async () => {
  const admin = platform.admin;
  const org = (await admin.post('/api/v1/orgs', { name: 'Gateway Flow' })).body as { handle: string; id: string };
  const orgPath = `/api/v1/orgs/${org.handle}`;
  expect((await admin.post(`${orgPath}/projects/default/components`, { type: 'api-proxy', name: 'orders', displayName: 'Orders' })).status).toBe(201);
  const consumer = await admin.post(`${orgPath}/projects/default/components`, { type: 'external-consumer', name: 'mobile', displayName: 'Mobile' });
  expect(consumer.status).toBe(201);
  const base = `${orgPath}/projects/default/components/orders/api`;

  // 1. The API proxy in front of the development backend, with a policy parameterized per environment.
  const defined = await admin.put(base, {
    contextPath: '/orders',
    version: 'v1',
    resources: [
      { method: 'GET', path: '/items/{id}' },
      { method: 'POST', path: '/items', security: { oauth2: true, scopes: ['orders:write'] } },
    ],
    backendUrls: { development: `${dev.url}/svc`, production: prod.url },
    policies: [{ policy: 'set-headers@1.0.0', config: { headers: [{ name: 'X-Tenant', value: '${tenant}' }] } }],
  });
  expect(defined.status).toBe(201);
  const deployed = await admin.post(`${base}/deployments`, { environment: 'development', params: { tenant: 'tenant-dev' } });
  expect(deployed.status).toBe(201);
  expect((await admin.post(`${base}/lifecycle`, { state: 'published' })).status).toBe(200);

  // 2. The consumer's application subscribes and has built-in credentials per environment.
  const component = await platform.store.projects.componentById(org.id, consumer.body.id);
  const application =
    (await platform.store.applications.byComponent(org.id, component!.id)) ?? (await platform.store.applications.create({ orgId: org.id, componentId: component!.id, name: 'mobile' }));
  expect((await admin.post(`${orgPath}/subscriptions`, { applicationId: application.id, api: 'default/orders' })).status).toBe(201);
  const [devEnv, prodEnv] = await platform.store.orgs.environments(org.id);
  const secrets = { development: randomToken(32, 'dbs_'), production: randomToken(32, 'dbs_') };
  for (const [env, secret] of [
    [devEnv!, secrets.development],
    [prodEnv!, secrets.production],
  ] as const) {
    await platform.store.credentials.createBuiltin({
      orgId: org.id,
      applicationId: application.id,
      environmentId: env.id,
      clientId: `mobile-${env.name}-${application.id}`,
      secretHash: sha256(secret),
      grantTypes: ['client_credentials'],
      tokenLifetime: 3600,
    });
  }
  await platform.runtime.publisher.refresh();

  // 3. A client-credentials token for development goes through the development gateway.
  const devGateway = platform.runtime.gateway('development')!;
  const prodGateway = platform.runtime.gateway('production')!;
  const devToken = await token(`mobile-development-${application.id}`, secrets.development);
  const ok = await fetch(`${devGateway.url}/${org.handle}/orders/v1/items/42?full=1`, { headers: { authorization: `Bearer ${devToken}` } });
  expect(ok.status).toBe(200);
  const seen = (await ok.json()) as Seen;
  expect(seen).toMatchObject({ backend: 'dev', method: 'GET', url: '/svc/items/42?full=1' });
  expect(seen.headers['x-tenant']).toBe('tenant-dev');
  expect(seen.headers.authorization).toBeUndefined();

  const anonymous = await fetch(`${devGateway.url}/${org.handle}/orders/v1/items/42`);
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
  const scoped = await fetch(`${devGateway.url}/${org.handle}/orders/v1/items`, { method: 'POST', headers: { authorization: `Bearer ${devToken}` } });
  expect(scoped.status).toBe(403);
  expect(scoped.headers.get('www-authenticate')).toContain('error="insufficient_scope"');

  // 4. Promote the same revision to production with its own backend and values.
  const needs = await admin.get(`${base}/promotion`);
  expect(needs.body).toMatchObject({ from: 'development', to: 'production', revision: 1, backendUrl: prod.url, parameters: [{ name: 'tenant', secret: false }] });
  const promoted = await admin.post(`${base}/promote`, { params: { tenant: 'tenant-prod' } });
  expect(promoted.status).toBe(201);
  await platform.runtime.publisher.refresh();

  const prodToken = await token(`mobile-production-${application.id}`, secrets.production);
  const prodOk = await fetch(`${prodGateway.url}/${org.handle}/orders/v1/items/7`, { headers: { authorization: `Bearer ${prodToken}` } });
  expect(prodOk.status).toBe(200);
  expect(await prodOk.json()).toMatchObject({ backend: 'prod', url: '/items/7', headers: { 'x-tenant': 'tenant-prod' } });

  // 5. A development token does not work on production.
  const crossed = await fetch(`${prodGateway.url}/${org.handle}/orders/v1/items/7`, { headers: { authorization: `Bearer ${devToken}` } });
  expect(crossed.status).toBe(401);
  expect(crossed.headers.get('www-authenticate')).toContain('error="invalid_token"');

  // 6. Revoked: refused once the next snapshot is in place.
  const revoke = await fetch(`${platform.url}/oauth2/revoke`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`mobile-development-${application.id}:${secrets.development}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${devToken}`,
  });
  expect(revoke.status).toBe(200);
  await platform.runtime.publisher.refresh();
  const revoked = await fetch(`${devGateway.url}/${org.handle}/orders/v1/items/42`, { headers: { authorization: `Bearer ${devToken}` } });
  expect(revoked.status).toBe(401);
  expect(revoked.headers.get('www-authenticate')).toContain('error="invalid_token"');

  // 7. Unsubscribed: refused from the next snapshot on.
  const subs = await admin.get(`${orgPath}/subscriptions?applicationId=${application.id}`);
  expect((await admin.delete(`${orgPath}/subscriptions/${subs.body[0].id}`)).status).toBe(204);
  await platform.runtime.publisher.refresh();
  const unsubscribed = await fetch(`${prodGateway.url}/${org.handle}/orders/v1/items/7`, { headers: { authorization: `Bearer ${prodToken}` } });
  expect(unsubscribed.status).toBe(403);
  expect((await admin.post(`${orgPath}/subscriptions`, { applicationId: application.id, api: 'default/orders' })).status).toBe(201);
  await platform.runtime.publisher.refresh();

  // 8. A gateway started while the database is unreachable serves production from the snapshot saved on disk.
  const alone = await runStandaloneGateway({ ...platform.config, databaseUrl: 'postgres://drawbridge@127.0.0.1:1/unreachable' }, 'production', {
    port: 0,
    pollMs: 60_000,
    logger: createLogger('silent'),
  });
  try {
    const health = await fetch(`${alone.gateway.url}/_drawbridge/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok', environment: 'production', ready: true, snapshot: { source: 'disk' } });
    const fromDisk = await fetch(`${alone.gateway.url}/${org.handle}/orders/v1/items/9`, { headers: { authorization: `Bearer ${prodToken}` } });
    expect(fromDisk.status).toBe(200);
    expect(await fromDisk.json()).toMatchObject({ backend: 'prod', url: '/items/9', headers: { 'x-tenant': 'tenant-prod' } });
  } finally {
    await alone.close();
  }
});

it("lets a consumer linked to the organization's IdP call with that IdP's own token", async () => {
  const idp = await startTestIdp({ audience: 'https://orders.test' });
  try {
    const admin = platform.admin;
    const org = (await admin.post('/api/v1/orgs', { name: 'External Flow' })).body as { handle: string; id: string };
    const orgPath = `/api/v1/orgs/${org.handle}`;
    await admin.post(`${orgPath}/projects/default/components`, { type: 'api-proxy', name: 'orders', displayName: 'Orders' });
    const base = `${orgPath}/projects/default/components/orders/api`;
    expect((await admin.put(base, { contextPath: '/orders', version: 'v1', resources: [{ method: 'GET', path: '/items/{id}' }], backendUrls: { development: dev.url } })).status).toBe(201);
    expect((await admin.post(`${base}/deployments`, { environment: 'development' })).status).toBe(201);
    await admin.post(`${base}/lifecycle`, { state: 'published' });

    const registered = await admin.post(`${orgPath}/identity-providers`, { name: 'corp', kind: 'generic-oidc', wellKnownUrl: idp.wellKnownUrl, audiences: [idp.audience] });
    expect(registered.status).toBe(201);
    const application = await platform.store.applications.create({ orgId: org.id, name: 'partner' });
    const [devEnv] = await platform.store.orgs.environments(org.id);
    await platform.store.credentials.createExternal({ orgId: org.id, applicationId: application.id, environmentId: devEnv!.id, idpId: registered.body.id, externalClientId: idp.clientId });
    expect((await admin.post(`${orgPath}/subscriptions`, { applicationId: application.id, api: 'default/orders' })).status).toBe(201);
    await platform.runtime.publisher.refresh();

    const gateway = platform.runtime.gateway('development')!;
    const external = await idp.clientCredentialsToken();
    const ok = await fetch(`${gateway.url}/${org.handle}/orders/v1/items/5`, { headers: { authorization: `Bearer ${external}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ backend: 'dev', url: '/items/5' });

    // Signed by the IdP, but for a client no application is linked to.
    const stranger = await idp.sign({ sub: 'someone', aud: idp.audience, client_id: 'not-linked' });
    const refused = await fetch(`${gateway.url}/${org.handle}/orders/v1/items/5`, { headers: { authorization: `Bearer ${stranger}` } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer realm="drawbridge", error="invalid_token", error_description="The client not-linked is not linked to an application in this environment"',
    );
    expect(await refused.json()).toEqual({ error: 'invalid_token', error_description: 'The client not-linked is not linked to an application in this environment' });
  } finally {
    await idp.close();
  }
});
