import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ManualClock, startTestPlatform, type TestPlatform } from '../helpers/platform.js';

let p: TestPlatform;
const clock = new ManualClock(Date.UTC(2026, 0, 1));

beforeAll(async () => {
  p = await startTestPlatform({ clock });
});
afterAll(() => p.close());

const login = (username: string, password: string) => p.api.post('/api/v1/auth/login', { username, password });

describe('login brute-force slowing', () => {
  it('prevents password guessing: after repeated failures the account answers 429 with Retry-After, even for the right password', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await login('admin', `wrong-${i}`);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'unauthenticated', message: 'Wrong username or password' });
    }
    const sixth = await login('admin', 'wrong-again');
    expect(sixth.status).toBe(401);
    const locked = await login('admin', ADMIN_PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.body).toEqual({ code: 'rate_limited', message: 'Too many failed sign-in attempts; try again later' });
    expect(locked.headers.get('retry-after')).toBe('1');
    expect(locked.headers.get('set-cookie')).toBeNull();
  });

  it('unlocks once the wait has passed, and a success resets the count', async () => {
    clock.advance(1_000);
    const res = await login('admin', ADMIN_PASSWORD);
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/drawbridge_session=.*HttpOnly.*SameSite=Strict/i);
    expect((await login('admin', 'wrong')).status).toBe(401);
    expect((await login('admin', ADMIN_PASSWORD)).status).toBe(200);
  });

  it('doubles the wait with every further failure', async () => {
    for (let i = 0; i < 6; i++) expect((await login('admin', `guess-${i}`)).status).toBe(401);
    expect((await login('admin', ADMIN_PASSWORD)).headers.get('retry-after')).toBe('1');
    clock.advance(1_000);
    expect((await login('admin', 'guess-7')).status).toBe(401);
    expect((await login('admin', ADMIN_PASSWORD)).headers.get('retry-after')).toBe('2');
    clock.advance(2_000);
    expect((await login('admin', 'guess-8')).status).toBe(401);
    const locked = await login('admin', ADMIN_PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('4');
    clock.advance(3_000);
    expect((await login('admin', ADMIN_PASSWORD)).status).toBe(429);
    clock.advance(1_000);
    expect((await login('admin', ADMIN_PASSWORD)).status).toBe(200);
  });
});

describe('personal API tokens', () => {
  it('are shown once, listed without the secret, and stop working when revoked', async () => {
    const created = await p.admin.post('/api/v1/me/tokens', { name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), name: 'ci', createdAt: expect.any(String), lastUsedAt: null, revokedAt: null, token: expect.stringMatching(/^dbp_/) });
    const ci = p.api.withToken(created.body.token);
    expect((await ci.get('/api/v1/me')).status).toBe(200);
    const list = await p.admin.get('/api/v1/me/tokens');
    expect(list.text).not.toContain(created.body.token);

    const revoke = await p.admin.delete(`/api/v1/me/tokens/${created.body.id}`);
    expect(revoke.status).toBe(204);
    const after = await ci.get('/api/v1/me');
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ code: 'unauthenticated', message: 'The API token is invalid or revoked' });
    const again = await p.admin.delete(`/api/v1/me/tokens/${created.body.id}`);
    expect([again.status, again.body]).toEqual([404, { code: 'not_found', message: 'API token not found' }]);
  });

  it('prevents revoking another user\'s token', async () => {
    const other = await p.newUser('token-owner@example.com');
    const theirs = await other.post('/api/v1/me/tokens', { name: 'mine' });
    const res = await p.admin.delete(`/api/v1/me/tokens/${theirs.body.id}`);
    expect(res.status).toBe(404);
    expect((await p.api.withToken(theirs.body.token).get('/api/v1/me')).status).toBe(200);
  });
});

describe('request validation', () => {
  it('answers wrong types with 400 validation_failed naming each field (no coercion)', async () => {
    const res = await p.admin.post('/api/v1/orgs', { name: 42, handle: true });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'validation_failed', message: expect.stringMatching(/^Invalid body: /), fields: { name: 'must be string', handle: 'must be string' } });
    const pos = await p.admin.post('/api/v1/orgs/nope/environments', { name: 'x1', gatewayUrl: 'https://x.example.com', position: '1' });
    expect(pos.status).toBe(400);
    expect(pos.body.fields).toEqual({ position: 'must be integer' });
  });

  it('answers unknown properties with 400', async () => {
    const res = await p.admin.post('/api/v1/orgs', { name: 'Extra Org', isAdmin: true });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'validation_failed', message: 'Invalid body: isAdmin is not a known property', fields: { isAdmin: 'is not a known property' } });
  });

  it('answers a body that is not JSON with 400 bad_request', async () => {
    const res = await p.admin.request('POST', '/api/v1/orgs', '{not json', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'bad_request', message: 'The body is not valid JSON' });
  });

  it('publishes the routes in the OpenAPI document', async () => {
    const res = await p.api.get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    for (const path of ['/api/v1/orgs/{org}/members', '/api/v1/orgs/{org}/environments/order', '/api/v1/orgs/{org}/projects/{project}/components/{component}', '/api/v1/orgs/{org}/audit']) {
      expect(Object.keys(res.body.paths)).toContain(path);
    }
  });
});
