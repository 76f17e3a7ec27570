import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ManualClock, startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { storeBackends, type TestDatabase } from '../helpers/stores.js';
import { testRedisPrefix, testRedisUrl } from '../helpers/redis.js';

const postgres = storeBackends().filter((b) => b.name === 'postgres');
const redisUrl = testRedisUrl();

const signIn = (node: TestPlatform, password: string) =>
  fetch(`${node.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const tokenRequest = (node: TestPlatform, clientId: string) =>
  fetch(`${node.url}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: basic(clientId, 'not-the-secret'), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });

describe.skipIf(postgres.length === 0 || !redisUrl)('two nodes sharing one Redis: throttles', { timeout: 90_000 }, () => {
  let database: TestDatabase;
  let a: TestPlatform;
  let b: TestPlatform;
  // One clock for both nodes, moved by the test only: locks and windows do not depend on how fast the machine is.
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    database = await postgres[0]!.createDatabase();
    const env = {
      DRAWBRIDGE_DATABASE_URL: database.url,
      DRAWBRIDGE_MASTER_KEY: randomBytes(32).toString('hex'),
      DRAWBRIDGE_REDIS_URL: redisUrl!,
      DRAWBRIDGE_REDIS_PREFIX: testRedisPrefix(),
      DRAWBRIDGE_REDIS_TIMEOUT_MS: '3000',
      DRAWBRIDGE_CLIENT_AUTH_FAILURES_PER_ADDRESS: '4',
      DRAWBRIDGE_CLIENT_AUTH_FAILURE_WINDOW: '86400',
    };
    a = await startTestPlatform({ env, clock });
    b = await startTestPlatform({ env, clock });
    // Windows are aligned to the epoch: start in the middle of one, so the counts below stay in it.
    const midday = Math.floor(clock.now() / 86_400_000) * 86_400_000 + 43_200_000;
    clock.set(midday > clock.now() ? midday : midday + 86_400_000);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('wrong passwords tried on two nodes count together: the attempt after six failures is refused on either node', async () => {
    for (const node of [a, a, a, b, b, b]) {
      const res = await signIn(node, 'wrong password');
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ code: 'unauthenticated', message: 'Wrong username or password' });
    }
    for (const node of [a, b]) {
      const refused = await signIn(node, ADMIN_PASSWORD);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toEqual({ code: 'rate_limited', message: 'Too many failed sign-in attempts; try again later' });
    }
    // The lock after six failures lasts 1 s; then the right password works on both nodes and clears the count.
    clock.advance(1000);
    expect((await signIn(b, ADMIN_PASSWORD)).status).toBe(200);
    expect((await signIn(a, 'wrong password')).status).toBe(401);
    expect((await signIn(a, ADMIN_PASSWORD)).status).toBe(200);
  });

  it('failed client authentications at the token endpoint count for the address across nodes', async () => {
    for (const node of [a, a, b, b]) {
      const res = await tokenRequest(node, 'no-such-client');
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
    }
    for (const node of [a, b]) {
      const refused = await tokenRequest(node, 'another-client');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');
    }
  });
});
