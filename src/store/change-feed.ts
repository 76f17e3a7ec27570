import { randomUUID } from 'node:crypto';
import type { Generated, Kysely } from 'kysely';
import pg from 'pg';
import type { Logger } from '../shared/logger.js';
import type { Database } from './schema.js';

/** The PostgreSQL channel a committed change is announced on (the payload is the writer's node id). */
export const CHANGE_CHANNEL = 'drawbridge_changes';

/**
 * What a committed change touched, as precisely as the compiler of gateway
 * snapshots can use it: one API's active deployments, everything of one
 * organization (its handle, environments, components), or one of the
 * installation-wide parts. `everything` when the receiver cannot know.
 */
export type Change =
  | { kind: 'api'; orgId: string; apiId: string }
  | { kind: 'organization'; orgId: string }
  | { kind: 'subscriptions' | 'credentials' | 'identityProviders' | 'revocations' | 'signingKeys' | 'everything' };

/** Changes committed together; `remote` when another node (or process) made them. */
export interface ChangeBatch {
  changes: readonly Change[];
  remote: boolean;
}

export interface ChangeLogTables {
  change_log: { seq: Generated<number>; node: string; at: string; changes: string };
}

/**
 * The one way "something changed" travels. Repositories record each change in
 * the `change_log` table inside the transaction that makes it and publish it
 * here once that transaction committed (another connection then sees it: a
 * cache told earlier could re-read the old row; a rolled-back change publishes
 * nothing). Caches and the snapshot publisher subscribe. Changes other nodes
 * made arrive here too, read from the log by `ChangeRelay`.
 */
export class ChangeFeed {
  /** This process's id in the change log, so it skips its own rows there. */
  readonly node = randomUUID();
  private readonly listeners = new Set<(batch: ChangeBatch) => void>();

  constructor(private readonly logger?: Logger) {}

  subscribe(fn: (batch: ChangeBatch) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  publish(changes: readonly Change[], remote = false): void {
    if (changes.length === 0) return;
    const batch: ChangeBatch = { changes: dedupe(changes), remote };
    for (const fn of this.listeners) {
      try {
        fn(batch);
      } catch (error) {
        this.logger?.error({ err: error }, 'change listener failed');
      }
    }
  }
}

const keyOf = (c: Change): string => (c.kind === 'api' ? `api:${c.apiId}` : c.kind === 'organization' ? `org:${c.orgId}` : c.kind);

function dedupe(changes: readonly Change[]): Change[] {
  if (changes.some((c) => c.kind === 'everything')) return [{ kind: 'everything' }];
  const seen = new Map<string, Change>();
  for (const c of changes) if (!seen.has(keyOf(c))) seen.set(keyOf(c), c);
  return [...seen.values()];
}

export interface ChangeRelayOptions {
  /** The PostgreSQL URL to LISTEN on (absent: SQLite, read at the poll only). */
  postgresUrl?: string;
  /**
   * How often the log is read without a notification (ms; 0: never): the
   * fallback for a notification lost while the listening connection was down.
   * One indexed query reading nothing when nothing changed.
   */
  pollMs: number;
  logger?: Logger;
}

/** Log rows are kept this long: a node away for longer recompiles everything when it is back. */
const LOG_RETENTION_MS = 60 * 60_000;
/** A sequence number skipped by a reader is waited for this long (the transaction holding it may still commit). */
const HOLE_WAIT_MS = 30_000;

/**
 * Carries changes between the nodes of a cluster (and to standalone gateways):
 * reads the change log on a NOTIFY from another node (PostgreSQL LISTEN/NOTIFY,
 * sent by the writing transaction at its commit) and at its poll, and publishes
 * other nodes' rows on the feed as remote changes. A reconnect after a gap reads
 * the log too, so nothing announced meanwhile is lost.
 */
export class ChangeRelay {
  private last = 0;
  /** Sequence numbers passed over (not committed yet when read), with when they were first missed. */
  private readonly holes = new Map<number, number>();
  private reading: Promise<void> | undefined;
  private again = false;
  private listener: pg.Client | undefined;
  private poller: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = 0;
  private lastPrune = 0;
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly feed: ChangeFeed,
    private readonly options: ChangeRelayOptions,
  ) {}

  /** Starts from the log's end (what is there already is in what the caller compiled). Never throws: the poll catches up. */
  async start(): Promise<void> {
    try {
      const row = await this.db
        .selectFrom('change_log')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirst();
      this.last = Number(row?.seq ?? 0);
    } catch (error) {
      this.options.logger?.warn({ err: (error as Error).message }, 'could not read the change log; everything is recompiled once it can be read');
      this.last = -1;
    }
    if (this.options.postgresUrl) await this.listen(this.options.postgresUrl);
    if (this.options.pollMs > 0) {
      this.poller = setInterval(() => void this.read(), this.options.pollMs);
      this.poller.unref();
    }
  }

  private async listen(url: string): Promise<void> {
    const client = new pg.Client({ connectionString: url, keepAlive: true, connectionTimeoutMillis: 5_000 });
    const lost = (error?: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (this.closed) return;
      this.options.logger?.warn({ err: error?.message }, 'change feed connection lost; reconnecting (changes are picked up by polling meanwhile)');
      this.backoffMs = Math.min(10_000, Math.max(500, this.backoffMs * 2));
      this.retry = setTimeout(() => {
        this.retry = undefined;
        void this.listen(url);
      }, this.backoffMs);
      this.retry.unref();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL && message.payload !== this.feed.node) void this.read();
    });
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      lost(error as Error);
      return;
    }
    if (this.backoffMs > 0) void this.read(); // back after a gap: read what was logged meanwhile
    this.backoffMs = 0;
  }

  /** Reads the log now; resolves when every row committed so far was published. */
  read(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        await this.readOnce().catch((error: Error) => {
          this.options.logger?.warn({ err: error.message }, 'could not read the change log; retrying at the next poll');
        });
      } while (this.again && !this.closed);
    })().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    if (this.closed) return;
    const now = Date.now();
    for (const [seq, since] of this.holes) if (now - since > HOLE_WAIT_MS) this.holes.delete(seq);
    if (this.last < 0) {
      // The log could not be read at start: whatever happened meanwhile is unknown.
      const row = await this.db
        .selectFrom('change_log')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirst();
      this.last = Number(row?.seq ?? 0);
      this.feed.publish([{ kind: 'everything' }], true);
      return;
    }
    const low = this.holes.size > 0 ? Math.min(this.last, ...this.holes.keys()) : this.last;
    const rows = await this.db.selectFrom('change_log').select(['seq', 'node', 'changes']).where('seq', '>', low).orderBy('seq').execute();
    const changes: Change[] = [];
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq <= this.last && !this.holes.delete(seq)) continue;
      for (let s = this.last + 1; s < seq; s++) this.holes.set(s, now);
      this.last = Math.max(this.last, seq);
      if (row.node !== this.feed.node) changes.push(...(JSON.parse(row.changes) as Change[]));
    }
    if (this.holes.size > 10_000) this.holes.clear();
    this.feed.publish(changes, true);
    if (now - this.lastPrune > 10 * 60_000) {
      this.lastPrune = now;
      await this.db
        .deleteFrom('change_log')
        .where('at', '<', new Date(now - LOG_RETENTION_MS).toISOString())
        .execute();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    if (this.retry) clearTimeout(this.retry);
    const client = this.listener;
    this.listener = undefined;
    await client?.end().catch(() => {});
    await this.reading;
  }
}
