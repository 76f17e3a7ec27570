import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type Api, type TestPlatform } from '../helpers/platform.js';

/**
 * Org A's admin must not be able to read or change anything of org B. Every
 * attempt answers exactly like an organization that does not exist (404), so
 * other tenants' handles cannot even be probed; afterwards org B is unchanged.
 */
let p: TestPlatform;
let adminA: Api;
let adminB: Api;
let orgA: string;
let orgB: string;
let memberOfB: string;
let adminBId: string;

const NOT_FOUND = { code: 'not_found', message: 'Organization not found' };

async function snapshotOfB(): Promise<unknown> {
  const get = async (path: string) => (await adminB.get(`/api/v1/orgs/${orgB}${path}`)).body;
  return {
    org: await get(''),
    members: await get('/members'),
    environments: await get('/environments'),
    projects: await get('/projects'),
    components: await get('/projects/secret-project/components'),
    defaultComponents: await get('/projects/default/components'),
  };
}

let before: unknown;

beforeAll(async () => {
  p = await startTestPlatform();
  adminA = await p.newUser('admin-a@example.com');
  adminB = await p.newUser('admin-b@example.com');
  orgA = (await adminA.post('/api/v1/orgs', { name: 'Tenant A' })).body.handle;
  orgB = (await adminB.post('/api/v1/orgs', { name: 'Tenant B' })).body.handle;
  adminBId = (await adminB.get('/api/v1/me')).body.id;
  memberOfB = (await adminB.post(`/api/v1/orgs/${orgB}/members`, { email: 'dev-b@example.com', role: 'developer' })).body.userId;
  await adminB.post(`/api/v1/orgs/${orgB}/environments`, { name: 'staging', gatewayUrl: 'https://staging.b.example.com' });
  await adminB.post(`/api/v1/orgs/${orgB}/projects`, { name: 'secret-project', description: 'B only' });
  await adminB.post(`/api/v1/orgs/${orgB}/projects/secret-project/components`, { type: 'external-consumer', name: 'secret-app', displayName: 'Secret app' });
  before = await snapshotOfB();
});
afterAll(() => p.close());

type Case = [what: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: () => string, body?: unknown];

const cases: Case[] = [
  ['reading org B itself', 'GET', () => ''],
  ["listing org B's members", 'GET', () => '/members'],
  ['adding themselves to org B', 'POST', () => '/members', { email: 'admin-a@example.com', role: 'admin' }],
  ['inviting a new user into org B', 'POST', () => '/members', { email: 'spy@example.com', role: 'admin' }],
  ["changing the role of org B's member", 'PATCH', () => `/members/${memberOfB}`, { role: 'admin' }],
  ["demoting org B's admin", 'PATCH', () => `/members/${adminBId}`, { role: 'developer' }],
  ["removing org B's member", 'DELETE', () => `/members/${memberOfB}`],
  ["listing org B's environments", 'GET', () => '/environments'],
  ["reading one of org B's environments", 'GET', () => '/environments/production'],
  ['adding an environment to org B', 'POST', () => '/environments', { name: 'evil', gatewayUrl: 'https://evil.example.com' }],
  ["redirecting org B's gateway URL", 'PATCH', () => '/environments/production', { gatewayUrl: 'https://evil.example.com' }],
  ["reordering org B's promotion chain", 'PUT', () => '/environments/order', { names: ['production', 'staging', 'development'] }],
  ["listing org B's projects", 'GET', () => '/projects'],
  ["reading org B's project", 'GET', () => '/projects/secret-project'],
  ['creating a project in org B', 'POST', () => '/projects', { name: 'planted' }],
  ["changing org B's project", 'PATCH', () => '/projects/secret-project', { description: 'pwned' }],
  ["deleting org B's project", 'DELETE', () => '/projects/secret-project'],
  ["listing org B's components", 'GET', () => '/projects/secret-project/components'],
  ["reading org B's component overview", 'GET', () => '/projects/secret-project/components/secret-app'],
  ['creating a component in org B', 'POST', () => '/projects/default/components', { type: 'external-consumer', name: 'planted', displayName: 'Planted' }],
  ["changing org B's component", 'PATCH', () => '/projects/secret-project/components/secret-app', { displayName: 'pwned' }],
  ["deleting org B's component", 'DELETE', () => '/projects/secret-project/components/secret-app'],
  ["reading org B's audit log", 'GET', () => '/audit'],
];

describe("tenant isolation: org A's admin and org B", () => {
  it.each(cases)('prevents %s (%s)', async (_what, method, path, body) => {
    const res = await adminA.request(method, `/api/v1/orgs/${orgB}${path()}`, body);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  it('prevents probing: org B answers exactly like an organization that does not exist', async () => {
    for (const [, method, path, body] of cases) {
      const real = await adminA.request(method, `/api/v1/orgs/${orgB}${path()}`, body);
      const missing = await adminA.request(method, `/api/v1/orgs/no-such-org${path()}`, body);
      expect([real.status, real.text]).toEqual([missing.status, missing.text]);
    }
  });

  it('prevents any route under /orgs/{org}, including ones added later, from treating org B differently from a missing organization', async () => {
    const doc = (await p.api.get('/api/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const known: Record<string, string> = { project: 'secret-project', component: 'secret-app', env: 'production', environment: 'production', userId: memberOfB, user: memberOfB };
    // Real identifiers of org B where a route takes one, so a handler that looked them up outside the organization would show.
    const application = await adminB.get(`/api/v1/orgs/${orgB}/projects/secret-project/components/secret-app/application`);
    if (application.status === 200) known.app = application.body.id;
    const swept: string[] = [];
    for (const [template, operations] of Object.entries(doc.paths)) {
      if (!template.startsWith('/api/v1/orgs/{org}')) continue;
      for (const method of Object.keys(operations).map((m) => m.toUpperCase())) {
        const path = (org: string) => template.replace('{org}', org).replace(/\{(\w+)\}/g, (_, name: string) => known[name] ?? 'x');
        const body = ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined;
        const real = await adminA.request(method, path(orgB), body);
        const missing = await adminA.request(method, path('no-such-org'), body);
        expect(real.status, `${method} ${template}`).toBeGreaterThanOrEqual(400);
        expect([real.status, real.text], `${method} ${template}`).toEqual([missing.status, missing.text]);
        swept.push(`${method} ${template}`);
      }
    }
    expect(swept.length).toBeGreaterThanOrEqual(cases.length - 1);
  });

  it("prevents org B from appearing in org A's admin's organization list", async () => {
    const orgs = (await adminA.get('/api/v1/orgs')).body as { handle: string }[];
    expect(orgs.map((o) => o.handle)).toEqual([orgA]);
  });

  it("prevents reaching org B's member through org A's own members routes", async () => {
    for (const res of [await adminA.patch(`/api/v1/orgs/${orgA}/members/${memberOfB}`, { role: 'admin' }), await adminA.delete(`/api/v1/orgs/${orgA}/members/${adminBId}`)]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ code: 'not_found', message: 'Member not found' });
    }
  });

  it("prevents org B's projects and components from showing up under org A", async () => {
    expect((await adminA.get(`/api/v1/orgs/${orgA}/projects/secret-project`)).status).toBe(404);
    const componentsA = await adminA.get(`/api/v1/orgs/${orgA}/projects/default/components`);
    expect(componentsA.body).toEqual([]);
  });

  it("leaves org B exactly as it was, with no trace of org A's admin in its audit log", async () => {
    expect(await snapshotOfB()).toEqual(before);
    const events = (await adminB.get(`/api/v1/orgs/${orgB}/audit`)).body as { actor: string }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.actor === 'admin-a@example.com')).toEqual([]);
  });

  it("prevents org B's events from appearing in org A's audit log", async () => {
    const events = (await adminA.get(`/api/v1/orgs/${orgA}/audit`)).body as { actor: string }[];
    expect(events.map((e) => e.actor)).toEqual(['admin-a@example.com']);
  });
});
