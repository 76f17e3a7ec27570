import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ManualClock, signIn, startTestPlatform, type TestPlatform } from '../helpers/platform.js';

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

describe('parallel password guesses', () => {
  const LOCKED = { code: 'rate_limited', message: 'Too many failed sign-in attempts; try again later' };

  it('are limited like sequential ones: of 20 wrong logins sent at once only 6 are checked (401), the rest answer 429 with Retry-After', async () => {
    const guesses = await Promise.all(Array.from({ length: 20 }, (_, i) => login('admin', `parallel-${i}`)));
    const checked = guesses.filter((r) => r.status === 401);
    const refused = guesses.filter((r) => r.status === 429);
    expect([checked.length, refused.length]).toEqual([6, 14]);
    for (const r of checked) expect(r.body).toEqual({ code: 'unauthenticated', message: 'Wrong username or password' });
    for (const r of refused) {
      expect(r.body).toEqual(LOCKED);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.headers.get('set-cookie')).toBeNull();
    }
    const locked = await login('admin', ADMIN_PASSWORD);
    expect([locked.status, locked.body, locked.headers.get('retry-after')]).toEqual([429, LOCKED, '1']);

    clock.advance(1_000);
    // Once unlocked, a second parallel attempt waits for the first one's outcome.
    const pair = await Promise.all([login('admin', 'parallel-again-1'), login('admin', 'parallel-again-2')]);
    const byStatus = pair.map((r) => [r.status, r.body, r.headers.get('retry-after')]).sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(byStatus).toEqual([
      [401, { code: 'unauthenticated', message: 'Wrong username or password' }, null],
      [429, LOCKED, '2'],
    ]);
    clock.advance(2_000);
    expect((await login('admin', ADMIN_PASSWORD)).status).toBe(200);
  });

  it('on POST /me/password are throttled too, with the same counts as sign-in', async () => {
    const scratch = await p.admin.post('/api/v1/orgs', { name: 'Password Org' });
    const invite = await p.admin.post(`/api/v1/orgs/${scratch.body.handle}/members`, { email: 'changer@example.com', role: 'developer' });
    const current = invite.body.temporaryPassword as string;
    const changer = await signIn(p.api, 'changer@example.com', current);
    const change = (currentPassword: string) => changer.post('/api/v1/me/password', { currentPassword, newPassword: 'a brand new password' });
    const WRONG = { code: 'forbidden', message: 'The current password is wrong' };
    const TOO_MANY = { code: 'rate_limited', message: 'Too many wrong passwords; try again later' };

    const guesses = await Promise.all(Array.from({ length: 10 }, (_, i) => change(`guess-${i}`)));
    const checked = guesses.filter((r) => r.status === 403);
    const refused = guesses.filter((r) => r.status === 429);
    expect([checked.length, refused.length]).toEqual([6, 4]);
    for (const r of checked) expect(r.body).toEqual(WRONG);
    for (const r of refused) {
      expect(r.body).toEqual(TOO_MANY);
      expect(r.headers.get('retry-after')).toBe('1');
    }
    const locked = await change(current);
    expect([locked.status, locked.body, locked.headers.get('retry-after')]).toEqual([429, TOO_MANY, '1']);
    // The same throttle: the account cannot sign in either while it is locked.
    const signInLocked = await login('changer@example.com', current);
    expect([signInLocked.status, signInLocked.body]).toEqual([429, LOCKED]);

    clock.advance(1_000);
    const changed = await change(current);
    expect([changed.status, changed.text]).toEqual([204, '']);
    expect((await login('changer@example.com', current)).status).toBe(401);
    expect((await login('changer@example.com', 'a brand new password')).status).toBe(200);
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

  it('accept the Bearer scheme in any letter case (RFC 7235), and nothing else', async () => {
    const created = await p.admin.post('/api/v1/me/tokens', { name: 'any-case' });
    expect(created.status).toBe(201);
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const res = await p.api.get('/api/v1/me', { authorization: `${scheme} ${created.body.token}` });
      expect([scheme, res.status, res.body]).toEqual([scheme, 200, { id: expect.any(String), email: 'admin', name: 'Administrator', createdAt: expect.any(String) }]);
    }
    for (const header of [`Basic ${created.body.token}`, `Bearer`, `Bearer${created.body.token}`, `Token ${created.body.token}`]) {
      const res = await p.api.get('/api/v1/me', { authorization: header });
      expect([header, res.status, res.body]).toEqual([header, 401, { code: 'unauthenticated', message: 'The API token is invalid or revoked' }]);
    }
  });

  it("prevents revoking another user's token", async () => {
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

describe('session CSRF token', () => {
  it("GET /auth/session gives the cookie session's user and CSRF token; 401 without a session, 400 with an API token", async () => {
    const res = await fetch(`${p.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { csrfToken: string; user: { email: string } };
    expect(body.csrfToken).toMatch(/^[0-9a-f]{64}$/);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const session = await p.api.get('/api/v1/auth/session', { cookie });
    expect(session.status).toBe(200);
    expect(session.body).toEqual({ user: body.user, csrfToken: body.csrfToken });
    const none = await p.api.get('/api/v1/auth/session');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('unauthenticated');
    const withToken = await p.admin.get('/api/v1/auth/session');
    expect(withToken.status).toBe(400);
    expect(withToken.body).toEqual({ code: 'bad_request', message: 'This endpoint describes a cookie session; API tokens need no CSRF token' });
  });

  it("prevents cross-site request forgery: a cookie-signed POST without the session's token is 403, with another session's token too; logout needs it as well", async () => {
    const signInCookie = async () => {
      const res = await fetch(`${p.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
      return {
        cookie: res.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .join('; '),
        csrfToken: ((await res.json()) as { csrfToken: string }).csrfToken,
      };
    };
    const a = await signInCookie();
    const b = await signInCookie();
    const refused = { code: 'forbidden', message: "A request signed in with the session cookie must send the session's CSRF token in the x-csrf-token header" };
    const noToken = await p.api.post('/api/v1/me/tokens', { name: 'x' }, { cookie: a.cookie });
    expect(noToken.status).toBe(403);
    expect(noToken.body).toEqual(refused);
    const otherSession = await p.api.post('/api/v1/me/tokens', { name: 'x' }, { cookie: a.cookie, 'x-csrf-token': b.csrfToken });
    expect(otherSession.status).toBe(403);
    const logout = await p.api.post('/api/v1/auth/logout', {}, { cookie: a.cookie });
    expect(logout.status).toBe(403);
    const ok = await p.api.post('/api/v1/auth/logout', {}, { cookie: a.cookie, 'x-csrf-token': a.csrfToken });
    expect(ok.status).toBe(204);
    // A personal API token needs no CSRF token.
    const viaToken = await p.admin.post('/api/v1/me/tokens', { name: 'y' });
    expect(viaToken.status).toBe(201);
  });
});
