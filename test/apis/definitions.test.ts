import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { anotherApiProxy, apiProxyFixture, ordersApi } from './setup.js';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.close();
});

describe('defining an API', () => {
  it('defines, reads and replaces the API of an api-proxy component', async () => {
    const f = await apiProxyFixture(platform);
    const created = await platform.admin.put(f.base, { ...ordersApi(), visibility: 'private' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: f.componentId,
      project: 'default',
      component: 'orders',
      contextPath: '/orders',
      version: 'v1',
      visibility: 'private',
      lifecycle: 'created',
      backendUrls: { development: 'http://127.0.0.1:9/orders' },
      cors: null,
      policies: [],
    });
    expect(created.body.resources).toEqual([
      { method: 'GET', path: '/items', security: { oauth2: true, scopes: ['orders:read'] } },
      { method: 'GET', path: '/items/{id}', security: { oauth2: true, scopes: [] } },
      { method: 'POST', path: '/items', security: { oauth2: true, scopes: ['orders:write'] } },
      { method: 'GET', path: '/health', security: { oauth2: false, scopes: [] } },
    ]);
    expect(
      created.body.endpoints.map((e: { environment: string; url: string; deployedRevision: number | null }) => [e.environment, e.url.endsWith(`/${f.org}/orders/v1`), e.deployedRevision]),
    ).toEqual([
      ['development', true, null],
      ['production', true, null],
    ]);

    const read = await platform.admin.get(f.base);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const replaced = await platform.admin.put(f.base, { contextPath: '/orders', version: 'v2', resources: [{ method: 'GET', path: '/' }] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ version: 'v2', visibility: 'public', backendUrls: {}, resources: [{ method: 'GET', path: '/', security: { oauth2: true, scopes: [] } }] });

    const patched = await platform.admin.patch(f.base, { backendUrls: { production: 'https://orders.example.com/' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ version: 'v2', backendUrls: { production: 'https://orders.example.com' } });

    const list = await platform.admin.get(`/api/v1/orgs/${f.org}/apis`);
    expect(list.status).toBe(200);
    expect(list.body.map((a: { component: string; version: string }) => [a.component, a.version])).toEqual([['orders', 'v2']]);
  });

  it('answers 404 before the API is defined and for non-members', async () => {
    const f = await apiProxyFixture(platform);
    const missing = await platform.admin.get(f.base);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
    await platform.admin.put(f.base, ordersApi());
    const stranger = await platform.newUser(`stranger-${Date.now()}@example.com`);
    const res = await stranger.get(f.base);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'not_found', message: 'Organization not found' });
  });

  it('refuses an external-consumer component', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.post(`/api/v1/orgs/${f.org}/projects/default/components`, { type: 'external-consumer', name: 'mobile', displayName: 'Mobile' });
    const res = await platform.admin.put(`/api/v1/orgs/${f.org}/projects/default/components/mobile/api`, ordersApi());
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ code: 'unprocessable', message: 'Component "mobile" is an external-consumer; only api-proxy components define APIs', fields: { component: 'is not an api-proxy' } });
  });

  it('names the exact field of every invalid part', async () => {
    const f = await apiProxyFixture(platform);
    const badContext = await platform.admin.put(f.base, { ...ordersApi(), contextPath: 'orders' });
    expect(badContext.status).toBe(400);
    expect(badContext.body.fields).toEqual({ contextPath: expect.stringContaining('must match pattern') });

    const badPaths = await platform.admin.put(f.base, {
      ...ordersApi(),
      resources: [
        { method: 'GET', path: '/items/../admin' },
        { method: 'GET', path: 'items' },
        { method: 'GET', path: '/items/{id}' },
        { method: 'GET', path: '/items/{other}' },
        { method: 'GET', path: '/a//b' },
      ],
    });
    expect(badPaths.status).toBe(400);
    expect(badPaths.body).toEqual({
      code: 'validation_failed',
      message: expect.stringContaining('Invalid resources'),
      fields: {
        'resources[0].path': 'must not contain . or .. segments',
        'resources[1].path': 'must start with /',
        'resources[3]': 'duplicates resources[2] (GET /items/{id})',
        'resources[4].path': 'must not contain empty segments (//)',
      },
    });

    const badBackend = await platform.admin.put(f.base, { ...ordersApi(), backendUrls: { development: 'ftp://x', staging: 'http://x', production: 'http://${host' } });
    expect(badBackend.status).toBe(400);
    expect(badBackend.body.fields).toEqual({
      'backendUrls.development': 'must be an absolute http(s) URL without credentials, query or fragment',
      'backendUrls.staging': 'is not an environment of this organization (development, production)',
      'backendUrls.production': 'has a malformed ${parameter} reference',
    });

    const badCors = await platform.admin.put(f.base, { ...ordersApi(), cors: { allowOrigins: ['*', 'https://app.example.com/path'], allowCredentials: true } });
    expect(badCors.status).toBe(400);
    expect(badCors.body.fields).toEqual({
      'cors.allowOrigins[1]': 'must be * or an origin like https://app.example.com',
      'cors.allowCredentials': 'cannot be true when allowOrigins contains *',
    });
  });

  it('refuses a context path and version another API of the organization already serves', async () => {
    const f = await apiProxyFixture(platform);
    expect((await platform.admin.put(f.base, ordersApi())).status).toBe(201);
    const other = await anotherApiProxy(platform, f, 'orders-copy');
    const res = await platform.admin.put(other.base, ordersApi());
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 'conflict', message: 'Another API of this organization already serves /orders version v1', fields: { contextPath: 'is taken for this version' } });
    expect((await platform.admin.put(other.base, { ...ordersApi(), version: 'v2' })).status).toBe(201);
  });
});

describe('lifecycle', () => {
  it('goes created → published → deprecated → published, and refuses other moves', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    const back = await platform.admin.post(`${f.base}/lifecycle`, { state: 'deprecated' });
    expect(back.status).toBe(409);
    expect(back.body).toEqual({ code: 'conflict', message: 'An API that is created cannot become deprecated (allowed: published)', fields: { state: 'cannot go from created to deprecated' } });
    for (const state of ['published', 'deprecated', 'published']) {
      const res = await platform.admin.post(`${f.base}/lifecycle`, { state });
      expect(res.status).toBe(200);
      expect(res.body.lifecycle).toBe(state);
    }
    const unknown = await platform.admin.post(`${f.base}/lifecycle`, { state: 'retired' });
    expect(unknown.status).toBe(400);
  });

  it('refuses to publish an API without resources', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, { contextPath: '/empty', version: 'v1' });
    const res = await platform.admin.post(`${f.base}/lifecycle`, { state: 'published' });
    expect(res.status).toBe(409);
    expect(res.body.fields).toEqual({ resources: 'is empty' });
  });
});

describe('policies', () => {
  it('lists the catalogue from the gateway registry', async () => {
    const res = await platform.admin.get('/api/v1/policies');
    expect(res.status).toBe(200);
    const refs = res.body.map((p: { ref: string }) => p.ref);
    expect(refs).toEqual(expect.arrayContaining(['set-headers@1.0.0', 'remove-headers@1.0.0']));
    const setHeaders = res.body.find((p: { ref: string }) => p.ref === 'set-headers@1.0.0');
    expect(setHeaders.phases).toEqual(['request', 'response']);
    expect(setHeaders.fields[0]).toMatchObject({ name: 'headers', type: 'array', required: true });
    expect((await platform.api.get('/api/v1/policies')).status).toBe(401);
  });

  it('attaches a policy to chosen resources with ${param} values and detaches it', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    const res = await platform.admin.post(`${f.base}/policies`, {
      policy: 'set-headers@1.0.0',
      resources: ['GET /items/{id}'],
      config: { headers: [{ name: 'X-Tenant', value: '${tenant}' }] },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      policy: 'set-headers@1.0.0',
      resources: ['GET /items/{id}'],
      phase: 'request',
      config: { headers: [{ name: 'X-Tenant', value: '${tenant}' }] },
    });
    const api = await platform.admin.get(f.base);
    expect(api.body.policies).toEqual([res.body]);
    const del = await platform.admin.delete(`${f.base}/policies/${res.body.id}`);
    expect(del.status).toBe(204);
    expect((await platform.admin.get(f.base)).body.policies).toEqual([]);
    expect((await platform.admin.delete(`${f.base}/policies/${res.body.id}`)).status).toBe(404);
  });

  it('validates the config through the registry, naming the exact path', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    const owned = await platform.admin.post(`${f.base}/policies`, {
      policy: 'set-headers@1.0.0',
      config: {
        headers: [
          { name: 'X-Ok', value: '1' },
          { name: 'Host', value: 'evil' },
        ],
      },
    });
    expect(owned.status).toBe(400);
    expect(owned.body.fields).toEqual({ 'config.headers[1].name': 'header "Host" is managed by the gateway and cannot be used here' });

    const unknownSetting = await platform.admin.post(`${f.base}/policies`, { policy: 'set-headers@1.0.0', config: { headers: [{ name: 'X-A', value: '1' }], extra: true } });
    expect(unknownSetting.status).toBe(400);
    expect(unknownSetting.body.fields).toEqual({ 'config.extra': 'is not a known setting of this policy' });

    const unknownPolicy = await platform.admin.post(`${f.base}/policies`, { policy: 'no-such@1.0.0', config: {} });
    expect(unknownPolicy.status).toBe(400);
    expect(unknownPolicy.body.fields).toEqual({ policy: 'unknown policy "no-such" (see GET /api/v1/policies)' });

    const badVersion = await platform.admin.post(`${f.base}/policies`, { policy: 'set-headers@9.0.0', config: {} });
    expect(badVersion.body.fields).toEqual({ policy: 'policy set-headers has no version 9.0.0 (known: 1.0.0)' });

    const badResource = await platform.admin.post(`${f.base}/policies`, { policy: 'set-headers@1.0.0', resources: ['DELETE /items'], config: { headers: [{ name: 'X-A', value: '1' }] } });
    expect(badResource.body.fields).toEqual({ 'resources[0]': 'no resource "DELETE /items" in this API' });

    const malformed = await platform.admin.post(`${f.base}/policies`, { policy: 'set-headers@1.0.0', config: { headers: [{ name: 'X-A', value: '${ bad }' }] } });
    expect(malformed.body.fields).toEqual({ 'config.headers[0].value': 'has a malformed ${parameter} reference' });

    // A parameter standing for the header name is judged at deploy, not now.
    const deferred = await platform.admin.post(`${f.base}/policies`, { policy: 'set-headers@1.0.0', config: { headers: [{ name: '${headerName}', value: 'v' }] } });
    expect(deferred.status).toBe(201);
  });

  it('refuses a policy whose resource disappears when the resources are replaced', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    await platform.admin.post(`${f.base}/policies`, { policy: 'remove-headers@1.0.0', resources: ['GET /health'], config: { headers: ['x-debug'] } });
    const res = await platform.admin.patch(f.base, { resources: [{ method: 'GET', path: '/items' }] });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ 'policies[0].resources[0]': 'no resource "GET /health" in this API' });
  });
});
