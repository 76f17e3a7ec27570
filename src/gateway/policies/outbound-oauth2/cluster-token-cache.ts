import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Clock } from '../../../shared/clock.js';
import { sha256 } from '../../../shared/crypto.js';
import type { RedisLink } from '../../../shared/redis/link.js';

/** An outbound token and its timing (epoch ms, from the clock of the node that obtained it). */
export interface CachedToken {
  value: string;
  obtainedAt: number;
  /** Served until this instant. */
  usableUntil: number;
  /** First use at or after this instant starts a refresh. */
  refreshFrom: number;
}

/**
 * Outbound tokens shared by the nodes of a cluster, with a cluster-wide
 * single flight: one token request per token lifetime for the whole
 * cluster, whatever the number of nodes and the concurrency.
 */
export interface ClusterTokenCache {
  /**
   * A token `accept` takes: the cluster's, or the one `fetch` obtains while
   * this node holds the cluster's lock for `key` (other nodes wait for it
   * and take it). Never fails because of the cache: when it is unavailable,
   * or the lock's holder has not delivered within `boundMs`, `fetch` runs
   * here. Rejects only with `fetch`'s own error.
   */
  obtain(key: string, secret: string, accept: (token: CachedToken) => boolean, fetch: () => Promise<CachedToken>, boundMs: number): Promise<CachedToken>;
}

/** Key of the cluster cache in `PolicyDeps.shared` (seeded by the platform when Redis is configured). */
export const CLUSTER_TOKEN_CACHE_KEY = 'outbound-oauth2:cluster-token-cache';

/** Deletes the lock only if this node still holds it (it may have expired and been taken by another). */
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * The Redis cluster cache. Per cache key (the token manager's: organization,
 * token URL, client ID, secret hash, scope, audience, resource, method):
 * - `<prefix>outbound-token:<sha256(key)>`: the token, encrypted with
 *   AES-256-GCM under a key derived (HKDF) from the client secret, so only
 *   nodes holding the credentials can read it; it expires when the token
 *   stops being usable;
 * - `…:lock`: `SET NX PX` by the node fetching a new token, expiring after
 *   the token request's bound, so a node that dies while holding it only
 *   delays the others.
 * Nodes that find the lock taken poll the token every `pollMs` until it is
 * there, the lock is gone (they try to take it), or `boundMs` has passed.
 */
export class RedisClusterTokenCache implements ClusterTokenCache {
  constructor(
    private readonly link: RedisLink,
    private readonly clock: Clock,
    private readonly pollMs = 20,
  ) {}

  async obtain(key: string, secret: string, accept: (token: CachedToken) => boolean, fetch: () => Promise<CachedToken>, boundMs: number): Promise<CachedToken> {
    if (!this.link.available) return fetch();
    const id = sha256(key);
    const tokenKey = this.link.key(`outbound-token:${id}`);
    const lockKey = `${tokenKey}:lock`;
    const owner = randomBytes(16).toString('hex');
    const cipher = sealer(secret, id);
    // Real time, not the injected clock: this bounds actual waiting.
    const deadline = Date.now() + boundMs;
    for (;;) {
      try {
        const stored = await this.link.run((r) => r.get(tokenKey));
        const shared = stored === null ? undefined : cipher.open(stored);
        if (shared && accept(shared)) return shared;
        const locked = await this.link.run((r) => r.set(lockKey, owner, 'PX', boundMs, 'NX'));
        if (locked === 'OK') break;
      } catch {
        return fetch(); // Redis went away: this node fetches for itself
      }
      if (Date.now() >= deadline) return fetch();
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
    try {
      const token = await fetch();
      const ttl = Math.floor(token.usableUntil - this.clock.now());
      if (ttl > 0) await this.link.run((r) => r.set(tokenKey, cipher.seal(token), 'PX', ttl)).catch(() => {});
      return token;
    } finally {
      this.link
        .run((r) => r.eval(UNLOCK, 1, lockKey, owner))
        .catch(() => {
          /* it expires */
        });
    }
  }
}

/** AES-256-GCM under HKDF(client secret, salt: the entry's id); the id is also the associated data. */
function sealer(secret: string, id: string) {
  const key = Buffer.from(hkdfSync('sha256', secret, id, 'drawbridge outbound token cache', 32));
  return {
    seal(token: CachedToken): string {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(id));
      const body = Buffer.concat([c.update(JSON.stringify([token.value, token.obtainedAt, token.usableUntil, token.refreshFrom]), 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
    },
    /** Undefined for anything that does not open (another secret, a tampered value). */
    open(stored: string): CachedToken | undefined {
      try {
        const raw = Buffer.from(stored, 'base64');
        const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        d.setAAD(Buffer.from(id));
        d.setAuthTag(raw.subarray(12, 28));
        const [value, obtainedAt, usableUntil, refreshFrom] = JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')) as [unknown, unknown, unknown, unknown];
        if (typeof value !== 'string' || typeof obtainedAt !== 'number' || typeof usableUntil !== 'number' || typeof refreshFrom !== 'number') return undefined;
        return { value, obtainedAt, usableUntil, refreshFrom };
      } catch {
        return undefined;
      }
    },
  };
}
