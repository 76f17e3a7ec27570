import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture } from './setup.js';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.close();
});

const petstore = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1.0.0' },
  security: [{ oauth: ['pets:read'] }],
  paths: {
    '/pets': {
      get: { summary: 'List pets' },
      post: { operationId: 'createPet', security: [{ oauth: ['pets:write', 'pets:read'] }] },
    },
    '/pets/{petId}': {
      parameters: [{ name: 'petId', in: 'path', required: true }],
      get: { summary: 'One pet' },
      delete: { security: [{}] },
    },
    '/status': { get: { security: [] } },
  },
};

const petstoreYaml = `openapi: 3.1.0
info:
  title: Pets
  version: 1.0.0
paths:
  /pets:
    get:
      summary: List pets
      security:
        - oauth: [pets:read]
  /pets/{petId}:
    get:
      summary: One pet
`;

describe('importing resources from OpenAPI 3', () => {
  it('imports a JSON document (as an object) with its security requirements', async () => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.post(`${f.base}/import`, { document: petstore, contextPath: '/pets', version: 'v1' });
    expect(res.status).toBe(201);
    expect(res.body.resources).toEqual([
      { method: 'GET', path: '/pets', summary: 'List pets', security: { oauth2: true, scopes: ['pets:read'] } },
      { method: 'POST', path: '/pets', summary: 'createPet', security: { oauth2: true, scopes: ['pets:write', 'pets:read'] } },
      { method: 'GET', path: '/pets/{petId}', summary: 'One pet', security: { oauth2: true, scopes: ['pets:read'] } },
      { method: 'DELETE', path: '/pets/{petId}', security: { oauth2: false, scopes: [] } },
      { method: 'GET', path: '/status', security: { oauth2: false, scopes: [] } },
    ]);
    expect(res.body).toMatchObject({ contextPath: '/pets', version: 'v1', lifecycle: 'created' });
  });

  it('imports YAML text into an existing definition, keeping its other settings', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, { contextPath: '/pets', version: 'v2', backendUrls: { development: 'http://127.0.0.1:9' }, resources: [{ method: 'PUT', path: '/old' }] });
    const res = await platform.admin.post(`${f.base}/import`, { document: petstoreYaml });
    expect(res.status).toBe(200);
    expect(res.body.resources).toEqual([
      { method: 'GET', path: '/pets', summary: 'List pets', security: { oauth2: true, scopes: ['pets:read'] } },
      // No security anywhere: OAuth2 required, like a hand-defined resource.
      { method: 'GET', path: '/pets/{petId}', summary: 'One pet', security: { oauth2: true, scopes: [] } },
    ]);
    expect(res.body).toMatchObject({ contextPath: '/pets', version: 'v2', backendUrls: { development: 'http://127.0.0.1:9' } });
  });

  it('imports JSON text', async () => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.post(`${f.base}/import`, { document: JSON.stringify(petstore), contextPath: '/pets', version: 'v1' });
    expect(res.status).toBe(201);
    expect(res.body.resources).toHaveLength(5);
  });

  it('answers 422 saying where a YAML document is broken', async () => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.post(`${f.base}/import`, { document: 'openapi: 3.0.0\npaths:\n  /a:\n    get: [1, 2\n  /b: {}\n', contextPath: '/x', version: 'v1' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('unprocessable');
    expect(res.body.message).toMatch(/^The document is not valid JSON or YAML \(line \d+, column \d+\): /);
    expect(Object.keys(res.body.fields)).toEqual(['document']);
    expect(res.body.fields.document).toMatch(/^line \d+, column \d+: /);
  });

  it('answers 422 saying where a JSON document is broken', async () => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.post(`${f.base}/import`, { document: '{\n  "openapi": "3.0.0",\n  "paths": {\n    "/a": { "get": {} },,\n  }\n}', contextPath: '/x', version: 'v1' });
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/^The document is not valid JSON or YAML \(line 4, column \d+\)/);
  });

  it('answers 422 naming the element of a well-formed but invalid document', async () => {
    const f = await apiProxyFixture(platform);
    const cases: [unknown, Record<string, string>][] = [
      [{ swagger: '2.0', paths: {} }, { openapi: 'must be an OpenAPI 3.x version string (Swagger 2 documents are not supported)' }],
      [{ openapi: '3.0.0' }, { paths: 'must be an object' }],
      [{ openapi: '3.0.0', paths: {} }, { paths: 'has no operations' }],
      [{ openapi: '3.0.0', paths: { pets: { get: {} } } }, { 'paths.pets': 'must start with /' }],
      [{ openapi: '3.0.0', paths: { '/pets': { get: { security: [{ oauth: 'read' }] } } } }, { 'paths./pets.get.security[0].oauth': 'must be an array of scope names' }],
      [{ openapi: '3.0.0', paths: { '/pets': { get: 'nope' } } }, { 'paths./pets.get': 'must be an object' }],
    ];
    for (const [document, fields] of cases) {
      const res = await platform.admin.post(`${f.base}/import`, { document, contextPath: '/x', version: 'v1' });
      expect(res.status).toBe(422);
      expect(res.body.fields).toEqual(fields);
    }
    expect((await platform.admin.get(f.base)).status).toBe(404);
  });

  it('a document without any security requires OAuth2 everywhere; only an explicit security: [] (or {}) is anonymous', async () => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.post(`${f.base}/import`, {
      document: {
        openapi: '3.0.3',
        info: { title: 'Plain', version: '1' },
        paths: {
          '/a': { get: {}, post: { security: [] } },
          '/b': { get: { security: [{}] }, put: { security: [{ oauth: ['b:write'] }] } },
        },
      },
      contextPath: '/plain',
      version: 'v1',
    });
    expect(res.status).toBe(201);
    expect(res.body.resources).toEqual([
      { method: 'GET', path: '/a', security: { oauth2: true, scopes: [] } },
      { method: 'POST', path: '/a', security: { oauth2: false, scopes: [] } },
      { method: 'GET', path: '/b', security: { oauth2: false, scopes: [] } },
      { method: 'PUT', path: '/b', security: { oauth2: true, scopes: ['b:write'] } },
    ]);
  });

  it('a document-level security: [] makes operations without their own anonymous', async () => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.post(`${f.base}/import`, {
      document: { openapi: '3.1.0', security: [], paths: { '/open': { get: {} }, '/closed': { get: { security: [{ oauth: [] }] } } } },
      contextPath: '/open',
      version: 'v1',
    });
    expect(res.status).toBe(201);
    expect(res.body.resources).toEqual([
      { method: 'GET', path: '/open', security: { oauth2: false, scopes: [] } },
      { method: 'GET', path: '/closed', security: { oauth2: true, scopes: [] } },
    ]);
  });

  it('imports path parameters with hyphens and dots, and the gateway serves them', async () => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.post(`${f.base}/import`, {
      document: `openapi: 3.0.3
info: { title: Pets, version: '1' }
paths:
  /pets/{pet-id}:
    parameters:
      - { name: pet-id, in: path, required: true, schema: { type: string } }
    get:
      security: []
  /owners/{owner.id}/pets/{pet_id}:
    get:
      security: []
`,
      contextPath: '/hyphens',
      version: 'v1',
    });
    expect(res.status).toBe(201);
    expect(res.body.resources.map((r: { path: string }) => r.path)).toEqual(['/pets/{pet-id}', '/owners/{owner.id}/pets/{pet_id}']);
    // Hand-defined resources accept the same names.
    const hand = await apiProxyFixture(platform);
    expect((await platform.admin.put(hand.base, { contextPath: '/hand', version: 'v1', resources: [{ method: 'GET', path: '/x/{a-b}' }] })).status).toBe(201);
    await platform.admin.patch(f.base, { backendUrls: { development: 'http://127.0.0.1:9' } });
    const deploy = await platform.admin.post(`${f.base}/deployments`, { environment: 'development' });
    expect(deploy.status).toBe(201);
    const url = `${platform.runtime.gateway('development')!.url}/${f.org}/hyphens/v1/pets/7`;
    let status = 0;
    for (let i = 0; i < 100 && status !== 502; i++) {
      status = (await fetch(url)).status;
      if (status !== 502) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(502); // routed to the (closed) backend: 502, not 404
  });

  it('answers 422 naming both places when two operations are the same route', async () => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.post(`${f.base}/import`, {
      document: { openapi: '3.0.0', paths: { '/pets/{id}': { get: {}, delete: {} }, '/pets/{petId}': { put: {}, get: {} } } },
      contextPath: '/dup',
      version: 'v1',
    });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      code: 'unprocessable',
      message: 'The OpenAPI document is invalid at paths./pets/{petId}.get: duplicates paths./pets/{id}.get (the same method on the same route)',
      fields: { 'paths./pets/{petId}.get': 'duplicates paths./pets/{id}.get (the same method on the same route)' },
    });
    expect((await platform.admin.get(f.base)).status).toBe(404);
  });

  it('needs a context path and version when the API is not defined yet', async () => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.post(`${f.base}/import`, { document: petstore });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ contextPath: 'is required', version: 'is required' });
  });
});
