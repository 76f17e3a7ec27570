import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, startTestPlatform, type Api, type TestPlatform } from '../helpers/platform.js';

let p: TestPlatform;
let handle: string;
let dev: Api;
const base = (project = 'default') => `/api/v1/orgs/${handle}/projects/${project}/components`;

beforeAll(async () => {
  p = await startTestPlatform();
  handle = (await p.admin.post('/api/v1/orgs', { name: 'Component Org' })).body.handle;
  const invited = await p.admin.post(`/api/v1/orgs/${handle}/members`, { email: 'comp-dev@example.com', role: 'developer' });
  dev = await signIn(p.api, 'comp-dev@example.com', invited.body.temporaryPassword);
});
afterAll(() => p.close());

const component = (overrides: Record<string, unknown>) => ({
  id: expect.any(String),
  project: 'default',
  description: '',
  createdAt: expect.any(String),
  updatedAt: expect.any(String),
  ...overrides,
});
const environments = [
  { name: 'development', displayName: 'Development', position: 0 },
  { name: 'production', displayName: 'Production', position: 1 },
];
/** External consumers' overviews also carry each environment's authentication (owned and tested by the token service). */
const consumerEnvironments = environments.map((e) => ({ ...e, authentication: expect.objectContaining({ environment: e.name }) }));

describe('components', () => {
  it('creating an external consumer answers with its overview across environments', async () => {
    const res = await dev.post(base(), { type: 'external-consumer', name: 'mobile-app', displayName: 'Mobile app', description: 'iOS and Android' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ ...component({ type: 'external-consumer', name: 'mobile-app', displayName: 'Mobile app', description: 'iOS and Android' }), environments: consumerEnvironments });
  });

  it('creates an API proxy', async () => {
    const res = await dev.post(base(), { type: 'api-proxy', name: 'orders-api', displayName: 'Orders API' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ ...component({ type: 'api-proxy', name: 'orders-api', displayName: 'Orders API' }), environments });
  });

  it('answers 409 for a name taken in the same project, but allows it in another project', async () => {
    const res = await dev.post(base(), { type: 'api-proxy', name: 'mobile-app', displayName: 'Again' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 'conflict', message: 'A component named "mobile-app" already exists in project "default"', fields: { name: 'is taken' } });
    await dev.post(`/api/v1/orgs/${handle}/projects`, { name: 'other' });
    const elsewhere = await dev.post(base('other'), { type: 'external-consumer', name: 'mobile-app', displayName: 'Mobile app' });
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.project).toBe('other');
  });

  it('refuses an unknown type, a non-slug name, a missing display name and unknown properties', async () => {
    const res = await dev.post(base(), { type: 'database', name: 'Bad_Name', secret: 'x' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.fields).toEqual({
      type: 'must be equal to one of the allowed values',
      name: expect.stringContaining('must match pattern'),
      displayName: 'is required',
      secret: 'is not a known property',
    });
  });

  it('lists components, filtered by type', async () => {
    const all = await dev.get(base());
    expect(all.status).toBe(200);
    expect(all.body.map((c: { name: string }) => c.name)).toEqual(['mobile-app', 'orders-api']);
    const consumers = await dev.get(`${base()}?type=external-consumer`);
    expect(consumers.body.map((c: { name: string }) => c.name)).toEqual(['mobile-app']);
    const proxies = await dev.get(`${base()}?type=api-proxy`);
    expect(proxies.body.map((c: { name: string }) => c.name)).toEqual(['orders-api']);
    const bad = await dev.get(`${base()}?type=robot`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', fields: { type: 'must be equal to one of the allowed values' } });
  });

  it('gets one component as its overview; 404 for unknown components and projects', async () => {
    const res = await dev.get(`${base()}/mobile-app`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...component({ type: 'external-consumer', name: 'mobile-app', displayName: 'Mobile app', description: 'iOS and Android' }), environments: consumerEnvironments });
    expect((await dev.get(`${base()}/nope`)).body).toEqual({ code: 'not_found', message: 'Component not found' });
    expect((await dev.get(`${base('nope')}/mobile-app`)).body).toEqual({ code: 'not_found', message: 'Project not found' });
  });

  it('the overview follows the promotion chain', async () => {
    await p.admin.post(`/api/v1/orgs/${handle}/environments`, { name: 'staging', gatewayUrl: 'https://staging.example.com', position: 1 });
    const res = await dev.get(`${base()}/mobile-app`);
    expect(res.body.environments.map((e: { name: string }) => e.name)).toEqual(['development', 'staging', 'production']);
  });

  it('updates display name and description; name and type are immutable (422)', async () => {
    const res = await dev.patch(`${base()}/orders-api`, { displayName: 'Orders', description: 'All orders' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(component({ type: 'api-proxy', name: 'orders-api', displayName: 'Orders', description: 'All orders' }));
    const rename = await dev.patch(`${base()}/orders-api`, { name: 'sales-api' });
    expect(rename.status).toBe(422);
    expect(rename.body).toEqual({ code: 'unprocessable', message: "A component's name cannot be changed", fields: { name: 'is immutable' } });
    const retype = await dev.patch(`${base()}/orders-api`, { type: 'external-consumer' });
    expect(retype.status).toBe(422);
    expect(retype.body).toEqual({ code: 'unprocessable', message: "A component's type cannot be changed", fields: { type: 'is immutable' } });
    expect((await dev.get(`${base()}/orders-api`)).body.name).toBe('orders-api');
    expect((await dev.patch(`${base()}/nope`, { displayName: 'x' })).status).toBe(404);
  });

  it('deletes a component', async () => {
    const res = await dev.delete(`${base()}/orders-api`);
    expect(res.status).toBe(204);
    expect((await dev.get(`${base()}/orders-api`)).status).toBe(404);
    const again = await dev.delete(`${base()}/orders-api`);
    expect([again.status, again.body]).toEqual([404, { code: 'not_found', message: 'Component not found' }]);
  });

  it('records every change with the acting user, without secrets', async () => {
    const events = (await p.admin.get(`/api/v1/orgs/${handle}/audit`)).body as { action: string; actor: string; details: Record<string, unknown> }[];
    const mine = events.filter((e) => e.action.startsWith('component.'));
    expect(mine.map((e) => e.action).sort()).toEqual(['component.created', 'component.created', 'component.created', 'component.deleted', 'component.updated']);
    expect(new Set(mine.map((e) => e.actor))).toEqual(new Set(['comp-dev@example.com']));
    expect(mine.find((e) => e.action === 'component.deleted')?.details).toEqual({ project: 'default', name: 'orders-api', type: 'api-proxy' });
  });
});

describe('who changes an external consumer', () => {
  let other: Api;
  beforeAll(async () => {
    const invited = await p.admin.post(`/api/v1/orgs/${handle}/members`, { email: 'comp-other@example.com', role: 'developer' });
    other = await signIn(p.api, 'comp-other@example.com', invited.body.temporaryPassword);
    expect((await dev.post(base(), { type: 'external-consumer', name: 'dev-owned', displayName: 'Dev owned' })).status).toBe(201);
    expect((await p.admin.post(base(), { type: 'external-consumer', name: 'admin-owned', displayName: 'Admin owned' })).status).toBe(201);
  });
  const REFUSED = { code: 'forbidden', message: "Only organization admins and the consumer's owner can change or delete it" };

  it("prevents a member who is neither admin nor owner from editing or deleting someone else's consumer (and so revoking its keys)", async () => {
    const edit = await other.patch(`${base()}/dev-owned`, { displayName: 'Taken over' });
    expect([edit.status, edit.body]).toEqual([403, REFUSED]);
    const del = await other.delete(`${base()}/dev-owned`);
    expect([del.status, del.body]).toEqual([403, REFUSED]);
    const byDev = await dev.delete(`${base()}/admin-owned`);
    expect([byDev.status, byDev.body]).toEqual([403, REFUSED]);
    expect((await other.get(`${base()}/dev-owned`)).body.displayName).toBe('Dev owned');
    expect((await other.get(`${base()}/admin-owned`)).status).toBe(200);
  });

  it('lets the owner and an admin edit and delete it; other components stay open to every member', async () => {
    const byOwner = await dev.patch(`${base()}/dev-owned`, { description: 'mine' });
    expect([byOwner.status, byOwner.body.description]).toEqual([200, 'mine']);
    const byAdmin = await p.admin.patch(`${base()}/dev-owned`, { description: 'checked' });
    expect([byAdmin.status, byAdmin.body.description]).toEqual([200, 'checked']);
    expect((await other.post(base(), { type: 'api-proxy', name: 'shared-api', displayName: 'Shared' })).status).toBe(201);
    expect((await dev.patch(`${base()}/shared-api`, { description: 'anyone' })).status).toBe(200);
    expect((await dev.delete(`${base()}/shared-api`)).status).toBe(204);
    expect((await dev.delete(`${base()}/dev-owned`)).status).toBe(204);
    expect((await p.admin.delete(`${base()}/admin-owned`)).status).toBe(204);
  });
});
