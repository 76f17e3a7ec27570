import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type Api, type TestPlatform } from '../helpers/platform.js';

let p: TestPlatform;
let creator: Api;

beforeAll(async () => {
  p = await startTestPlatform();
  creator = await p.newUser('org-creator@example.com');
});
afterAll(() => p.close());

/** The base URL a default environment's gateway serves: the public host with that listener's port. */
const gatewayUrlOf = (environment: string): string => {
  const url = new URL(p.config.publicUrl);
  url.port = String(p.config.gateways.find((g) => g.environment === environment)!.port);
  return url.origin;
};

describe('creating an organization', () => {
  it('derives the handle from the name, makes the creator its admin, and creates the default project and development → production', async () => {
    const res = await creator.post('/api/v1/orgs', { name: 'Stark Industries' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), name: 'Stark Industries', handle: 'stark-industries', createdAt: expect.any(String), role: 'admin' });

    const got = await creator.get('/api/v1/orgs/stark-industries');
    expect([got.status, got.body]).toEqual([200, res.body]);
    const listed = await creator.get('/api/v1/orgs');
    expect([listed.status, listed.body]).toEqual([200, [res.body]]);

    const members = await creator.get('/api/v1/orgs/stark-industries/members');
    expect(members.status).toBe(200);
    expect(members.body).toEqual([{ userId: expect.any(String), email: 'org-creator@example.com', name: 'org-creator', role: 'admin', since: expect.any(String) }]);

    const projects = await creator.get('/api/v1/orgs/stark-industries/projects');
    expect(projects.status).toBe(200);
    expect(projects.body).toEqual([
      { id: expect.any(String), name: 'default', displayName: 'Default project', description: '', isDefault: true, createdAt: expect.any(String), updatedAt: expect.any(String) },
    ]);

    const environments = await creator.get('/api/v1/orgs/stark-industries/environments');
    expect(environments.status).toBe(200);
    expect(environments.body).toEqual([
      { id: expect.any(String), name: 'development', displayName: 'Development', position: 0, gatewayUrl: gatewayUrlOf('development'), createdAt: expect.any(String) },
      { id: expect.any(String), name: 'production', displayName: 'Production', position: 1, gatewayUrl: gatewayUrlOf('production'), createdAt: expect.any(String) },
    ]);

    // Nobody else sees it.
    const other = await p.admin.get('/api/v1/orgs/stark-industries');
    expect([other.status, other.body]).toEqual([404, { code: 'not_found', message: 'Organization not found' }]);
  });

  it('takes an explicit handle', async () => {
    const res = await creator.post('/api/v1/orgs', { name: 'Wayne Enterprises', handle: 'wayne' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), name: 'Wayne Enterprises', handle: 'wayne', createdAt: expect.any(String), role: 'admin' });
  });

  it('answers 409 naming the field for a name or a handle that is taken', async () => {
    const name = await p.admin.post('/api/v1/orgs', { name: 'Stark Industries', handle: 'stark-2' });
    expect(name.status).toBe(409);
    expect(name.body).toEqual({ code: 'conflict', message: 'An organization named "Stark Industries" already exists', fields: { name: 'is taken' } });

    const derived = await p.admin.post('/api/v1/orgs', { name: 'Stark  Industries!' });
    expect(derived.status).toBe(409);
    expect(derived.body).toEqual({ code: 'conflict', message: 'The handle "stark-industries" is taken; choose another', fields: { handle: 'is taken' } });

    const explicit = await p.admin.post('/api/v1/orgs', { name: 'Another Wayne', handle: 'wayne' });
    expect(explicit.status).toBe(409);
    expect(explicit.body).toEqual({ code: 'conflict', message: 'The handle "wayne" is taken; choose another', fields: { handle: 'is taken' } });

    const names = ((await p.admin.get('/api/v1/orgs')).body as { name: string }[]).map((o) => o.name);
    expect(names).not.toContain('Another Wayne');
  });

  it('answers 409 naming the field when two requests race for the same name', async () => {
    const results = await Promise.all([1, 2, 3].map((i) => p.admin.post('/api/v1/orgs', { name: 'Racing Org', handle: `racing-${i}` })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    for (const lost of results.filter((r) => r.status === 409)) {
      expect(lost.body).toEqual({ code: 'conflict', message: 'An organization named "Racing Org" already exists', fields: { name: 'is taken' } });
    }
  });

  it('refuses an explicit handle that is not a slug with 400', async () => {
    const pattern = 'must match pattern "^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$"';
    const cases: [string, string][] = [
      ['Stark Industries', pattern],
      ['-stark', pattern],
      ['stark-', pattern],
      ['stark--industries', pattern],
      ['', 'must NOT have fewer than 1 characters'],
      ['a'.repeat(64), 'must NOT have more than 63 characters'],
    ];
    for (const [handle, problem] of cases) {
      const res = await creator.post('/api/v1/orgs', { name: 'Oscorp', handle });
      expect([handle, res.status, res.body]).toEqual([handle, 400, { code: 'validation_failed', message: `Invalid body: handle ${problem}`, fields: { handle: problem } }]);
    }
    const names = ((await creator.get('/api/v1/orgs')).body as { name: string }[]).map((o) => o.name);
    expect(names).not.toContain('Oscorp');
    const single = await creator.post('/api/v1/orgs', { name: 'Oscorp', handle: 'o' });
    expect(single.status).toBe(201);
    expect(single.body.handle).toBe('o');
  });

  it('asks for a handle when the name has no letters or digits to derive one from', async () => {
    const res = await creator.post('/api/v1/orgs', { name: '!!!' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'validation_failed', message: 'Choose a handle: the name has no letters or digits to derive one from', fields: { handle: 'is required' } });

    const withHandle = await creator.post('/api/v1/orgs', { name: '!!!', handle: 'bang' });
    expect(withHandle.status).toBe(201);
    expect(withHandle.body).toEqual({ id: expect.any(String), name: '!!!', handle: 'bang', createdAt: expect.any(String), role: 'admin' });
  });

  it('refuses a blank name with 400', async () => {
    const res = await creator.post('/api/v1/orgs', { name: '   ', handle: 'blank' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'validation_failed', message: 'The name must not be blank', fields: { name: 'must not be blank' } });
  });
});
