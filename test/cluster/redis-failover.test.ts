import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.js';
import { ADMIN_PASSWORD, ManualClock, startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { storeBackends, type TestDatabase } from '../helpers/stores.js';
import { testRedisPrefix, testRedisUrl, throughProxy } from '../helpers/redis.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { apiProxyFixture, type ApiFixture } from '../apis/setup.js';
import { startCountingIdp, startTokenBackend, type CountingIdp, type TokenBackend } from '../outbound-oauth2/helpers.js';

const postgres = storeBackends().filter((b) => b.name === 'postgres');
const redisUrl = testRedisUrl();
const CLIENTS = [1, 2, 3, 4].map((i) => ({ id: `failover-client-${i}`, secret: `failover-secret-${i}-${randomBytes(8).toString('hex')}` }));

async function eventually(check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Node {
  platform: TestPlatform;
  proxy: TcpProxy;
  log: string[];
}

describe.skipIf(postgres.length === 0 || !redisUrl)('nodes whose Redis fails', { timeout: 90_000 }, () => {
  let database: TestDatabase;
  const nodes: Node[] = [];
  let idp: CountingIdp;
  let backend: TokenBackend;
  let f: ApiFixture;
  // Moved by nobody: the sign-in lock below lasts however slow the machine is.
  const clock = new ManualClock(Date.now());

  const deployWith = async (client: { id: string; secret: string }) => {
    const deployed = await nodes[0]!.platform.admin.post(`${f.base}/deployments`, {
      environment: 'development',
      params: { tokenUrl: idp.tokenUrl, clientId: client.id, clientSecret: { value: client.secret, secret: true } },
    });
    expect(deployed.status, deployed.text).toBe(201);
    for (const node of nodes) await node.platform.runtime.publisher.refresh();
  };
  const callAll = (perNode: number) =>
    Promise.all(nodes.flatMap(({ platform }) => Array.from({ length: perNode }, () => fetch(`${platform.runtime.gateway('development')!.url}/${f.org}/orders/v1/items`).then((r) => r.status))));
  const signIn = (node: Node, password: string) =>
    fetch(`${node.platform.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    }).then((r) => r.status);
  const linesWith = (node: Node, text: string) => node.log.filter((line) => line.includes(text)).length;

  beforeAll(async () => {
    database = await postgres[0]!.createDatabase();
    idp = await startCountingIdp(CLIENTS, { expiresIn: 3600 });
    backend = await startTokenBackend({ header: 'authorization', issuer: idp.issuer, audience: 'orders', jwks: idp.jwks });
    const target = new URL(redisUrl!);
    const prefix = testRedisPrefix();
    const masterKey = randomBytes(32).toString('hex');
    for (let i = 0; i < 2; i++) {
      const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
      const log: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          log.push(chunk.toString());
          done();
        },
      });
      // A timeout generous enough that a loaded test machine does not look like a Redis outage.
      const platform = await startTestPlatform({
        logger: createLogger('info', sink),
        clock,
        env: {
          DRAWBRIDGE_DATABASE_URL: database.url,
          DRAWBRIDGE_MASTER_KEY: masterKey,
          DRAWBRIDGE_REDIS_URL: throughProxy(redisUrl!, proxy.port),
          DRAWBRIDGE_REDIS_PREFIX: prefix,
          DRAWBRIDGE_REDIS_TIMEOUT_MS: '1000',
        },
      });
      nodes.push({ platform, proxy, log });
    }
    f = await apiProxyFixture(nodes[0]!.platform);
    expect(
      (
        await nodes[0]!.platform.admin.put(f.base, {
          contextPath: '/orders',
          version: 'v1',
          resources: [{ method: 'GET', path: '/items', security: { oauth2: false } }],
          backendUrls: { development: backend.url },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await nodes[0]!.platform.admin.post(`${f.base}/policies`, {
          policy: 'outbound-oauth2@1.0.1',
          config: { tokenUrl: '${tokenUrl}', clientId: '${clientId}', clientSecret: '${clientSecret}', audience: 'orders', authMethod: 'client_secret_basic' },
        })
      ).status,
    ).toBeLessThan(300);
  });
  afterAll(async () => {
    for (const { platform, proxy } of nodes) {
      proxy.setMode('pass');
      await platform.close();
      await proxy.close();
    }
    await idp?.close();
    await backend?.close();
    await database?.drop();
  });

  it('with Redis answering, both nodes share one token', async () => {
    expect(nodes.map((n) => n.platform.deps.redis?.available)).toEqual([true, true]);
    await deployWith(CLIENTS[0]!);
    expect(await callAll(50)).toEqual(Array(100).fill(200));
    for (const node of nodes) expect(linesWith(node, 'Redis unavailable')).toBe(0);
    // Exactly one is redis-outbound.test.ts's subject; here a loaded machine may let the waiting node give up once.
    expect(idp.count).toBeGreaterThanOrEqual(1);
    expect(idp.count).toBeLessThanOrEqual(2);
  });

  it('with Redis black-holed, every call and sign-in still succeeds: each node fetches its own token and throttles locally', async () => {
    for (const node of nodes) node.proxy.setMode('blackhole');
    const before = idp.count;
    await deployWith(CLIENTS[1]!);
    expect(await callAll(50)).toEqual(Array(100).fill(200));
    expect(idp.count - before).toBe(2); // one more per node
    for (const node of nodes) expect(await signIn(node, ADMIN_PASSWORD)).toBe(200);
    expect(nodes.map((n) => n.platform.deps.redis?.available)).toEqual([false, false]);
    // Sign-in is still throttled, by each node alone: six failures, then refused.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push(await signIn(nodes[0]!, 'wrong password'));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
    for (const node of nodes) expect(linesWith(node, 'Redis unavailable')).toBe(1);
  });

  it('when Redis answers again the nodes go back to it without a restart and share tokens again', async () => {
    for (const node of nodes) node.proxy.setMode('pass');
    await eventually(() => nodes.every((n) => n.platform.deps.redis?.available === true));
    for (const node of nodes) expect(linesWith(node, 'Redis answers again')).toBe(1);
    const before = idp.count;
    await deployWith(CLIENTS[2]!);
    expect(await callAll(50)).toEqual(Array(100).fill(200));
    expect(idp.count - before).toBeGreaterThanOrEqual(1);
    expect(idp.count - before).toBeLessThanOrEqual(2);
  });

  it('a cut connection is noticed and reopened; calls succeed meanwhile', async () => {
    for (const node of nodes) node.proxy.cut();
    const before = idp.count;
    await deployWith(CLIENTS[3]!);
    expect(await callAll(50)).toEqual(Array(100).fill(200));
    expect(idp.count - before).toBeGreaterThanOrEqual(1);
    expect(idp.count - before).toBeLessThanOrEqual(2);
    await eventually(() => nodes.every((n) => n.platform.deps.redis?.available === true));
  });

  it('no client secret and no token reaches the logs', () => {
    const all = nodes.flatMap((n) => n.log).join('\n');
    for (const client of CLIENTS) expect(all).not.toContain(client.secret);
    for (const token of idp.issued) expect(all).not.toContain(token.split('.')[2]!);
  });
});
