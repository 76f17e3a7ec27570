import { Agent } from 'undici';
import type { Clock } from '../../../shared/clock.js';
import { sha256 } from '../../../shared/crypto.js';
import type { Logger } from '../../../shared/logger.js';
import type { EgressPolicy } from '../../../shared/egress.js';
import { backendTokenUnavailable, egressDenied, type GatewayError } from '../../errors.js';
import type { CachedToken, ClusterTokenCache } from './cluster-token-cache.js';
import { requestToken, TokenRequestFailed, type TokenOutcome, type TokenResult, type TokenSpec } from './token-request.js';

/**
 * Client-credentials tokens for outbound calls, one cache entry per
 * (organization, token URL, client ID, SHA-256 of the secret, scope, audience,
 * resource, authentication method). One manager per gateway listener, obtained
 * through `PolicyDeps.shared`, so tokens survive snapshot swaps and redeploys
 * that keep the same credentials, while changed credentials get a new entry.
 *
 * Timing (all read from the injected Clock, no timers):
 * - a token is served until `expires_in - margin` (margin: 10% of the
 *   lifetime, at most 30 s; lifetime 3600 s when the IdP omits `expires_in`);
 * - from 80% of its lifetime, the first request to use it starts one
 *   background refresh and keeps using the old token meanwhile;
 * - concurrent requests without a usable token share one token request;
 * - after a failed token request the entry backs off (1 s doubling to 60 s):
 *   requests that need a token during the back-off fail at once without
 *   calling the IdP; the first one after it tries again.
 *
 * With a cluster cache (Redis), every token request goes through it: a node
 * takes the token another node obtained, and one node at a time asks the IdP.
 */

export interface TokenManagerMetrics {
  /** Token requests sent to IdPs, by outcome. */
  tokenRequest(outcome: TokenOutcome): void;
  /** `hit`: a cached token was used; `miss`: the request waited for a token request; `backoff`: refused at once during a back-off. */
  cache(result: 'hit' | 'miss' | 'backoff'): void;
  /** A background refresh started ahead of expiry. */
  refresh(): void;
  /** A request is sent again with a fresh token after a backend 401. */
  retryAfterUnauthorized(): void;
}

const noMetrics: TokenManagerMetrics = { tokenRequest() {}, cache() {}, refresh() {}, retryAfterUnauthorized() {} };

export interface TokenManagerOptions {
  clock: Clock;
  logger: Logger;
  metrics?: TokenManagerMetrics;
  /** Lifetime assumed when the IdP sends no `expires_in` (seconds). */
  defaultLifetimeSeconds?: number;
  /** Fraction of the lifetime after which a background refresh starts. */
  refreshAt?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A backend 401 may force a new token at most this often per entry, so a backend that refuses every token cannot make the gateway hammer the IdP. */
  minForcedRefreshIntervalMs?: number;
  /** The installation's egress policy: token endpoints are connected to only where it allows. */
  egress?: EgressPolicy;
  /** Tokens shared by the cluster's nodes (absent: this manager's cache only). */
  cluster?: ClusterTokenCache;
}

type Token = CachedToken;

/** A node waits this long beyond the token request's own timeout for the node that holds the cluster lock. */
const CLUSTER_WAIT_MARGIN_MS = 2_000;

export class TokenEntry {
  private token: Token | undefined;
  private inflight: Promise<Token> | undefined;
  private failures = 0;
  private retryAt = 0;
  /** Why the last token request failed (a back-off answers with the same kind of error). */
  private lastFailure: TokenRequestFailed | undefined;
  private lastForcedRefresh = Number.NEGATIVE_INFINITY;
  private touchedAt: number;

  constructor(
    readonly key: string,
    private spec: TokenSpec,
    private readonly manager: TokenManager,
  ) {
    this.touchedAt = manager.clock.now();
  }

  /**
   * The cached token when it is still usable (synchronous: the hot path), and
   * a background refresh started when it is due. Undefined: call `get()`.
   */
  peek(): string | undefined {
    const token = this.token;
    if (token === undefined) return undefined;
    const now = this.manager.clock.now();
    if (now >= token.usableUntil) return undefined;
    if (now >= token.refreshFrom && this.inflight === undefined && now >= this.retryAt) {
      this.manager.metrics.refresh();
      this.fetch().catch(() => {
        /* counted and logged in fetch; the current token stays in use */
      });
    }
    this.manager.metrics.cache('hit');
    return token.value;
  }

  /** A usable token, waiting for the (single) token request when there is none; rejects with a 502 `GatewayError`. */
  get(): Promise<string> {
    const cached = this.peek();
    if (cached !== undefined) return Promise.resolve(cached);
    if (this.inflight === undefined && this.manager.clock.now() < this.retryAt) {
      this.manager.metrics.cache('backoff');
      return Promise.reject(this.lastFailure?.egressDenied ? toGatewayError(this.lastFailure) : backendTokenUnavailable('token endpoint in back-off after a failure'));
    }
    this.manager.metrics.cache('miss');
    return (this.inflight ?? this.fetch()).then(
      (t) => t.value,
      (error: unknown) => {
        throw toGatewayError(error);
      },
    );
  }

  /**
   * The backend refused `used`: drops it and returns a fresh token, or
   * undefined when no retry should happen (the fresh token was refused too,
   * forced refreshes are rate limited, the IdP is in back-off, or it failed).
   */
  async replace(used: string | undefined): Promise<string | undefined> {
    const current = this.token;
    if (current !== undefined && current.value !== used && this.manager.clock.now() < current.usableUntil) return current.value;
    if (this.inflight === undefined) {
      const now = this.manager.clock.now();
      if (now - this.lastForcedRefresh < this.manager.minForcedRefreshIntervalMs || now < this.retryAt) return undefined;
      this.lastForcedRefresh = now;
      if (current?.value === used) this.token = undefined;
      this.fetch(used).catch(() => {});
    }
    try {
      const fresh = await this.inflight!;
      return fresh.value === used ? undefined : fresh.value;
    } catch {
      return undefined;
    }
  }

  /** Replaces the credentials an entry uses (same key, so the same secret hash: only the object changes). */
  update(spec: TokenSpec): void {
    this.spec = spec;
    this.touchedAt = this.manager.clock.now();
  }

  /** True when nothing has used the entry for `idleMs` (a snapshot in use fetches at least once per token lifetime). */
  stale(now: number, idleMs: number): boolean {
    const last = Math.max(this.touchedAt, this.token?.usableUntil ?? 0, this.retryAt);
    return this.inflight === undefined && now - last > idleMs;
  }

  /** A new token (from the IdP, or from the cluster when another node got one not yet due for refresh); `refused`: a token a backend refused. */
  private fetch(refused?: string): Promise<Token> {
    const { clock, cluster } = this.manager;
    const request = (): Promise<Token> => {
      const started = clock.now();
      return this.manager.requestToken(this.spec).then((result) => {
        const lifetimeMs = result.expiresInSeconds * 1000;
        const margin = Math.min(30_000, lifetimeMs * 0.1);
        return { value: result.accessToken, obtainedAt: started, usableUntil: started + lifetimeMs - margin, refreshFrom: started + lifetimeMs * this.manager.refreshAt };
      });
    };
    const fresh = (t: Token) => clock.now() < t.refreshFrom && t.value !== refused;
    const obtained = cluster ? cluster.obtain(this.key, this.spec.clientSecret, fresh, request, this.spec.timeoutMs + CLUSTER_WAIT_MARGIN_MS) : request();
    const pending = obtained
      .then(
        (token) => {
          this.token = token;
          this.failures = 0;
          this.retryAt = 0;
          this.lastFailure = undefined;
          return token;
        },
        (error: unknown) => {
          this.failures++;
          const delay = Math.min(this.manager.backoffMaxMs, this.manager.backoffBaseMs * 2 ** (this.failures - 1));
          this.retryAt = this.manager.clock.now() + delay;
          const failed = error instanceof TokenRequestFailed ? error : new TokenRequestFailed('network_error', 'token request failed');
          this.lastFailure = failed;
          this.manager.logger.warn(
            { tokenUrl: this.spec.tokenUrl, clientId: this.spec.clientId, reason: failed.reason, failures: this.failures, retryInMs: delay },
            'outbound OAuth2: could not obtain a backend token',
          );
          throw failed;
        },
      )
      .finally(() => {
        if (this.inflight === pending) this.inflight = undefined;
      });
    this.inflight = pending;
    return pending;
  }
}

const toGatewayError = (error: unknown): GatewayError => {
  if (error instanceof TokenRequestFailed && error.egressDenied) return egressDenied('token endpoint', error.reason);
  return backendTokenUnavailable(error instanceof TokenRequestFailed ? error.reason : 'token request failed');
};

export class TokenManager {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: TokenManagerMetrics;
  readonly refreshAt: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly minForcedRefreshIntervalMs: number;
  readonly cluster: ClusterTokenCache | undefined;
  private readonly defaultLifetimeSeconds: number;
  private readonly entries = new Map<string, TokenEntry>();
  /** Token endpoints only: never shares connections with backend traffic. Every new connection goes through the egress policy. */
  private readonly agent: Agent;

  constructor(options: TokenManagerOptions) {
    this.clock = options.clock;
    this.logger = options.logger;
    this.metrics = options.metrics ?? noMetrics;
    this.defaultLifetimeSeconds = options.defaultLifetimeSeconds ?? 3600;
    this.refreshAt = options.refreshAt ?? 0.8;
    this.backoffBaseMs = options.backoffBaseMs ?? 1_000;
    this.backoffMaxMs = options.backoffMaxMs ?? 60_000;
    this.minForcedRefreshIntervalMs = options.minForcedRefreshIntervalMs ?? 5_000;
    this.cluster = options.cluster;
    this.agent = new Agent({ connections: 8, keepAliveTimeout: 30_000, connect: options.egress ? options.egress.connector(60_000) : { timeout: 60_000 } });
  }

  /** The cache key: credentials are part of it (the secret as a hash), so a change never reuses a token. */
  static keyOf(spec: TokenSpec): string {
    return JSON.stringify([spec.orgId, spec.tokenUrl, spec.clientId, sha256(spec.clientSecret), spec.scope ?? '', spec.audience ?? '', spec.resource ?? '', spec.authMethod]);
  }

  /** The entry for these credentials (created on first use); called when a snapshot is loaded, not per request. */
  entry(spec: TokenSpec): TokenEntry {
    const key = TokenManager.keyOf(spec);
    this.sweep();
    let entry = this.entries.get(key);
    if (entry) entry.update(spec);
    else {
      entry = new TokenEntry(key, spec, this);
      this.entries.set(key, entry);
    }
    return entry;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries of credentials no longer used (untouched, and their token expired, for over a day) are forgotten. */
  private sweep(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries) if (entry.stale(now, 86_400_000)) this.entries.delete(key);
  }

  /** One client-credentials token request, counted in the metrics. */
  requestToken(spec: TokenSpec): Promise<TokenResult> {
    return requestToken(this.agent, spec, { defaultLifetimeSeconds: this.defaultLifetimeSeconds, count: (outcome) => this.metrics.tokenRequest(outcome) });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
