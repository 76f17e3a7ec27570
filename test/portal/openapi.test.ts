import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from '../helpers/platform.js';
import { echoBackend, portalOrg, publishedApi, startPortalPlatform, type PortalOrg } from './setup.js';

/**
 * The developer portal's OpenAPI documents (GET /portal/apis/:api/openapi)
 * over real HTTP: an imported document as given (or converted to JSON), a
 * generated one for an API defined by hand, and the portal's visibility rules.
 */

const petsYaml = `openapi: 3.1.0
info:
  title: Pets   # kept as given
  version: 1.0.0
paths:
  /pets:
    get:
      summary: List pets
      security:
        - oauth: [pets:read]
`;

let platform: TestPlatform;
let backend: Awaited<ReturnType<typeof echoBackend>>;
let org: PortalOrg;
let other: PortalOrg;
let orders: { id: string; ref: string };
let pets: { id: string; ref: string };
let hidden: { id: string; ref: string };
let draft: string;

const raw = (client: { token?: string }, path: string) => fetch(platform.url + path, { headers: { authorization: `Bearer ${client.token}` } });

beforeAll(async () => {
  [platform, backend] = await Promise.all([startPortalPlatform(), echoBackend()]);
  [org, other] = [await portalOrg(platform), await portalOrg(platform)];
  orders = await publishedApi(platform, org, 'orders', backend.url);
  hidden = await publishedApi(platform, org, 'hidden', backend.url, { visibility: 'private' });
  pets = await publishedApi(platform, org, 'pets', backend.url);
  const imported = await platform.admin.post(`${org.path}/projects/default/components/pets/api/import`, { document: petsYaml });
  expect(imported.status, imported.text).toBe(200);
  const component = await platform.admin.post(`${org.path}/projects/default/components`, { type: 'api-proxy', name: 'draft', displayName: 'Draft API' });
  draft = component.body.id;
  expect(
    (await platform.admin.put(`${org.path}/projects/default/components/draft/api`, { contextPath: '/draft', version: 'v1', resources: [{ method: 'GET', path: '/x' }], backendUrls: {} })).status,
  ).toBe(201);
});
afterAll(async () => {
  await platform?.close();
  await backend?.close();
});

describe('portal OpenAPI documents', () => {
  it('serves an imported YAML document exactly as given, or converted to JSON with ?format=json', async () => {
    const res = await raw(org.developer, `${org.path}/portal/apis/${pets.id}/openapi`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    expect(res.headers.get('drawbridge-openapi-source')).toBe('imported');
    expect(await res.text()).toBe(petsYaml);
    const json = await org.developer.get(`${org.path}/portal/apis/${encodeURIComponent(pets.ref)}/openapi?format=json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(json.body).toEqual({
      openapi: '3.1.0',
      info: { title: 'Pets', version: '1.0.0' },
      paths: { '/pets': { get: { summary: 'List pets', security: [{ oauth: ['pets:read'] }] } } },
    });
  });

  it('serves a generated document for an API defined by hand, with its servers and the token endpoint', async () => {
    const res = await org.developer.get(`${org.path}/portal/apis/${orders.id}/openapi?format=json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('drawbridge-openapi-source')).toBe('generated');
    expect(res.body).toMatchObject({
      openapi: expect.stringMatching(/^3\./),
      info: { title: 'Orders API', version: 'v1' },
      servers: [
        { url: `${platform.runtime.gateway('development')!.url}/${org.handle}/orders/v1`, description: 'Development' },
        { url: `${platform.runtime.gateway('production')!.url}/${org.handle}/orders/v1`, description: 'Production' },
      ],
    });
    expect(Object.keys(res.body.paths)).toEqual(['/items/{id}']);
    expect(JSON.stringify(res.body)).toContain(`${platform.config.publicUrl}/oauth2/token`);
  });

  it("answers 404 like the portal's API page: a private API, an unpublished one, another organization's", async () => {
    const notFound = { code: 'not_found', message: 'API not found' };
    for (const id of [hidden.id, draft]) {
      const res = await org.developer.get(`${org.path}/portal/apis/${id}/openapi`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound);
    }
    expect((await other.developer.get(`${other.path}/portal/apis/${orders.id}/openapi`)).body).toEqual(notFound);
    expect((await other.developer.get(`${org.path}/portal/apis/${orders.id}/openapi`)).body).toEqual({ code: 'not_found', message: 'Organization not found' });
    // Admins see private APIs; a member on the allow-list too.
    expect((await platform.admin.get(`${org.path}/portal/apis/${hidden.id}/openapi`)).status).toBe(200);
    expect((await platform.admin.post(`${org.path}/portal/apis/${hidden.id}/access`, { email: org.developerEmail })).status).toBe(200);
    expect((await org.developer.get(`${org.path}/portal/apis/${hidden.id}/openapi`)).status).toBe(200);
  });

  it('refuses an unknown format', async () => {
    const res = await org.developer.get(`${org.path}/portal/apis/${orders.id}/openapi?format=xml`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
  });
});
