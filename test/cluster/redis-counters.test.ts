import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { RedisLink, RedisUnavailable } from '../../src/shared/redis/link.js';
import { SharedWindowCounter } from '../../src/shared/redis/window-counter.js';
import { MemoryWindowCounter } from '../../src/shared/window-counter.js';
import { testRedisPrefix, testRedisUrl, throughProxy } from '../helpers/redis.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const redisUrl = testRedisUrl();
const WINDOW = 60_000;
/** A fixed instant in the middle of a window, so no count below straddles two. */
const NOW = 1_800_000_000_000 + 30_000;

describe('fixed-window counter in memory', () => {
  it('counts per key and window, and starts again in the next window', async () => {
    const counter = new MemoryWindowCounter();
    expect(await counter.incr('k', WINDOW, NOW)).toEqual({ count: 1, resetInMs: 30_000 });
    expect(await counter.incr('k', WINDOW, NOW + 1000, 4)).toEqual({ count: 5, resetInMs: 29_000 });
    expect(await counter.get(['k', 'other'], WINDOW, NOW)).toEqual([
      { count: 5, resetInMs: 30_000 },
      { count: 0, resetInMs: 30_000 },
    ]);
    expect(await counter.incr('k', WINDOW, NOW + 30_000)).toEqual({ count: 1, resetInMs: 60_000 });
  });

  it('keeps at most its key limit: random keys cannot fill memory', async () => {
    const counter = new MemoryWindowCounter(10);
    for (let i = 0; i < 25; i++) await counter.incr(`random-${i}`, WINDOW, NOW);
    const counts = await counter.get(
      Array.from({ length: 25 }, (_, i) => `random-${i}`),
      WINDOW,
      NOW,
    );
    expect(counts.filter((c) => c.count > 0).length).toBeLessThanOrEqual(10);
  });
});

describe.skipIf(!redisUrl)('fixed-window counter in Redis', () => {
  let proxy: TcpProxy;
  let a: RedisLink;
  let b: RedisLink;
  let direct: Redis;
  const prefix = testRedisPrefix();
  const silent = createLogger('silent');

  beforeAll(async () => {
    const target = new URL(redisUrl!);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    a = new RedisLink({ url: redisUrl!, logger: silent, timeoutMs: 300, prefix });
    b = new RedisLink({ url: throughProxy(redisUrl!, proxy.port), logger: silent, timeoutMs: 300, prefix, probeIntervalMs: 100 });
    expect(await a.ready()).toBe(true);
    expect(await b.ready()).toBe(true);
    direct = new Redis(redisUrl!);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    direct?.disconnect();
    await proxy?.close();
  });

  it('two nodes count together, under a namespaced key that expires with its window', async () => {
    const onA = new SharedWindowCounter(a, 'rate');
    const onB = new SharedWindowCounter(b, 'rate');
    expect(await onA.incr('api-1', WINDOW, NOW)).toEqual({ count: 1, resetInMs: 30_000 });
    expect(await onB.incr('api-1', WINDOW, NOW, 2)).toEqual({ count: 3, resetInMs: 30_000 });
    expect(await onA.add(['api-1', 'api-2'], WINDOW, NOW)).toEqual([
      { count: 4, resetInMs: 30_000 },
      { count: 1, resetInMs: 30_000 },
    ]);
    expect(await onB.get(['api-1', 'api-2', 'api-3'], WINDOW, NOW)).toEqual([4, 1, 0].map((count) => ({ count, resetInMs: 30_000 })));
    const key = `${prefix}rate:api-1:${NOW - 30_000}`;
    expect(await direct.get(key)).toBe('4');
    const ttl = await direct.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(31_000);
  });

  it('with Redis silent, a node counts locally instead of failing, then counts in Redis again when it answers', async () => {
    const onB = new SharedWindowCounter(b, 'silent');
    const onA = new SharedWindowCounter(a, 'silent');
    expect(await onB.incr('k', WINDOW, NOW)).toEqual({ count: 1, resetInMs: 30_000 });
    proxy.setMode('blackhole');
    // Its own counts (kept all along) answer while Redis does not; nothing throws.
    expect(await onB.incr('k', WINDOW, NOW)).toEqual({ count: 2, resetInMs: 30_000 });
    expect(b.available).toBe(false);
    expect(await onB.incr('k', WINDOW, NOW)).toEqual({ count: 3, resetInMs: 30_000 });
    await expect(b.run((r) => r.ping())).rejects.toBeInstanceOf(RedisUnavailable);
    expect(await onA.get(['k'], WINDOW, NOW)).toEqual([{ count: 1, resetInMs: 30_000 }]);
    proxy.setMode('pass');
    const end = Date.now() + 10_000;
    while (!b.available && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(b.available).toBe(true);
    expect(await onB.incr('k', WINDOW, NOW)).toEqual({ count: 2, resetInMs: 30_000 });
  });
});

describe('Redis configuration', () => {
  it('an unusable DRAWBRIDGE_REDIS_URL stops the start, named, without echoing the value (it may hold a password)', () => {
    expect(() => loadConfig({ DRAWBRIDGE_REDIS_URL: 'http://:hunter2@cache:6379' })).toThrow(new ConfigError('DRAWBRIDGE_REDIS_URL', 'must be a redis:// or rediss:// URL'));
    try {
      loadConfig({ DRAWBRIDGE_REDIS_URL: 'http://:hunter2@cache:6379' });
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2');
    }
  });

  it('without DRAWBRIDGE_REDIS_URL nothing is shared; the timeout and prefix have defaults', () => {
    expect(loadConfig({})).toMatchObject({ redisUrl: undefined, redisTimeoutMs: 500, redisPrefix: 'drawbridge:' });
    expect(loadConfig({ DRAWBRIDGE_REDIS_URL: 'rediss://:pw@cache:6380/2', DRAWBRIDGE_REDIS_TIMEOUT_MS: '250', DRAWBRIDGE_REDIS_PREFIX: 'acme:' })).toMatchObject({
      redisUrl: 'rediss://:pw@cache:6380/2',
      redisTimeoutMs: 250,
      redisPrefix: 'acme:',
    });
    expect(() => loadConfig({ DRAWBRIDGE_REDIS_TIMEOUT_MS: '5' })).toThrow(new ConfigError('DRAWBRIDGE_REDIS_TIMEOUT_MS', 'must be a whole number of milliseconds between 10 and 60000, got "5"'));
  });

  it('a Redis that refuses connections at start is not waited for: the link reports it unavailable and commands fail at once', async () => {
    const link = new RedisLink({ url: 'redis://127.0.0.1:1', logger: createLogger('silent'), timeoutMs: 300, prefix: 'x:' });
    try {
      expect(await link.ready()).toBe(false);
      expect(link.available).toBe(false);
      await expect(link.run((r) => r.ping())).rejects.toBeInstanceOf(RedisUnavailable);
      const counter = new SharedWindowCounter(link, 'rate');
      expect(await counter.incr('k', WINDOW, NOW)).toEqual({ count: 1, resetInMs: 30_000 });
    } finally {
      await link.close();
    }
  });
});
