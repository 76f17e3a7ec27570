import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { storeBackends, type TestDatabase } from '../helpers/stores.js';
import { testRedisPrefix, testRedisUrl } from '../helpers/redis.js';
import { apiProxyFixture, type ApiFixture } from '../apis/setup.js';
import { startCountingIdp, startTokenBackend, type CountingIdp, type TokenBackend } from '../outbound-oauth2/helpers.js';

const postgres = storeBackends().filter((b) => b.name === 'postgres');
const redisUrl = testRedisUrl();
const CLIENT = { id: 'orders-cluster', secret: 'cluster-secret-5e0c1b9a7d2f4863' };

async function eventually(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(postgres.length === 0 || !redisUrl)('three nodes sharing one Redis: outbound tokens', { timeout: 90_000 }, () => {
  let database: TestDatabase;
  const nodes: TestPlatform[] = [];
  let idp: CountingIdp;
  let backend: TokenBackend;
  let f: ApiFixture;
  const prefix = testRedisPrefix();

  const callAll = (perNode: number) =>
    Promise.all(nodes.flatMap((node) => Array.from({ length: perNode }, () => fetch(`${node.runtime.gateway('development')!.url}/${f.org}/orders/v1/items`).then((r) => r.status))));

  beforeAll(async () => {
    database = await postgres[0]!.createDatabase();
    idp = await startCountingIdp([CLIENT], { expiresIn: 3600 });
    backend = await startTokenBackend({ header: 'authorization', issuer: idp.issuer, audience: 'orders', jwks: idp.jwks });
    // A timeout generous enough that a loaded test machine does not look like a Redis outage (redis-failover tests those).
    const env = {
      DRAWBRIDGE_DATABASE_URL: database.url,
      DRAWBRIDGE_MASTER_KEY: randomBytes(32).toString('hex'),
      DRAWBRIDGE_REDIS_URL: redisUrl!,
      DRAWBRIDGE_REDIS_PREFIX: prefix,
      DRAWBRIDGE_REDIS_TIMEOUT_MS: '3000',
    };
    for (let i = 0; i < 3; i++) nodes.push(await startTestPlatform({ env }));
    f = await apiProxyFixture(nodes[0]!);
    expect(
      (
        await nodes[0]!.admin.put(f.base, {
          contextPath: '/orders',
          version: 'v1',
          resources: [{ method: 'GET', path: '/items', security: { oauth2: false } }],
          backendUrls: { development: backend.url },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await nodes[0]!.admin.post(`${f.base}/policies`, {
          policy: 'outbound-oauth2@1.0.1',
          config: { tokenUrl: '${tokenUrl}', clientId: '${clientId}', clientSecret: '${clientSecret}', audience: 'orders', authMethod: 'client_secret_basic' },
        })
      ).status,
    ).toBeLessThan(300);
    const deployed = await nodes[0]!.admin.post(`${f.base}/deployments`, {
      environment: 'development',
      params: { tokenUrl: idp.tokenUrl, clientId: CLIENT.id, clientSecret: { value: CLIENT.secret, secret: true } },
    });
    expect(deployed.status, deployed.text).toBe(201);
    for (const node of nodes) await node.runtime.publisher.refresh();
  });
  afterAll(async () => {
    for (const node of nodes) await node.close();
    await idp?.close();
    await backend?.close();
    await database?.drop();
  });

  it('every node is connected to Redis', () => {
    expect(nodes.map((n) => n.deps.redis?.available)).toEqual([true, true, true]);
  });

  it('100 concurrent calls on each of 3 nodes make one token request, and every call reaches the backend with that token', async () => {
    idp.hold(); // the first token request stays open while every call arrives
    const calls = callAll(100);
    await idp.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    idp.release();
    const statuses = await calls;
    expect(statuses).toEqual(Array(300).fill(200));
    expect(idp.count).toBe(1);
    expect(new Set(backend.calls.map((c) => c.token))).toEqual(new Set([idp.issued[0]]));
  });

  it('the token is stored encrypted, under a namespaced key that names neither the client nor its secret', async () => {
    const redis = new Redis(redisUrl!);
    try {
      const keys = await redis.keys(`${prefix}*`);
      const tokenKeys = keys.filter((k) => k.startsWith(`${prefix}outbound-token:`));
      expect(tokenKeys).toHaveLength(1);
      expect(tokenKeys[0]).toMatch(new RegExp(`^${prefix}outbound-token:[0-9a-f]{64}$`));
      const stored = (await redis.get(tokenKeys[0]!))!;
      expect(stored).not.toContain(idp.issued[0]!.split('.')[1]!);
      expect(Buffer.from(stored, 'base64').toString('latin1')).not.toContain(idp.issued[0]!.split('.')[1]!);
      for (const key of keys) {
        expect(key).not.toContain(CLIENT.secret);
        expect(key).not.toContain(CLIENT.id);
      }
      expect(await redis.pttl(tokenKeys[0]!)).toBeGreaterThan(3_000_000);
    } finally {
      redis.disconnect();
    }
  });

  it('a token the backend refuses is replaced once for the whole cluster', async () => {
    backend.refused.add(idp.issued[0]!);
    const statuses = await callAll(20);
    expect(statuses).toEqual(Array(60).fill(200));
    await eventually(() => idp.count >= 2);
    expect(idp.count).toBe(2);
    expect(backend.calls.at(-1)!.token).toBe(idp.issued[1]);
  });
});
