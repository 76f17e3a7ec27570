import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotFile } from '../../src/gateway/holder.js';
import { registerPolicy } from '../../src/gateway/policies/index.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { anotherApiProxy, apiProxyFixture, type ApiFixture } from './setup.js';

/**
 * What a deploy accepts, the gateway serves: the control plane and the
 * gateway apply the same rules, a deploy runs the gateway's own compiler on
 * the environment first, and the gateway leaves out one bad API instead of
 * refusing every later snapshot of the environment.
 */

const RULE = 'must be an absolute http(s) URL without credentials, query or fragment';

// A policy that validates but cannot start with mode "boom": only the gateway's compiler finds out.
registerPolicy({
  schema: {
    name: 'agreement-test',
    version: '1.0.0',
    displayName: 'Test',
    description: 'Test policy',
    phases: ['request'],
    fields: [{ name: 'mode', type: 'string', description: 'mode', required: true }],
  },
  create: (config: { mode: string }) => {
    if (config.mode === 'boom') throw new Error('mode boom needs a device this gateway does not have');
    return { onRequest() {} };
  },
});

let platform: TestPlatform;
let idp: TestIdp;
let backend: Server;
let backendUrl: string;
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
beforeAll(async () => {
  platform = await startTestPlatform({ env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' } });
  idp = await startTestIdp();
  backend = createServer((req, res) => {
    seen.push({ url: req.url!, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url }));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await platform?.close();
  await idp?.close();
  await new Promise((r) => backend?.close(r));
});

const open = { oauth2: false };

async function defineAndDeploy(f: ApiFixture, contextPath: string, version: string, path: string, params?: Record<string, unknown>) {
  const put = await platform.admin.put(f.base, { contextPath, version, resources: [{ method: 'GET', path, security: open }], backendUrls: { development: `${backendUrl}/${f.componentId}` } });
  expect(put.status, put.text).toBeLessThan(300);
  const dep = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', ...(params && { params }) });
  expect(dep.status, dep.text).toBe(201);
}

/** Publishes now and calls the development gateway. */
async function callGateway(path: string): Promise<{ status: number; body: any }> {
  await platform.runtime.publisher.refresh();
  const res = await fetch(platform.runtime.gateway('development')!.url + path);
  return { status: res.status, body: await res.json() };
}

describe('backend URLs: one rule on both sides (no query string)', () => {
  it('refuses a query string or fragment when the API is defined and when a parameter resolves to one', async () => {
    const f = await apiProxyFixture(platform);
    const defined = await platform.admin.put(f.base, {
      contextPath: '/q',
      version: 'v1',
      resources: [{ method: 'GET', path: '/' }],
      backendUrls: { development: 'http://b/x?a=1', production: 'http://${host}/x?a=${a}' },
    });
    expect(defined.status).toBe(400);
    expect(defined.body).toEqual({
      code: 'validation_failed',
      message: `Invalid backend URLs: backendUrls.development ${RULE}; backendUrls.production ${RULE}`,
      fields: { 'backendUrls.development': RULE, 'backendUrls.production': RULE },
    });
    await platform.admin.put(f.base, { contextPath: '/q', version: 'v1', resources: [{ method: 'GET', path: '/', security: open }], backendUrls: { development: '${backend}' } });
    const deployed = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { backend: 'http://127.0.0.1:9/x?a=1' } });
    expect(deployed.status).toBe(422);
    expect(deployed.body).toEqual({ code: 'unprocessable', message: `The backend URL ${RULE}`, fields: { backendUrl: RULE } });
    expect((await platform.admin.get(`${f.base}/deployments`)).body).toEqual([]);

    // The environment keeps taking new deployments (another organization's, here).
    const other = await apiProxyFixture(platform);
    await defineAndDeploy(other, '/after-query', 'v1', '/');
    expect(await callGateway(`/${other.org}/after-query/v1`)).toEqual({ status: 200, body: { url: `/${other.componentId}` } });
  });
});

describe('identity providers of one organization sharing an issuer', () => {
  it("two providers with the same issuer and different audiences do not stop the environment's snapshots", async () => {
    const f = await apiProxyFixture(platform);
    for (const [name, audience] of [
      ['okta-a', 'api://a'],
      ['okta-b', 'api://b'],
    ]) {
      const created = await platform.admin.post(`/api/v1/orgs/${f.org}/identity-providers`, { name, kind: 'generic-oidc', issuer: idp.issuer, jwksUri: idp.jwksUri, audiences: [audience] });
      expect(created.status, created.text).toBe(201);
    }
    await defineAndDeploy(f, '/after-idp', 'v1', '/');
    expect(await callGateway(`/${f.org}/after-idp/v1`)).toEqual({ status: 200, body: { url: `/${f.componentId}` } });
    const other = await apiProxyFixture(platform);
    await defineAndDeploy(other, '/after-idp', 'v1', '/');
    expect(await callGateway(`/${other.org}/after-idp/v1`)).toEqual({ status: 200, body: { url: `/${other.componentId}` } });
  });
});

describe('overlapping base paths', () => {
  it('are refused when an API is defined or changed: /orders + v1 next to /orders/v1 + x', async () => {
    const f = await apiProxyFixture(platform);
    await defineAndDeploy(f, '/orders', 'v1', '/x');
    const b = await anotherApiProxy(platform, f, 'inner');
    const inner = await platform.admin.put(b.base, { contextPath: '/orders/v1', version: 'x', resources: [{ method: 'GET', path: '/', security: open }] });
    expect(inner.status).toBe(409);
    expect(inner.body).toEqual({
      code: 'conflict',
      message: "/orders/v1/x overlaps /orders/v1 (API orders): one API's context path and version may not lie inside another's",
      fields: { contextPath: 'overlaps /orders/v1' },
    });
    const outer = await platform.admin.put(b.base, { contextPath: '/orders', version: 'v1', resources: [] });
    expect(outer.status).toBe(409);
    expect(outer.body).toEqual({ code: 'conflict', message: 'Another API of this organization already serves /orders version v1', fields: { contextPath: 'is taken for this version' } });
    // Siblings and look-alike prefixes are fine.
    expect((await platform.admin.put(b.base, { contextPath: '/orders', version: 'v2', resources: [] })).status).toBe(201);
    expect((await platform.admin.patch(b.base, { contextPath: '/orders-eu', version: 'v1' })).status).toBe(200);
    expect((await platform.admin.patch(b.base, { contextPath: '/orders' })).status).toBe(409);
  });

  it('are refused at deploy against what the environment runs, leaving the running deployments untouched', async () => {
    const f = await apiProxyFixture(platform, platform.admin, 'inner');
    await defineAndDeploy(f, '/orders/v1', 'x', '/');
    // The running revision keeps /orders/v1/x although the definition moved on.
    expect((await platform.admin.patch(f.base, { contextPath: '/elsewhere' })).status).toBe(200);
    const a = await anotherApiProxy(platform, f, 'orders');
    expect(
      (await platform.admin.put(a.base, { contextPath: '/orders', version: 'v1', resources: [{ method: 'GET', path: '/x', security: open }], backendUrls: { development: backendUrl } })).status,
    ).toBe(201);
    const refused = await platform.admin.post(`${a.base}/deployments`, { environment: 'development' });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      code: 'conflict',
      message: '/orders/v1 overlaps /orders/v1/x, which API inner serves in "development": one API\'s context path and version may not lie inside another\'s',
      fields: { contextPath: 'overlaps /orders/v1/x (API inner)' },
    });
    expect((await platform.admin.get(`${a.base}/deployments`)).body).toEqual([]);
    expect(await callGateway(`/${f.org}/orders/v1/x`)).toEqual({ status: 200, body: { url: `/${f.componentId}` } });
  });
});

describe("a deploy runs the gateway's own compiler first", () => {
  it('refuses what the gateway would leave out, and the running deployment stays', async () => {
    const f = await apiProxyFixture(platform);
    const put = await platform.admin.put(f.base, {
      contextPath: '/trial',
      version: 'v1',
      resources: [{ method: 'GET', path: '/', security: open }],
      backendUrls: { development: backendUrl },
      policies: [{ policy: 'agreement-test@1.0.0', config: { mode: '${mode}' } }],
    });
    expect(put.status, put.text).toBe(201);
    expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { mode: 'fine' } })).status).toBe(201);
    const refused = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { mode: 'boom' } });
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({
      code: 'unprocessable',
      message: 'The gateway would not serve this deployment: resources[0].policies[0]: cannot be set up: mode boom needs a device this gateway does not have',
      fields: { 'resources[0].policies[0]': 'cannot be set up: mode boom needs a device this gateway does not have' },
    });
    const history = await platform.admin.get(`${f.base}/deployments?environment=development`);
    expect(history.body.map((d: { status: string; params: unknown }) => [d.status, d.params])).toEqual([['active', { mode: { secret: false, value: 'fine' } }]]);
    expect(await callGateway(`/${f.org}/trial/v1`)).toEqual({ status: 200, body: { url: '/' } });
  });
});

describe('secret parameters in the snapshot file', () => {
  it('a secret used in a set-headers value and in the backend URL is sealed on disk and opened by the gateway', async () => {
    const f = await apiProxyFixture(platform);
    const secret = 'k3y-7d1f0c2a-never-on-disk';
    const put = await platform.admin.put(f.base, {
      contextPath: '/sealed',
      version: 'v1',
      resources: [{ method: 'GET', path: '/x', security: open }],
      backendUrls: { development: `${backendUrl}/tenants/\${apiKey}` },
      policies: [
        {
          policy: 'set-headers@1.0.0',
          config: {
            headers: [
              { name: 'X-Api-Key', value: '${apiKey}' },
              { name: 'X-Both', value: '${tenant}:${apiKey}' },
              { name: 'X-Tenant', value: '${tenant}' },
            ],
          },
        },
      ],
    });
    expect(put.status, put.text).toBe(201);
    const dep = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { tenant: 'acme', apiKey: { value: secret, secret: true } } });
    expect(dep.status, dep.text).toBe(201);
    seen.length = 0;
    expect(await callGateway(`/${f.org}/sealed/v1/x`)).toEqual({ status: 200, body: { url: `/tenants/${secret}/x` } });
    expect(seen[0]!.headers).toMatchObject({ 'x-api-key': secret, 'x-both': `acme:${secret}`, 'x-tenant': 'acme' });

    await platform.runtime.gateway('development')!.status();
    const text = readFileSync(snapshotFile(platform.config.dataDir, 'development'), 'utf8');
    expect(text).toContain(f.componentId);
    expect(text).not.toContain(secret);
    const api = (JSON.parse(text).apis as any[]).find((a) => a.id === f.componentId);
    expect(api.backendUrl).toEqual({ $sealed: expect.stringMatching(/^v1\./) });
    expect(api.resources[0].policies[0].config.headers).toEqual([
      { name: 'x-api-key', value: { $sealed: expect.stringMatching(/^v1\./) } },
      { name: 'x-both', value: { $sealed: expect.stringMatching(/^v1\./) } },
      { name: 'x-tenant', value: 'acme' },
    ]);
  });
});

describe('path templates: one grammar on both sides', () => {
  it('a template the control plane accepts never fails the gateway compile', async () => {
    const f = await apiProxyFixture(platform);
    // `..;x` is `..` to Tomcat and Spring; the gateway refuses such request paths, so such a route could never be served.
    const refused = await platform.admin.put(f.base, {
      contextPath: '/tpl',
      version: 'v1',
      resources: [
        { method: 'GET', path: '/a/..;x', security: open },
        { method: 'GET', path: '/b/.;y', security: open },
      ],
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      code: 'validation_failed',
      message: 'Invalid resources: resources[0].path segment "..;x": dot segment with parameters in path; resources[1].path segment ".;y": dot segment with parameters in path',
      fields: { 'resources[0].path': 'segment "..;x": dot segment with parameters in path', 'resources[1].path': 'segment ".;y": dot segment with parameters in path' },
    });

    const edges = ['/a/...;x', '/a/..x;y', '/.well-known', "/s/!$&'()*+,;=:@-._~", '/p/{pet-id}/{pet.id}/{_x}'];
    const put = await platform.admin.put(f.base, {
      contextPath: '/tpl',
      version: 'v1',
      resources: edges.map((path) => ({ method: 'GET', path, security: open })),
      backendUrls: { development: `${backendUrl}/${f.componentId}` },
    });
    expect(put.status, put.text).toBe(201);
    const dep = await platform.admin.post(`${f.base}/deployments`, { environment: 'development' });
    expect(dep.status, dep.text).toBe(201);
    for (const path of [...edges.slice(0, 4), '/p/1/2/3']) {
      expect(await callGateway(`/${f.org}/tpl/v1${path}`), path).toEqual({ status: 200, body: { url: `/${f.componentId}${path}` } });
    }
  });
});
