import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture, ordersApi } from './setup.js';

/**
 * The OpenAPI document of an API (GET …/api/openapi): the imported one as
 * given (JSON or YAML, from the body or a URL), or one generated from a
 * hand-made definition.
 */

let platform: TestPlatform;
let strict: TestPlatform;
let specs: Server;
let specsUrl: string;
let closedUrl: string;

const petsYaml = `openapi: 3.1.0
info:
  title: Pets   # the comment and spacing are kept
  version: 1.0.0
paths:
  /pets:
    get:
      summary: List pets
      security:
        - oauth: [pets:read]
`;

beforeAll(async () => {
  // Documents are fetched from loopback here, which the platform allows only with private IdP URLs allowed.
  platform = await startTestPlatform({ env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' } });
  strict = await startTestPlatform({ env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'false' } });
  specs = createServer((req, res) => {
    if (req.url === '/pets.yaml') res.writeHead(200, { 'content-type': 'application/yaml' }).end(petsYaml);
    else if (req.url === '/moved') res.writeHead(302, { location: '/pets.yaml' }).end();
    else if (req.url === '/broken.yaml') res.writeHead(200, { 'content-type': 'application/yaml' }).end('openapi: 3.0.0\npaths: [\n');
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('no such spec');
  });
  await new Promise<void>((resolve) => specs.listen(0, '127.0.0.1', resolve));
  specsUrl = `http://127.0.0.1:${(specs.address() as AddressInfo).port}`;
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/pets.yaml`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});
afterAll(async () => {
  specs?.close();
  await platform?.close();
  await strict?.close();
});

const raw = (p: TestPlatform, path: string) => fetch(p.url + path, { headers: { authorization: `Bearer ${p.admin.token}` } });

describe('the OpenAPI document of an API', () => {
  it('serves an imported YAML document exactly as given, or converted to JSON', async () => {
    const f = await apiProxyFixture(platform);
    const imported = await platform.admin.post(`${f.base}/import`, { document: petsYaml, contextPath: '/pets', version: 'v1' });
    expect(imported.status).toBe(201);
    expect(imported.body.document).toEqual({ source: 'imported', mediaType: 'application/yaml', sourceUrl: null, importedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

    const res = await raw(platform, `${f.base}/openapi`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    expect(res.headers.get('drawbridge-openapi-source')).toBe('imported');
    expect(await res.text()).toBe(petsYaml);

    const json = await raw(platform, `${f.base}/openapi?format=json`);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await json.json()).toEqual({
      openapi: '3.1.0',
      info: { title: 'Pets', version: '1.0.0' },
      paths: { '/pets': { get: { summary: 'List pets', security: [{ oauth: ['pets:read'] }] } } },
    });
  });

  it('keeps a JSON document given as an object as indented JSON, and JSON text as given', async () => {
    const f = await apiProxyFixture(platform);
    const doc = { openapi: '3.0.3', info: { title: 'Pets', version: '1' }, paths: { '/pets': { get: { security: [] } } } };
    expect((await platform.admin.post(`${f.base}/import`, { document: doc, contextPath: '/pets', version: 'v1' })).status).toBe(201);
    const asObject = await raw(platform, `${f.base}/openapi`);
    expect(asObject.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await asObject.text()).toBe(JSON.stringify(doc, null, 2));

    const text = '{"openapi":"3.0.3","info":{"title":"Pets","version":"1"},"paths":{"/pets":{"get":{}}}}';
    expect((await platform.admin.post(`${f.base}/import`, { document: text })).status).toBe(200);
    const asText = await raw(platform, `${f.base}/openapi?format=json`);
    expect(await asText.text()).toBe(text);
    expect((await platform.admin.get(f.base)).body.document).toMatchObject({ source: 'imported', mediaType: 'application/json' });
  });

  it('generates a document for an API defined by hand: servers per environment, OAuth2 scopes, path parameters', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    await platform.admin.patch(`/api/v1/orgs/${f.org}/projects/default/components/orders`, { description: 'Orders of the shop' });
    const view = (await platform.admin.get(f.base)).body;
    expect(view.document).toEqual({ source: 'generated', mediaType: 'application/json', sourceUrl: null, importedAt: null });
    const [dev, prod] = view.endpoints as { url: string }[];

    const res = await raw(platform, `${f.base}/openapi`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('drawbridge-openapi-source')).toBe('generated');
    const gatewayAnswers = {
      401: { description: 'No valid access token (answered by the gateway)' },
      403: { description: 'The token lacks a required scope, or its application is not subscribed (answered by the gateway)' },
    };
    expect(await res.json()).toEqual({
      openapi: '3.0.3',
      info: { title: 'Orders', version: 'v1', description: 'Orders of the shop' },
      servers: [
        { url: dev!.url, description: 'Development (not deployed)' },
        { url: prod!.url, description: 'Production (not deployed)' },
      ],
      paths: {
        '/items': {
          get: { operationId: 'get-items', security: [{ drawbridge: ['orders:read'] }], responses: { default: { description: "The backend's response" }, ...gatewayAnswers } },
          post: { operationId: 'post-items', security: [{ drawbridge: ['orders:write'] }], responses: { default: { description: "The backend's response" }, ...gatewayAnswers } },
        },
        '/items/{id}': {
          get: {
            operationId: 'get-items-by-id',
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
            security: [{ drawbridge: [] }],
            responses: { default: { description: "The backend's response" }, ...gatewayAnswers },
          },
        },
        '/health': { get: { operationId: 'get-health', security: [], responses: { default: { description: "The backend's response" } } } },
      },
      components: {
        securitySchemes: {
          drawbridge: {
            type: 'oauth2',
            description: "An access token from the platform's token service (client credentials of an application subscribed to this API)",
            flows: { clientCredentials: { tokenUrl: `${platform.config.publicUrl}/oauth2/token`, scopes: { 'orders:read': 'Scope orders:read', 'orders:write': 'Scope orders:write' } } },
          },
        },
      },
    });
  });

  it('names a deployed environment without "(not deployed)"', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'development' })).status).toBe(201);
    const doc = (await (await raw(platform, `${f.base}/openapi`)).json()) as { servers: { description: string }[]; paths: Record<string, unknown> };
    expect(doc.servers.map((s: { description: string }) => s.description)).toEqual(['Development', 'Production (not deployed)']);
  });

  it('keeps the imported document while the resources stay; redefining them switches to a generated one', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.post(`${f.base}/import`, { document: petsYaml, contextPath: '/pets', version: 'v1' });
    const patched = await platform.admin.patch(f.base, { backendUrls: { development: 'http://127.0.0.1:9' } });
    expect(patched.body.document.source).toBe('imported');
    const attached = await platform.admin.post(`${f.base}/policies`, { policy: 'set-headers@1.0.0', config: { headers: [{ name: 'X-A', value: 'b' }] } });
    expect(attached.status).toBe(201);
    expect((await platform.admin.get(f.base)).body.document.source).toBe('imported');

    const redefined = await platform.admin.patch(f.base, {
      resources: [
        { method: 'GET', path: '/pets' },
        { method: 'GET', path: '/cats' },
      ],
    });
    expect(redefined.status).toBe(200);
    expect(redefined.body.document).toEqual({ source: 'generated', mediaType: 'application/json', sourceUrl: null, importedAt: null });
    const doc = (await (await raw(platform, `${f.base}/openapi`)).json()) as { servers: { description: string }[]; paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(['/pets', '/cats']);
  });

  it('is 404 before the API is defined, and for non-members', async () => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.get(`${f.base}/openapi`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'not_found', message: 'API of component "orders" (define it first with PUT …/api) not found' });
    await platform.admin.put(f.base, ordersApi());
    const outsider = await platform.newUser(`outsider-${Date.now()}@example.com`);
    expect((await outsider.get(`${f.base}/openapi`)).body).toEqual({ code: 'not_found', message: 'Organization not found' });
  });
});

describe('importing from a URL', () => {
  it('fetches the document server-side, keeps it with its URL and serves it', async () => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.post(`${f.base}/import`, { url: `${specsUrl}/moved`, contextPath: '/pets', version: 'v1' });
    expect(res.status).toBe(201);
    expect(res.body.resources).toEqual([{ method: 'GET', path: '/pets', summary: 'List pets', security: { oauth2: true, scopes: ['pets:read'] } }]);
    expect(res.body.document).toEqual({ source: 'imported', mediaType: 'application/yaml', sourceUrl: `${specsUrl}/moved`, importedAt: expect.any(String) });
    expect(await (await raw(platform, `${f.base}/openapi`)).text()).toBe(petsYaml);
  });

  it('a URL that does not answer is a 502 naming url; a 404 too; nothing changes', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    const dead = await platform.admin.post(`${f.base}/import`, { url: closedUrl });
    expect(dead.status).toBe(502);
    expect(dead.body).toEqual({
      code: 'bad_gateway',
      message: `Fetching the OpenAPI document failed [connect_failed]: Cannot fetch ${new URL(closedUrl).origin}: ECONNREFUSED`,
      fields: { url: `Cannot fetch ${new URL(closedUrl).origin}: ECONNREFUSED` },
    });
    const missing = await platform.admin.post(`${f.base}/import`, { url: `${specsUrl}/nope.yaml` });
    expect(missing.status).toBe(502);
    expect(missing.body).toEqual({
      code: 'bad_gateway',
      message: `Fetching the OpenAPI document failed [http_status]: ${specsUrl} answered HTTP 404`,
      fields: { url: `${specsUrl} answered HTTP 404` },
    });
    const after = await platform.admin.get(f.base);
    expect(after.body.resources).toHaveLength(4);
    expect(after.body.document.source).toBe('generated');
  });

  it('a fetched document that is broken is a 422 saying where', async () => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.post(`${f.base}/import`, { url: `${specsUrl}/broken.yaml`, contextPath: '/pets', version: 'v1' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('unprocessable');
    expect(res.body.message).toMatch(/^The document is not valid JSON or YAML \(line 3, column 1\): /);
  });

  it('takes the document or a URL, exactly one', async () => {
    const f = await apiProxyFixture(platform);
    const both = await platform.admin.post(`${f.base}/import`, { url: `${specsUrl}/pets.yaml`, document: petsYaml, contextPath: '/pets', version: 'v1' });
    expect(both.status).toBe(400);
    expect(both.body).toEqual({ code: 'validation_failed', message: 'Give the OpenAPI document, or the url to fetch it from (one of them)', fields: { url: 'must not be given with document' } });
    const neither = await platform.admin.post(`${f.base}/import`, { contextPath: '/pets', version: 'v1' });
    expect(neither.status).toBe(400);
    expect(neither.body).toEqual({ code: 'validation_failed', message: 'Give the OpenAPI document, or the url to fetch it from (one of them)', fields: { document: 'is required without url' } });
  });

  it('refuses private addresses and plain http where private IdP URLs are not allowed', async () => {
    const f = await apiProxyFixture(strict);
    const http = await strict.admin.post(`${f.base}/import`, { url: `${specsUrl}/pets.yaml`, contextPath: '/pets', version: 'v1' });
    expect(http.status).toBe(422);
    expect(http.body).toEqual({
      code: 'unprocessable',
      message: 'Fetching the OpenAPI document failed [scheme_not_allowed]: Only https:// URLs are allowed (http:// only on loopback when private IdP URLs are allowed)',
      fields: { url: 'Only https:// URLs are allowed (http:// only on loopback when private IdP URLs are allowed)' },
    });
    const loopback = await strict.admin.post(`${f.base}/import`, { url: 'https://127.0.0.1:1/pets.yaml', contextPath: '/pets', version: 'v1' });
    expect(loopback.status).toBe(422);
    expect(loopback.body.fields.url).toMatch(/^127\.0\.0\.1 is a loopback address/);
    expect((await strict.admin.get(f.base)).status).toBe(404);
  });
});
