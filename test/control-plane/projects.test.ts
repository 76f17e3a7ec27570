import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

let p: TestPlatform;
let handle: string;
const base = () => `/api/v1/orgs/${handle}/projects`;

beforeAll(async () => {
  p = await startTestPlatform();
  handle = (await p.admin.post('/api/v1/orgs', { name: 'Project Org' })).body.handle;
});
afterAll(() => p.close());

const project = (overrides: Record<string, unknown>) => ({
  id: expect.any(String),
  description: '',
  isDefault: false,
  createdAt: expect.any(String),
  updatedAt: expect.any(String),
  ...overrides,
});

describe('projects', () => {
  it('start with the default project', async () => {
    const res = await p.admin.get(base());
    expect(res.status).toBe(200);
    expect(res.body).toEqual([project({ name: 'default', displayName: 'Default project', isDefault: true })]);
  });

  it('are created with a slug name, optional display name and description', async () => {
    const res = await p.admin.post(base(), { name: 'payments', displayName: 'Payments', description: 'Money in, money out' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual(project({ name: 'payments', displayName: 'Payments', description: 'Money in, money out' }));
    const bare = await p.admin.post(base(), { name: 'bare' });
    expect(bare.body).toEqual(project({ name: 'bare', displayName: 'bare' }));
    expect((await p.admin.get(base())).body.map((x: { name: string }) => x.name)).toEqual(['bare', 'default', 'payments']);
  });

  it('answers 409 for a name that exists', async () => {
    const res = await p.admin.post(base(), { name: 'payments' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 'conflict', message: 'A project named "payments" already exists', fields: { name: 'is taken' } });
  });

  it('refuses names that are not slugs and wrong types with 400', async () => {
    const res = await p.admin.post(base(), { name: 'Payments!', displayName: 7 });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(Object.keys(res.body.fields).sort()).toEqual(['displayName', 'name']);
  });

  it('gets one project, 404 for an unknown one', async () => {
    expect((await p.admin.get(`${base()}/payments`)).body).toEqual(project({ name: 'payments', displayName: 'Payments', description: 'Money in, money out' }));
    const missing = await p.admin.get(`${base()}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: 'not_found', message: 'Project not found' });
  });

  it('updates display name and description; the name is immutable (422)', async () => {
    const res = await p.admin.patch(`${base()}/payments`, { displayName: 'Payments team', description: '' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(project({ name: 'payments', displayName: 'Payments team', description: '' }));
    const same = await p.admin.patch(`${base()}/payments`, { name: 'payments', description: 'same name is fine' });
    expect(same.status).toBe(200);
    const rename = await p.admin.patch(`${base()}/payments`, { name: 'billing' });
    expect(rename.status).toBe(422);
    expect(rename.body).toEqual({ code: 'unprocessable', message: "A project's name cannot be changed", fields: { name: 'is immutable' } });
    const blank = await p.admin.patch(`${base()}/payments`, { displayName: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body).toEqual({ code: 'validation_failed', message: 'The display name must not be blank', fields: { displayName: 'must not be blank' } });
  });

  it('deletes an empty project', async () => {
    const res = await p.admin.delete(`${base()}/bare`);
    expect(res.status).toBe(204);
    expect((await p.admin.get(`${base()}/bare`)).status).toBe(404);
    expect((await p.admin.delete(`${base()}/bare`)).status).toBe(404);
  });

  it('refuses to delete a project that still has components (409)', async () => {
    await p.admin.post(`${base()}/payments/components`, { type: 'api-proxy', name: 'ledger', displayName: 'Ledger' });
    const res = await p.admin.delete(`${base()}/payments`);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 'conflict', message: 'Project "payments" still has 1 component(s); delete them first' });
    expect((await p.admin.get(`${base()}/payments/components/ledger`)).status).toBe(200);
  });

  it('refuses to delete the default project (409)', async () => {
    const res = await p.admin.delete(`${base()}/default`);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 'conflict', message: 'The default project cannot be deleted' });
  });

  it('records creation, update and deletion in the audit log', async () => {
    const events = (await p.admin.get(`/api/v1/orgs/${handle}/audit`)).body as { action: string; details: { name?: string } }[];
    const projectEvents = events.filter((e) => e.action.startsWith('project.')).map((e) => `${e.action}:${e.details.name}`);
    expect(projectEvents.sort()).toEqual(['project.created:bare', 'project.created:payments', 'project.deleted:bare', 'project.updated:payments', 'project.updated:payments']);
  });
});
