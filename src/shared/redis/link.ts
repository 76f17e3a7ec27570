import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/**
 * The node's connection to the optional shared Redis, and whether it may be
 * used right now. Everything built on it (outbound tokens, throttles,
 * counters) keeps a local fallback: `run` either answers within the command
 * timeout or rejects with `RedisUnavailable`, at once while Redis is known to
 * be down, so a request never waits on a Redis that is away and never fails
 * because of it.
 *
 * A failed or slow command marks Redis down and drops the connection (a
 * black-holed connection may have swallowed commands: its replies can no
 * longer be trusted to match). While down, a probe opens a new connection
 * and sends PING every `probeIntervalMs`; the first answer within the
 * timeout marks Redis up again. Each transition is logged once, with the
 * host and port only (the URL may carry a password).
 */

export class RedisUnavailable extends Error {
  constructor(reason: string) {
    super(`Redis unavailable: ${reason}`);
  }
}

export interface RedisLinkOptions {
  url: string;
  logger: Logger;
  /** A command (or connecting) that takes longer fails, and Redis counts as down. */
  timeoutMs: number;
  /** Prefix of every key (namespaces installations sharing one Redis). */
  prefix: string;
  /** While down, how often a new connection is tried (default 1000 ms). */
  probeIntervalMs?: number;
}

export class RedisLink {
  readonly prefix: string;
  readonly timeoutMs: number;
  private client: Redis | undefined;
  private up = false;
  private closed = false;
  private probing: NodeJS.Timeout | undefined;
  private connecting: Promise<boolean> | undefined;
  private readonly where: string;
  private readonly probeIntervalMs: number;
  /** Callers waiting for the first connection attempt to settle (see `ready`). */
  private firstAttempt: Promise<boolean>;

  constructor(private readonly options: RedisLinkOptions) {
    this.prefix = options.prefix;
    this.timeoutMs = options.timeoutMs;
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    const u = new URL(options.url);
    this.where = `${u.hostname}:${u.port || 6379}`;
    this.firstAttempt = this.connect();
    this.firstAttempt.then(
      (ok) => {
        if (ok) this.options.logger.info({ redis: this.where }, 'Redis connected: caches and throttles are shared');
        else {
          this.options.logger.warn({ redis: this.where }, 'Redis unavailable at start: using local caches and throttles until it answers');
          this.scheduleProbe();
        }
      },
      () => {},
    );
  }

  /** True while commands go to Redis. */
  get available(): boolean {
    return this.up;
  }

  /** Resolves once the first connection attempt has settled (true: connected). */
  ready(): Promise<boolean> {
    return this.firstAttempt;
  }

  /** `prefix` + `key`. */
  key(key: string): string {
    return this.prefix + key;
  }

  /**
   * Runs `command` on the connection within the timeout. Rejects with
   * `RedisUnavailable` (at once while Redis is down); a failure or timeout
   * marks Redis down. Replies Redis sends as errors for a bad command (a
   * script error) are not a sign of an outage, but are treated the same:
   * the caller falls back either way.
   */
  async run<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    const client = this.client;
    if (!this.up || !client) throw new RedisUnavailable('down');
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command(client),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new RedisUnavailable(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } catch (error) {
      this.markDown(client, error instanceof RedisUnavailable ? error.message : errorCode(error));
      throw error instanceof RedisUnavailable ? error : new RedisUnavailable(errorCode(error));
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probing);
    this.up = false;
    const client = this.client;
    this.client = undefined;
    if (client) await client.quit().catch(() => client.disconnect());
  }

  /** One connection attempt: a new client, connected and answering PING within the timeout. */
  private connect(): Promise<boolean> {
    if (this.connecting) return this.connecting;
    const client = new Redis(this.options.url, {
      lazyConnect: true,
      // Never queue or retry behind the caller's back: a command either goes out now or fails.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableReadyCheck: false,
      connectTimeout: this.timeoutMs,
      commandTimeout: this.timeoutMs,
      keepAlive: 10_000,
    });
    // Connection errors are reported through the transitions below, never thrown.
    client.on('error', () => {});
    client.on('close', () => {
      if (this.client === client) this.markDown(client, 'connection closed');
    });
    const attempt = (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.connect().then(() => client.ping()),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), this.timeoutMs * 2);
          }),
        ]);
      } catch {
        client.disconnect();
        return false;
      } finally {
        clearTimeout(timer);
      }
      if (this.closed) {
        client.disconnect();
        return false;
      }
      this.client = client;
      this.up = true;
      return true;
    })();
    this.connecting = attempt.finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private markDown(client: Redis, reason: string): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.disconnect();
    if (!this.up) return;
    this.up = false;
    if (this.closed) return;
    this.options.logger.warn({ redis: this.where, reason }, 'Redis unavailable: using local caches and throttles until it answers again');
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.closed || this.probing) return;
    this.probing = setTimeout(() => {
      this.probing = undefined;
      void this.connect().then((ok) => {
        if (ok) this.options.logger.info({ redis: this.where }, 'Redis answers again: caches and throttles are shared again');
        else this.scheduleProbe();
      });
    }, this.probeIntervalMs);
    this.probing.unref();
  }
}

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown };
  return typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'error';
}
