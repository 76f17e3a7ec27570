import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { SEALED_SECRET_CONTEXT, type GatewaySnapshot, type SnapshotApi } from '../gateway/index.js';
import { MasterKey } from '../shared/crypto.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { isDatabaseUnavailable, type Store } from '../store/index.js';
import type { GatewayNode } from '../store/repos/gateway-nodes.js';
import { DELTA_MEDIA_TYPE, diffSnapshots, SNAPSHOT_ID_HEADER, SNAPSHOT_ID_PATTERN, type SnapshotDelta } from './gateway-sync-delta.js';
import type { RuntimePublisher } from './snapshot/publisher.js';

/** Gateway-node tokens carry this prefix so secret scanners can find leaked ones. */
export const GATEWAY_TOKEN_PREFIX = 'dbg_';
/** The sync endpoint gateway-only nodes long-poll (outside /api/v1: a machine protocol, not the management API). */
export const GATEWAY_SYNC_PATH = '/_drawbridge/gateway-sync/v1/snapshot';
/** Longest a sync request waits for a change before answering 204. */
const MAX_WAIT_SECONDS = 60;
/** Nodes whose resealed APIs are kept in memory at once (each: the JSON of every API it was sent). */
const MAX_SEALERS = 64;
/** A node that has not asked for this long (a live one asks at least every MAX_WAIT_SECONDS) loses its sealer: gone, revoked or replaced. */
const SEALER_IDLE_MS = 5 * 60_000;

/**
 * The key a gateway node's snapshots are sealed with: derived from its token, so the
 * node needs no master key and the control plane stores nothing more (only the
 * token's hash). A revoked or replaced token can no longer open what it was sent.
 */
export function nodeSealingKey(token: string): MasterKey {
  return MasterKey.fromBytes(Buffer.from(hkdfSync('sha256', token, 'drawbridge-gateway-node', 'snapshot-seal/v1', 32)), 'the gateway token');
}

const isSealed = (v: unknown): v is { $sealed: string } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { $sealed?: unknown }).$sealed === 'string';

/** Every `{ "$sealed" }` value in `value`, opened with `from` and sealed again with `to`. */
function resealValue(value: unknown, from: MasterKey, to: MasterKey): unknown {
  if (isSealed(value)) return { $sealed: to.encrypt(from.decrypt(value.$sealed, SEALED_SECRET_CONTEXT), SEALED_SECRET_CONTEXT) };
  if (Array.isArray(value)) return value.map((v) => resealValue(v, from, to));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resealValue(v, from, to)]));
  return value;
}

/** Every `{ "$sealed" }` value of `snapshot`, opened with `from` and sealed again with `to`. */
export function reseal(snapshot: GatewaySnapshot, from: MasterKey, to: MasterKey): GatewaySnapshot {
  return resealValue(snapshot, from, to) as GatewaySnapshot;
}

/**
 * What was sent to one node, as JSON resealed with its key, by the control
 * plane's object it was made from: an API (or part) that did not change is
 * never resealed or serialized again for that node.
 */
class NodeSealer {
  private readonly json = new WeakMap<object, string>();

  constructor(
    private readonly from: MasterKey,
    private readonly to: MasterKey,
  ) {}

  private sealed(value: unknown): string {
    if (typeof value !== 'object' || value === null) return JSON.stringify(value);
    let out = this.json.get(value);
    if (out === undefined) this.json.set(value, (out = JSON.stringify(resealValue(value, this.from, this.to))));
    return out;
  }

  /** `fields` (`clients` member by member) and `apis`, as one JSON object. */
  private object(fields: Record<string, unknown>, apis: readonly SnapshotApi[]): string {
    const parts: string[] = [];
    for (const [key, value] of Object.entries(fields)) {
      const json = key === 'clients' ? `{${Object.entries(value as object).map(([k, v]) => `${JSON.stringify(k)}:${this.sealed(v)}`)}}` : this.sealed(value);
      parts.push(`${JSON.stringify(key)}:${json}`);
    }
    parts.push(`"apis":[${apis.map((api) => this.sealed(api)).join(',')}]`);
    return `{${parts.join(',')}}`;
  }

  snapshot(snapshot: GatewaySnapshot): string {
    const { apis, ...fields } = snapshot;
    return this.object(fields, apis);
  }

  delta(delta: SnapshotDelta, base: string): string {
    return this.object({ delta: { base, ...delta.header }, ...delta.fields }, delta.apis);
  }
}

/** How many of an environment's latest snapshots are kept as bases for deltas. */
const KEPT_SNAPSHOTS = 16;

interface Feed {
  latest?: GatewaySnapshot;
  ready?: Promise<GatewaySnapshot>;
  waiters: Set<() => void>;
  /** The latest snapshots, oldest first (the publisher's immutable objects: unchanged APIs are shared). */
  kept: GatewaySnapshot[];
  /** The delta from a kept snapshot to the latest, once computed (undefined: send the full snapshot). */
  deltas: WeakMap<GatewaySnapshot, { target: GatewaySnapshot; delta: SnapshotDelta | undefined }>;
}

const record = (feed: Feed, snapshot: GatewaySnapshot) => {
  if (feed.latest === snapshot) return;
  feed.latest = snapshot;
  feed.kept.push(snapshot);
  if (feed.kept.length > KEPT_SNAPSHOTS) feed.kept.shift();
};

/**
 * The latest snapshot of each environment asked for, kept by the publisher (attached
 * like an in-process gateway), and a way to wait for the next one.
 */
export class SnapshotFeed {
  private readonly feeds = new Map<string, Feed>();
  /** Names this feed in snapshot ids: another process's (or replica's) version numbers never pass for this one's. */
  private readonly epoch = randomBytes(9).toString('base64url');

  constructor(private readonly publisher: RuntimePublisher) {}

  async latest(environment: string): Promise<GatewaySnapshot> {
    let feed = this.feeds.get(environment);
    if (!feed) {
      const created: Feed = { waiters: new Set(), kept: [], deltas: new WeakMap() };
      this.feeds.set(environment, (feed = created));
      this.publisher.attach(environment, {
        setSnapshot: async (snapshot) => {
          record(created, snapshot);
          for (const wake of created.waiters) wake();
        },
      });
    }
    if (feed.latest) return feed.latest;
    const current = feed;
    current.ready ??= this.publisher
      .compile(environment)
      .then((s) => {
        if (!current.latest) record(current, s);
        return current.latest!;
      })
      .finally(() => {
        current.ready = undefined;
      });
    return current.ready;
  }

  /** The id a node sends back (`have`) to get deltas from this snapshot. */
  idOf(snapshot: GatewaySnapshot): string {
    return `${this.epoch}.${snapshot.version}`;
  }

  /** The delta from the kept snapshot `baseId` of `environment` to `target`; undefined when that base is not kept (or a delta does not fit). */
  delta(environment: string, baseId: string, target: GatewaySnapshot): SnapshotDelta | undefined {
    const feed = this.feeds.get(environment);
    const base = feed?.kept.find((s) => this.idOf(s) === baseId);
    if (!feed || !base || base === target) return undefined;
    let cached = feed.deltas.get(base);
    if (cached?.target !== target) feed.deltas.set(base, (cached = { target, delta: diffSnapshots(base, target) }));
    return cached.delta;
  }

  /** Resolves with a snapshot newer than `after`, or undefined after `ms` (or when `signal` aborts). */
  async next(environment: string, after: number, ms: number, signal: AbortSignal): Promise<GatewaySnapshot | undefined> {
    const now = await this.latest(environment);
    if (now.version > after) return now;
    const feed = this.feeds.get(environment)!;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        feed.waiters.delete(wake);
        signal.removeEventListener('abort', done);
        resolve(feed.latest && feed.latest.version > after ? feed.latest : undefined);
      };
      const wake = () => {
        if (feed.latest && feed.latest.version > after) done();
      };
      const timer = setTimeout(done, ms);
      feed.waiters.add(wake);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

export interface GatewaySyncDeps {
  store: Store;
  masterKey: MasterKey;
  logger: Logger;
  clock: Clock;
}

const refuse = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).type('application/json; charset=utf-8').header('cache-control', 'no-store').send({ code, message });

/**
 * `GET /_drawbridge/gateway-sync/v1/snapshot?after=<version>&wait=<seconds>[&have=<id>]`, for
 * gateway-only nodes (`drawbridge gateway --control-plane`). Authenticated by the
 * node's token (`Authorization: Bearer dbg_…`), which also names the environment.
 * Answers the environment's snapshot (200, secrets sealed with the node's key) as
 * soon as there is one newer than `after`, or 204 after `wait` seconds (default 30,
 * at most 60) without a change: a long poll, so changes reach the node when the
 * control plane publishes them. The answer's `x-drawbridge-snapshot-id` names it;
 * a node that sends it back as `have=<id>` gets a delta (`DELTA_MEDIA_TYPE`, see
 * gateway-sync-delta.ts) while that snapshot is one of the last few, the full
 * snapshot otherwise. A request without `have` (an older node) gets the full one.
 */
export const gatewaySync =
  (deps: GatewaySyncDeps, feed: SnapshotFeed): FastifyPluginAsync =>
  async (app) => {
    const authenticate = async (request: FastifyRequest): Promise<{ node: GatewayNode; token: string } | undefined> => {
      const match = /^Bearer (dbg_[A-Za-z0-9_-]{20,100})$/.exec(request.headers.authorization ?? '');
      const node = match && (await deps.store.gatewayNodes.byToken(match[1]));
      return node ? { node, token: match[1] } : undefined;
    };
    /**
     * Each node's sealer, by node id (checked against a hash of the token it was
     * made for), least recently used first: past `MAX_SEALERS`, or idle for
     * `SEALER_IDLE_MS`, the first goes, which costs that node only the sealing
     * of a full snapshot it may ask for later (a delta seals just the changed
     * APIs anyway). A sealer holds about one snapshot's JSON (7 MB at 10,000 APIs).
     */
    const sealers = new Map<string, { tokenHash: string; sealer: NodeSealer; usedAt: number }>();
    const sealerFor = ({ node, token }: { node: GatewayNode; token: string }): NodeSealer => {
      const now = deps.clock.now();
      const tokenHash = createHash('sha256').update(token).digest('base64url');
      let entry = sealers.get(node.id);
      sealers.delete(node.id);
      if (entry?.tokenHash !== tokenHash) entry = { tokenHash, sealer: new NodeSealer(deps.masterKey, nodeSealingKey(token)), usedAt: now };
      entry.usedAt = now;
      for (const [id, other] of sealers) {
        if (sealers.size < MAX_SEALERS && now - other.usedAt < SEALER_IDLE_MS) break;
        sealers.delete(id);
      }
      sealers.set(node.id, entry);
      return entry.sealer;
    };

    app.get(GATEWAY_SYNC_PATH, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const after = query.after === undefined ? -1 : Number(query.after);
      const wait = query.wait === undefined ? 30 : Number(query.wait);
      if (!Number.isSafeInteger(after) || after < -1) return refuse(reply, 400, 'bad_request', 'after must be a snapshot version (a whole number)');
      if (!Number.isInteger(wait) || wait < 0 || wait > MAX_WAIT_SECONDS) return refuse(reply, 400, 'bad_request', `wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}`);
      const have = query.have;
      if (have !== undefined && (typeof have !== 'string' || !SNAPSHOT_ID_PATTERN.test(have)))
        return refuse(reply, 400, 'bad_request', `have must be a snapshot id (the ${SNAPSHOT_ID_HEADER} header of an earlier answer)`);
      try {
        const caller = await authenticate(request);
        if (!caller)
          return refuse(reply.header('www-authenticate', 'Bearer realm="drawbridge-gateway-sync"'), 401, 'unauthenticated', 'Send a live gateway-node token as "Authorization: Bearer dbg_…"');
        await deps.store.gatewayNodes.touch(caller.node.id);
        const aborted = new AbortController();
        request.raw.once('close', () => aborted.abort());
        const snapshot = await feed.next(caller.node.environment, after, wait * 1000, aborted.signal);
        if (aborted.signal.aborted) return reply;
        // A token revoked while the request waited gets nothing more.
        if (snapshot && !(await deps.store.gatewayNodes.byToken(caller.token))) {
          sealers.delete(caller.node.id);
          return refuse(reply, 401, 'unauthenticated', 'The gateway-node token was revoked');
        }
        reply.header('cache-control', 'no-store');
        if (!snapshot) return reply.code(204).send();
        reply.code(200).header('x-drawbridge-snapshot-version', String(snapshot.version)).header(SNAPSHOT_ID_HEADER, feed.idOf(snapshot));
        // A node that says which snapshot it holds (`have`, sent by nodes that apply deltas) gets what changed since, when that snapshot is still kept.
        const delta = have === undefined ? undefined : feed.delta(caller.node.environment, have, snapshot);
        if (delta) return reply.type(`${DELTA_MEDIA_TYPE}; charset=utf-8`).send(sealerFor(caller).delta(delta, have as string));
        return reply.type('application/json; charset=utf-8').send(sealerFor(caller).snapshot(snapshot));
      } catch (error) {
        if (isDatabaseUnavailable(error)) return refuse(reply.header('retry-after', 5), 503, 'unavailable', 'The database is unavailable; try again shortly');
        deps.logger.error({ err: error }, 'gateway sync failed');
        return refuse(reply, 500, 'internal', 'Internal error');
      }
    });
  };
