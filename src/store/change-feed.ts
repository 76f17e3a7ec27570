import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../shared/logger.js';

/** The PostgreSQL channel nodes announce committed changes on. */
export const CHANGE_CHANNEL = 'drawbridge_changes';

/**
 * How the nodes of a cluster tell each other that something committed changed
 * (a deployment, a subscription, a revocation, credentials, identity providers),
 * so each drops its caches and recompiles its gateways' snapshots at once instead
 * of at its next poll. On PostgreSQL it is LISTEN/NOTIFY; on SQLite (one node)
 * there is nobody else to tell. A notification carries no data: the receiver
 * re-reads what it needs, so a lost or duplicated one is harmless, and every
 * reconnect counts as a change (notifications sent meanwhile are lost).
 */
export interface ChangeFeed {
  /** Tells the other nodes (call after the commit); bursts are sent as one notification. */
  announce(): void;
  /** `fn` runs when another node announced a change, or when some may have been missed. */
  onRemoteChange(fn: () => void): () => void;
  close(): Promise<void>;
}

class LocalFeed implements ChangeFeed {
  announce(): void {}
  onRemoteChange(): () => void {
    return () => {};
  }
  async close(): Promise<void> {}
}

class PostgresFeed implements ChangeFeed {
  private readonly node = randomUUID();
  private readonly listeners = new Set<() => void>();
  private listener: pg.Client | undefined;
  private sender: pg.Pool;
  private pending: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = 0;
  private closed = false;

  constructor(private readonly url: string, private readonly logger?: Logger) {
    this.sender = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 10_000, keepAlive: true });
    this.sender.on('error', () => {});
  }

  async start(): Promise<void> {
    await this.listen();
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, keepAlive: true, connectionTimeoutMillis: 5_000 });
    const lost = (error?: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (this.closed) return;
      this.logger?.warn({ err: error?.message }, 'change feed connection lost; reconnecting (changes are picked up by polling meanwhile)');
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL && message.payload !== this.node) this.fire();
    });
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      lost(error as Error);
      return;
    }
    if (this.backoffMs > 0) this.fire(); // back after a gap: whatever was announced meanwhile is lost
    this.backoffMs = 0;
  }

  private scheduleReconnect(): void {
    this.backoffMs = Math.min(10_000, Math.max(500, this.backoffMs * 2));
    this.retry = setTimeout(() => { this.retry = undefined; void this.listen(); }, this.backoffMs);
    this.retry.unref();
  }

  private fire(): void {
    for (const fn of this.listeners) {
      try {
        fn();
      } catch (error) {
        this.logger?.error({ err: error }, 'change listener failed');
      }
    }
  }

  announce(): void {
    if (this.closed || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.sender.query('select pg_notify($1, $2)', [CHANGE_CHANNEL, this.node]).catch((error: Error) => {
        this.logger?.warn({ err: error.message }, 'could not announce a change to the other nodes; they pick it up by polling');
      });
    }, 5);
  }

  onRemoteChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pending) clearTimeout(this.pending);
    if (this.retry) clearTimeout(this.retry);
    const client = this.listener;
    this.listener = undefined;
    await client?.end().catch(() => {});
    await this.sender.end().catch(() => {});
  }
}

/** The change feed of the database at `url`: LISTEN/NOTIFY on PostgreSQL, nothing to do on SQLite. */
export async function openChangeFeed(url: string, options: { logger?: Logger } = {}): Promise<ChangeFeed> {
  if (!/^postgres(ql)?:\/\//.test(url)) return new LocalFeed();
  const feed = new PostgresFeed(url, options.logger);
  await feed.start();
  return feed;
}
