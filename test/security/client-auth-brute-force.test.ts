import { BlockList } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { loadConfig } from '../../src/shared/config.js';
import { ClientAuthThrottle, MemoryFailureCounter, sourceAddress } from '../../src/token-service/throttle.js';
import { basic, FORM, newConsumer, postForm, startTestPlatform, type Consumer, type TestPlatform } from '../token-service/fixture.js';

/**
 * Issue 15, item 2: no brute-force protection on the token endpoint
 * (RFC 6749 §2.3.1 MUST) and introspection: 30 wrong secrets for one client
 * all got 401. Failed client authentications are now throttled per client ID
 * and per source address: 429 with Retry-After and an RFC 6749 body.
 */
const GRANT = 'grant_type=client_credentials';
const MINUTE = 60_000;

describe('brute-force protection of client authentication', () => {
  // 5 s into a minute: the 60 s windows are aligned to the epoch, so the next one starts 55 s later.
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 12, 0, 5));
  let p: TestPlatform;
  let c: Consumer;

  beforeAll(async () => {
    p = await startTestPlatform({ clock, env: { DRAWBRIDGE_TRUSTED_PROXIES: '127.0.0.1, ::1' } });
  });
  afterAll(() => p?.close());
  beforeEach(async () => {
    // A fresh window for every test, 5 s into it (windows are aligned to the epoch minute).
    clock.set(Math.floor(clock.now() / MINUTE) * MINUTE + MINUTE + 5_000);
    c = await newConsumer(p);
  });

  const token = (id: string, secret: string, from: string) => postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(id, secret), 'x-forwarded-for': from });
  const throttled = (res: Awaited<ReturnType<typeof postForm>>, retryAfter: number) => {
    expect({ status: res.status, body: res.body, retryAfter: res.headers.get('retry-after') }).toEqual({
      status: 429,
      retryAfter: String(retryAfter),
      body: { error: 'invalid_client', error_description: `Too many failed client authentications; try again in ${retryAfter} s` },
    });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('www-authenticate')).toBeNull();
  };

  it('after 10 wrong secrets the client is refused from that address (429 + Retry-After), the right secret included, until the window ends', async () => {
    for (let i = 0; i < 10; i++) expect((await token(c.clientId, `wrong-${i}`, '203.0.113.7')).status).toBe(401);
    throttled(await token(c.clientId, 'wrong-10', '203.0.113.7'), 55);
    // The secret is not looked at while held back: a right guess teaches nothing.
    throttled(await token(c.clientId, c.clientSecret, '203.0.113.7'), 55);
    clock.advance(20_000);
    throttled(await token(c.clientId, c.clientSecret, '203.0.113.7'), 35);
    clock.advance(35_000);
    expect((await token(c.clientId, c.clientSecret, '203.0.113.7')).status).toBe(200);
  });

  it('keeps serving the client from addresses that have not failed, so an attacker cannot lock it out', async () => {
    for (let i = 0; i < 12; i++) await token(c.clientId, `guess-${i}`, '203.0.113.8');
    throttled(await token(c.clientId, c.clientSecret, '203.0.113.8'), 55);
    expect((await token(c.clientId, c.clientSecret, '198.51.100.20')).status).toBe(200);
    expect((await token(c.clientId, c.clientSecret, '198.51.100.20')).status).toBe(200);
    // An address that fails for a client under attack is held back at once.
    expect((await token(c.clientId, 'typo', '198.51.100.21')).status).toBe(401);
    throttled(await token(c.clientId, c.clientSecret, '198.51.100.21'), 55);
  });

  it('refuses an address that failed 30 times, whichever client IDs it tried', async () => {
    for (let i = 0; i < 30; i++) expect((await token(`dbc_random${i}`, 'x', '203.0.113.9')).status).toBe(401);
    throttled(await token(c.clientId, c.clientSecret, '203.0.113.9'), 55);
    expect((await token(c.clientId, c.clientSecret, '203.0.113.10')).status).toBe(200);
  });

  it('counts client_secret_post failures too, and protects introspection and revocation', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await postForm(p, '/oauth2/introspect', `token=x&client_id=${c.clientId}&client_secret=wrong${i}`, { ...FORM, 'x-forwarded-for': '203.0.113.11' });
      expect(res.status).toBe(401);
    }
    throttled(await postForm(p, '/oauth2/introspect', `token=x&client_id=${c.clientId}&client_secret=${c.clientSecret}`, { ...FORM, 'x-forwarded-for': '203.0.113.11' }), 55);
    throttled(await postForm(p, '/oauth2/revoke', 'token=x', { ...FORM, authorization: basic(c.clientId, c.clientSecret), 'x-forwarded-for': '203.0.113.11' }), 55);
    throttled(await token(c.clientId, c.clientSecret, '203.0.113.11'), 55);
  });

  it('never holds back a client that only succeeds', async () => {
    for (let i = 0; i < 40; i++) expect((await token(c.clientId, c.clientSecret, '198.51.100.30')).status).toBe(200);
  });
});

describe('the throttle without a platform', () => {
  it('believes X-Forwarded-For only from trusted proxies, taking the last address they did not add', () => {
    const trusted = new BlockList();
    trusted.addSubnet('10.0.0.0', 8, 'ipv4');
    expect(sourceAddress('203.0.113.1', '198.51.100.1', trusted)).toBe('203.0.113.1');
    expect(sourceAddress('10.0.0.2', '198.51.100.1, 10.0.0.9', trusted)).toBe('198.51.100.1');
    expect(sourceAddress('10.0.0.2', 'spoofed-by-client, 198.51.100.1', trusted)).toBe('198.51.100.1');
    expect(sourceAddress('10.0.0.2', 'not-an-ip', trusted)).toBe('10.0.0.2');
    expect(sourceAddress('::ffff:10.0.0.2', '198.51.100.5', trusted)).toBe('198.51.100.5');
    expect(sourceAddress('10.0.0.2', '198.51.100.1', undefined)).toBe('10.0.0.2');
  });

  it('counts in windows aligned to the epoch (the same on every node) and forgets them after', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 30));
    const counter = new MemoryFailureCounter();
    const throttle = new ClientAuthThrottle({ perClient: 2, perAddress: 0, windowSeconds: 60 }, clock, counter);
    await throttle.failed('c1', 'a1');
    await throttle.failed('c1', 'a1');
    await expect(throttle.check('c1', 'a1')).rejects.toMatchObject({ status: 429, retryAfterSeconds: 30 });
    await expect(throttle.check('c1', 'a2')).resolves.toBeUndefined();
    clock.advance(30_000);
    await expect(throttle.check('c1', 'a1')).resolves.toBeUndefined();
    expect(await counter.get(['c:c1'], 60_000, clock.now())).toEqual([{ count: 0, resetInMs: 60_000 }]);
  });

  it('is configured by DRAWBRIDGE_CLIENT_AUTH_FAILURES_PER_CLIENT / _PER_ADDRESS / _WINDOW; 0 turns a limit off', () => {
    const defaults = loadConfig({});
    expect([defaults.clientAuthFailuresPerClient, defaults.clientAuthFailuresPerAddress, defaults.clientAuthFailureWindow, defaults.trustedProxies]).toEqual([10, 30, 60, []]);
    const off = loadConfig({ DRAWBRIDGE_CLIENT_AUTH_FAILURES_PER_CLIENT: '0', DRAWBRIDGE_CLIENT_AUTH_FAILURES_PER_ADDRESS: '0' });
    expect(new ClientAuthThrottle({ perClient: off.clientAuthFailuresPerClient, perAddress: off.clientAuthFailuresPerAddress, windowSeconds: 60 }, new ManualClock(0)).enabled).toBe(false);
    expect(() => loadConfig({ DRAWBRIDGE_CLIENT_AUTH_FAILURES_PER_CLIENT: 'ten' })).toThrow(
      'DRAWBRIDGE_CLIENT_AUTH_FAILURES_PER_CLIENT: must be a whole number from 0 to 1000000 (0 turns it off), got "ten"',
    );
    expect(() => loadConfig({ DRAWBRIDGE_TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow('DRAWBRIDGE_TRUSTED_PROXIES[0]');
  });
});
