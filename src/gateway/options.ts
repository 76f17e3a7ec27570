/** The gateway's settings and its public handle: what a caller of `startGateway` sees. */
import type { Clock } from '../shared/clock.js';
import type { MasterKey } from '../shared/crypto.js';
import type { EgressPolicy } from '../shared/egress.js';
import type { Logger } from '../shared/logger.js';
import type { SnapshotOrigin } from './holder.js';
import type { GatewayMetrics } from './metrics.js';
import type { GatewaySnapshot } from './snapshot.js';
import type { ExternalTokenVerifier } from './tokens.js';

/** Where the current snapshot comes from (the control plane's compiler, or a database in `drawbridge gateway`). */
export interface SnapshotSource {
  /** The current snapshot of this environment; throws when the source (e.g. the database) is unavailable. */
  load(): Promise<GatewaySnapshot>;
}

export interface GatewayLimits {
  /** Request bodies above this are refused with 413 (default 10 MiB). */
  maxBodyBytes: number;
  connectTimeoutMs: number;
  /** Time for the backend to send its response headers. */
  headersTimeoutMs: number;
  /** Longest pause between two chunks of the backend's body. */
  bodyTimeoutMs: number;
  /** Bodies up to this size are kept in memory when a policy may ask for a retry on a backend 401. */
  replayBodyBytes: number;
  /** Keep-alive connections per backend origin. */
  connectionsPerOrigin: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxBodyBytes: 10 * 1024 * 1024,
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  replayBodyBytes: 64 * 1024,
  connectionsPerOrigin: 128,
};

/** How long `close()` lets requests in flight finish before it closes the connections still open. */
export const DEFAULT_DRAIN_MS = 2_000;

export interface GatewayOptions {
  /** Environment name served by this listener. */
  environment: string;
  port: number;
  host?: string;
  logger: Logger;
  clock?: Clock;
  /** Loaded at start (and retried every `reloadIntervalMs` while serving from disk). */
  snapshotSource?: SnapshotSource;
  /** The last good snapshot is kept in `<dataDir>/gateway/<environment>.snapshot.json`. */
  dataDir?: string;
  /** Verifies direct tokens from organizations' IdPs; without it such tokens are refused. */
  externalVerifier?: ExternalTokenVerifier;
  /** Opens policy secrets sealed in the snapshot. */
  masterKey?: MasterKey;
  limits?: Partial<GatewayLimits>;
  reloadIntervalMs?: number;
  /** Advertised scheme in `X-Forwarded-Proto` (set to `https` behind a TLS terminator). */
  forwardedProto?: 'http' | 'https';
  /**
   * Direct peers (IPs and CIDRs, IPv4 and IPv6) whose `X-Forwarded-For/Proto/Host`
   * are believed: appended to / kept. From any other peer they are replaced.
   * Default: none. A bad entry makes `startGateway` reject with a `ConfigError`.
   */
  trustedProxies?: readonly string[];
  /** Peers that may read `/_drawbridge/metrics` (IPs, CIDRs or `*`); default loopback and private ranges. Others get 404. */
  metricsAllow?: readonly string[];
  /**
   * The installation's egress policy: every new backend and token-endpoint
   * connection is checked by it (once per connection), and the listener's
   * own port is added to the addresses it refuses. Default: none (everything allowed).
   */
  egress?: EgressPolicy;
  /** Objects policies get from `PolicyDeps.shared`, by key, seeded by the platform (e.g. the Redis outbound-token cache). */
  shared?: Readonly<Record<string, unknown>>;
  /** On `close()`, how long requests in flight may run before the connections still open are closed (default 2 s). */
  drainMs?: number;
  /** Set in worker processes: sent as `X-Drawbridge-Worker` on the ops endpoints and written in access lines. */
  workerId?: number;
}

export interface GatewayStatus {
  environment: string;
  ready: boolean;
  snapshot: { version: number; generatedAt: string; source: SnapshotOrigin; loadedAt: string; apis: number } | null;
}

export interface Gateway {
  /** Base URL as bound (port 0 resolved). */
  url: string;
  port: number;
  environment: string;
  metrics: GatewayMetrics;
  /**
   * Validates and compiles the snapshot, then swaps it in at once (requests in
   * flight keep the one they started with). Rejects with a `ConfigError` naming
   * the bad path, leaving the current snapshot in place. Resolves once the
   * snapshot is also saved to disk.
   */
  setSnapshot(snapshot: GatewaySnapshot): Promise<void>;
  status(): GatewayStatus;
  close(): Promise<void>;
}

/** The gateway's own endpoints; org handles are slugs and never start with `_`. */
export const OPS_PREFIX = '/_drawbridge/';
