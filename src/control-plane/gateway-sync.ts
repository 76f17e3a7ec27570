import { hkdfSync } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { SEALED_SECRET_CONTEXT, type GatewaySnapshot } from '../gateway/index.js';
import { MasterKey } from '../shared/crypto.js';
import type { Logger } from '../shared/logger.js';
import { isDatabaseUnavailable, type Store } from '../store/index.js';
import type { GatewayNode } from '../store/repos/gateway-nodes.js';
import type { RuntimePublisher } from './snapshot/publisher.js';

/** Gateway-node tokens carry this prefix so secret scanners can find leaked ones. */
export const GATEWAY_TOKEN_PREFIX = 'dbg_';
/** The sync endpoint gateway-only nodes long-poll (outside /api/v1: a machine protocol, not the management API). */
export const GATEWAY_SYNC_PATH = '/_drawbridge/gateway-sync/v1/snapshot';
/** Longest a sync request waits for a change before answering 204. */
const MAX_WAIT_SECONDS = 60;

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

/** Every `{ "$sealed" }` value of `snapshot`, opened with `from` and sealed again with `to`. */
export function reseal(snapshot: GatewaySnapshot, from: MasterKey, to: MasterKey): GatewaySnapshot {
  const walk = (value: unknown): unknown => {
    if (isSealed(value)) return { $sealed: to.encrypt(from.decrypt(value.$sealed, SEALED_SECRET_CONTEXT), SEALED_SECRET_CONTEXT) };
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return walk(snapshot) as GatewaySnapshot;
}

interface Feed {
  latest?: GatewaySnapshot;
  ready?: Promise<GatewaySnapshot>;
  waiters: Set<() => void>;
}

/**
 * The latest snapshot of each environment asked for, kept by the publisher (attached
 * like an in-process gateway), and a way to wait for the next one.
 */
export class SnapshotFeed {
  private readonly feeds = new Map<string, Feed>();

  constructor(private readonly publisher: RuntimePublisher) {}

  async latest(environment: string): Promise<GatewaySnapshot> {
    let feed = this.feeds.get(environment);
    if (!feed) {
      const created: Feed = { waiters: new Set() };
      this.feeds.set(environment, (feed = created));
      this.publisher.attach(environment, {
        setSnapshot: async (snapshot) => {
          created.latest = snapshot;
          for (const wake of created.waiters) wake();
        },
      });
    }
    if (feed.latest) return feed.latest;
    const current = feed;
    current.ready ??= this.publisher
      .compile(environment)
      .then((s) => (current.latest ??= s))
      .finally(() => {
        current.ready = undefined;
      });
    return current.ready;
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
}

const refuse = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).type('application/json; charset=utf-8').header('cache-control', 'no-store').send({ code, message });

/**
 * `GET /_drawbridge/gateway-sync/v1/snapshot?after=<version>&wait=<seconds>`, for
 * gateway-only nodes (`drawbridge gateway --control-plane`). Authenticated by the
 * node's token (`Authorization: Bearer dbg_…`), which also names the environment.
 * Answers the environment's snapshot (200, secrets sealed with the node's key) as
 * soon as there is one newer than `after`, or 204 after `wait` seconds (default 30,
 * at most 60) without a change: a long poll, so changes reach the node when the
 * control plane publishes them.
 */
export const gatewaySync =
  (deps: GatewaySyncDeps, feed: SnapshotFeed): FastifyPluginAsync =>
  async (app) => {
    const authenticate = async (request: FastifyRequest): Promise<{ node: GatewayNode; token: string } | undefined> => {
      const match = /^Bearer (dbg_[A-Za-z0-9_-]{20,100})$/.exec(request.headers.authorization ?? '');
      const node = match && (await deps.store.gatewayNodes.byToken(match[1]));
      return node ? { node, token: match[1] } : undefined;
    };

    app.get(GATEWAY_SYNC_PATH, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const after = query.after === undefined ? -1 : Number(query.after);
      const wait = query.wait === undefined ? 30 : Number(query.wait);
      if (!Number.isSafeInteger(after) || after < -1) return refuse(reply, 400, 'bad_request', 'after must be a snapshot version (a whole number)');
      if (!Number.isInteger(wait) || wait < 0 || wait > MAX_WAIT_SECONDS) return refuse(reply, 400, 'bad_request', `wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}`);
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
        if (snapshot && !(await deps.store.gatewayNodes.byToken(caller.token))) return refuse(reply, 401, 'unauthenticated', 'The gateway-node token was revoked');
        reply.header('cache-control', 'no-store');
        if (!snapshot) return reply.code(204).send();
        return reply
          .code(200)
          .header('x-drawbridge-snapshot-version', String(snapshot.version))
          .send(reseal(snapshot, deps.masterKey, nodeSealingKey(caller.token)));
      } catch (error) {
        if (isDatabaseUnavailable(error)) return refuse(reply.header('retry-after', 5), 503, 'unavailable', 'The database is unavailable; try again shortly');
        deps.logger.error({ err: error }, 'gateway sync failed');
        return refuse(reply, 500, 'internal', 'Internal error');
      }
    });
  };
