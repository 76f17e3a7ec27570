import { MemoryWindowCounter, windowStart, type WindowCount, type WindowCounter } from '../window-counter.js';
import type { RedisLink } from './link.js';

/**
 * Fixed-window counters for the whole cluster: `INCRBY` on
 * `<prefix><namespace>:<key>:<window start>` with `PEXPIRE` to the window's
 * end (plus a second for clocks that differ), in one transaction.
 *
 * Every count is also kept in a local counter, which answers whenever Redis
 * does not (down, slow): the node then enforces its own share of the limit
 * instead of failing the request, and Redis takes over again when it answers.
 */
export class SharedWindowCounter implements WindowCounter {
  constructor(
    private readonly link: RedisLink,
    private readonly namespace: string,
    readonly local: WindowCounter = new MemoryWindowCounter(),
  ) {}

  private redisKey(key: string, windowMs: number, now: number): string {
    return this.link.key(`${this.namespace}:${key}:${windowStart(now, windowMs)}`);
  }

  async incr(key: string, windowMs: number, now: number, by = 1): Promise<WindowCount> {
    return (await this.addBy([key], windowMs, now, by))[0]!;
  }

  add(keys: readonly string[], windowMs: number, now: number): Promise<WindowCount[]> {
    return this.addBy(keys, windowMs, now, 1);
  }

  async get(keys: readonly string[], windowMs: number, now: number): Promise<WindowCount[]> {
    if (!this.link.available) return this.local.get(keys, windowMs, now);
    try {
      const values = await this.link.run((r) => r.mget(keys.map((k) => this.redisKey(k, windowMs, now))));
      const resetInMs = windowStart(now, windowMs) + windowMs - now;
      return values.map((v) => ({ count: v === null ? 0 : Number(v), resetInMs }));
    } catch {
      return this.local.get(keys, windowMs, now);
    }
  }

  private async addBy(keys: readonly string[], windowMs: number, now: number, by: number): Promise<WindowCount[]> {
    const local = await Promise.all(keys.map((k) => this.local.incr(k, windowMs, now, by)));
    if (!this.link.available) return local;
    const ttl = windowStart(now, windowMs) + windowMs - now + 1000;
    try {
      const replies = await this.link.run((r) => {
        const tx = r.multi();
        for (const k of keys) {
          const rk = this.redisKey(k, windowMs, now);
          tx.incrby(rk, by).pexpire(rk, ttl);
        }
        return tx.exec();
      });
      const resetInMs = windowStart(now, windowMs) + windowMs - now;
      return keys.map((_, i) => {
        const [error, value] = replies?.[i * 2] ?? [new Error('no reply'), null];
        if (error) throw error;
        return { count: Number(value), resetInMs };
      });
    } catch {
      return local;
    }
  }
}
