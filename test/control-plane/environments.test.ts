import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, startTestPlatform, type Api, type TestPlatform } from '../helpers/platform.js';

let p: TestPlatform;
let handle: string;
let dev: Api;
const base = () => `/api/v1/orgs/${handle}/environments`;
const names = async () => ((await p.admin.get(base())).body as { name: string }[]).map((e) => e.name);

beforeAll(async () => {
  p = await startTestPlatform();
  handle = (await p.admin.post('/api/v1/orgs', { name: 'Env Org' })).body.handle;
  const invited = await p.admin.post(`/api/v1/orgs/${handle}/members`, { email: 'env-dev@example.com', role: 'developer' });
  dev = await signIn(p.api, 'env-dev@example.com', invited.body.temporaryPassword);
});
afterAll(() => p.close());

describe('environments', () => {
  it('start as development then production, listed to any member in promotion order', async () => {
    const res = await dev.get(base());
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { id: expect.any(String), name: 'development', displayName: 'Development', position: 0, gatewayUrl: expect.stringMatching(/^http:\/\//), createdAt: expect.any(String) },
      { id: expect.any(String), name: 'production', displayName: 'Production', position: 1, gatewayUrl: expect.stringMatching(/^http:\/\//), createdAt: expect.any(String) },
    ]);
  });

  it('adds one at the end by default, deriving its display name', async () => {
    const res = await p.admin.post(base(), { name: 'sandbox-eu', gatewayUrl: 'https://sandbox.example.com/' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), name: 'sandbox-eu', displayName: 'Sandbox Eu', position: 2, gatewayUrl: 'https://sandbox.example.com', createdAt: expect.any(String) });
    expect(await names()).toEqual(['development', 'production', 'sandbox-eu']);
  });

  it('inserts at a position, moving later ones down the chain', async () => {
    const res = await p.admin.post(base(), { name: 'staging', displayName: 'Staging', gatewayUrl: 'https://staging.example.com', position: 1 });
    expect(res.status).toBe(201);
    expect(res.body.position).toBe(1);
    const list = (await p.admin.get(base())).body as { name: string; position: number }[];
    expect(list.map((e) => [e.name, e.position])).toEqual([
      ['development', 0],
      ['staging', 1],
      ['production', 2],
      ['sandbox-eu', 3],
    ]);
  });

  it('refuses a position past the end with 422', async () => {
    const res = await p.admin.post(base(), { name: 'far', gatewayUrl: 'https://far.example.com', position: 9 });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ code: 'unprocessable', message: 'position must be between 0 and 4', fields: { position: 'must be at most 4' } });
  });

  it('answers 409 for a name that exists', async () => {
    const res = await p.admin.post(base(), { name: 'staging', gatewayUrl: 'https://other.example.com' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 'conflict', message: 'An environment named "staging" already exists', fields: { name: 'is taken' } });
  });

  it('refuses a name that is not a slug, a URL that is not http(s), and unknown properties', async () => {
    const bad = await p.admin.post(base(), { name: 'Not A Slug', gatewayUrl: 'ftp://x', color: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    expect(Object.keys(bad.body.fields).sort()).toEqual(['color', 'gatewayUrl', 'name']);
    expect(bad.body.fields.color).toBe('is not a known property');
  });

  it('updates the display name and gateway URL', async () => {
    const res = await p.admin.patch(`${base()}/staging`, { displayName: 'Pre-production', gatewayUrl: 'https://pre.example.com' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'staging', displayName: 'Pre-production', gatewayUrl: 'https://pre.example.com', position: 1 });
    expect((await p.admin.get(`${base()}/staging`)).body).toMatchObject({ displayName: 'Pre-production', gatewayUrl: 'https://pre.example.com' });
  });

  it('refuses to rename an environment (name is not patchable) and empty patches', async () => {
    const rename = await p.admin.patch(`${base()}/staging`, { name: 'qa' });
    expect(rename.status).toBe(400);
    expect(rename.body.fields).toEqual({ name: 'is not a known property' });
    const empty = await p.admin.patch(`${base()}/staging`, {});
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('validation_failed');
  });

  it('answers 404 for an unknown environment', async () => {
    const res = await p.admin.patch(`${base()}/nope`, { displayName: 'x' });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'not_found', message: 'Environment not found' });
    expect((await p.admin.get(`${base()}/nope`)).status).toBe(404);
  });

  it('reorders the whole chain at once', async () => {
    const res = await p.admin.put(`${base()}/order`, { names: ['sandbox-eu', 'development', 'staging', 'production'] });
    expect(res.status).toBe(200);
    expect(res.body.map((e: { name: string; position: number }) => [e.name, e.position])).toEqual([
      ['sandbox-eu', 0],
      ['development', 1],
      ['staging', 2],
      ['production', 3],
    ]);
    expect(await names()).toEqual(['sandbox-eu', 'development', 'staging', 'production']);
  });

  it('refuses an order that is not a permutation of all environments with 422 and changes nothing', async () => {
    const before = await names();
    const missing = await p.admin.put(`${base()}/order`, { names: ['development', 'production', 'staging'] });
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual({ code: 'unprocessable', message: 'names must list every environment exactly once (missing: sandbox-eu)', fields: { names: 'missing: sandbox-eu' } });
    const twice = await p.admin.put(`${base()}/order`, { names: ['development', 'development', 'staging', 'production'] });
    expect(twice.status).toBe(422);
    expect(twice.body.fields).toEqual({ names: 'repeated: development; missing: sandbox-eu' });
    const unknown = await p.admin.put(`${base()}/order`, { names: ['development', 'production', 'staging', 'sandbox-eu', 'mars'] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.fields).toEqual({ names: 'unknown: mars' });
    expect(await names()).toEqual(before);
  });

  it('lets only admins add, change or reorder environments', async () => {
    const forbidden = { code: 'forbidden', message: 'Only organization admins can do this' };
    const add = await dev.post(base(), { name: 'devs-own', gatewayUrl: 'https://x.example.com' });
    const patch = await dev.patch(`${base()}/production`, { gatewayUrl: 'https://evil.example.com' });
    const order = await dev.put(`${base()}/order`, { names: ['production', 'development', 'staging', 'sandbox-eu'] });
    for (const res of [add, patch, order]) expect([res.status, res.body]).toEqual([403, forbidden]);
    expect(await names()).toEqual(['sandbox-eu', 'development', 'staging', 'production']);
  });

  it('records each change in the audit log', async () => {
    const events = (await p.admin.get(`/api/v1/orgs/${handle}/audit`)).body as { action: string; details: Record<string, unknown> }[];
    expect(
      events
        .filter((e) => e.action.startsWith('environment.'))
        .map((e) => e.action)
        .sort(),
    ).toEqual(['environment.created', 'environment.created', 'environment.reordered', 'environment.updated']);
    expect(events.find((e) => e.action === 'environment.reordered')?.details).toEqual({
      from: ['development', 'staging', 'production', 'sandbox-eu'],
      to: ['sandbox-eu', 'development', 'staging', 'production'],
    });
  });
});
