import { resolve, join } from 'node:path';
import { addressList, ANY_ADDRESS, PRIVATE_NETWORKS } from './address-list.js';
import {
  addressEntries,
  bool,
  count,
  drainMs,
  forwardedProto,
  gateways,
  listEntries,
  MAX_GATEWAY_DRAIN_MS,
  MAX_GATEWAY_WORKERS,
  milliseconds,
  port,
  redisUrl,
  seconds,
  signingAlg,
  url,
  workerCount,
  type Env,
} from './config-values.js';
import { parseEgressLists } from './egress-lists.js';
import { ConfigError } from './errors.js';
import type { SigningAlg } from './jwt/algorithms.js';

/** The CLI reads `--workers` with the same rule as `DRAWBRIDGE_GATEWAY_WORKERS`. */
export { workerCount };

export type Mode = 'development' | 'production';

export interface GatewayListener {
  /** Environment name (e.g. `development`). */
  environment: string;
  port: number;
}

export interface Config {
  mode: Mode;
  host: string;
  /** Port of the control plane (API, console, token service). */
  port: number;
  /** Public base URL of the control plane; also the token service's issuer. */
  publicUrl: string;
  dataDir: string;
  /** `sqlite:<file>` or `postgres://…`. */
  databaseUrl: string;
  /**
   * `drawbridge start` with a PostgreSQL database it cannot reach serves from the
   * gateways' disk snapshots and retries, waiting twice as long after each failure,
   * at most this long (`DRAWBRIDGE_DATABASE_RETRY_MAX_MS`, 100 to 600000, default 30000).
   */
  databaseRetryMaxMs: number;
  masterKey?: string;
  masterKeyFile: string;
  adminPassword?: string;
  logLevel: string;
  /** Allow identity-provider URLs on private, loopback and link-local addresses. */
  allowPrivateIdpUrls: boolean;
  /**
   * Let identity providers of different organizations accept the same
   * (issuer, audience) pair (`DRAWBRIDGE_IDP_SHARED_AUDIENCES`, default off:
   * such a registration is a 409, so a token meant for one organization can
   * be exchanged or used only there).
   */
  idpSharedAudiences: boolean;
  /** Gateway listeners started by `drawbridge start`, one per environment. */
  gateways: GatewayListener[];
  gatewayHost: string;
  /**
   * Direct peers whose `X-Forwarded-For/Proto/Host` the gateways believe
   * (`DRAWBRIDGE_GATEWAY_TRUSTED_PROXIES`: IPs and CIDRs, IPv4 and IPv6).
   * Empty (the default): those headers are replaced from the gateway's own view.
   */
  gatewayTrustedProxies: string[];
  /** Scheme the gateways put in `X-Forwarded-Proto` for untrusted peers (`https` behind a TLS terminator; `DRAWBRIDGE_GATEWAY_FORWARDED_PROTO`). */
  gatewayForwardedProto: 'http' | 'https';
  /**
   * Direct peers that may read a gateway's `/_drawbridge/metrics`
   * (`DRAWBRIDGE_GATEWAY_METRICS_ALLOW`: IPs and CIDRs, or `*` for anyone).
   * Default: loopback and the private ranges, where Prometheus usually scrapes from.
   */
  gatewayMetricsAllow: string[];
  /**
   * On shutdown, how long a gateway lets requests in flight finish before it
   * closes the connections still open (`DRAWBRIDGE_GATEWAY_DRAIN_MS`, 0 to 600000, default 2000).
   */
  gatewayDrainMs: number;
  /**
   * Worker processes per gateway listener, all behind its one port
   * (`DRAWBRIDGE_GATEWAY_WORKERS`: 1 to 256 or `auto` = one per core; default 1,
   * the listener in the node's own process).
   */
  gatewayWorkers: number;
  /**
   * Egress policy of the gateways (backend and policy URLs): entries that are
   * allowed (`DRAWBRIDGE_EGRESS_ALLOW`) and refused (`DRAWBRIDGE_EGRESS_DENY`):
   * CIDRs, IP addresses, host names (`*.example.com`), the keywords
   * `loopback`, `link-local`, `private`, and `self` (allow only). See `shared/egress.ts`.
   */
  egressAllow: string[];
  egressDeny: string[];
  /**
   * Brute-force protection of client authentication at the token,
   * introspection and revocation endpoints (token-service/throttle.ts): failed
   * authentications per client ID (`DRAWBRIDGE_CLIENT_AUTH_FAILURES_PER_CLIENT`,
   * default 10) and per source address (`DRAWBRIDGE_CLIENT_AUTH_FAILURES_PER_ADDRESS`,
   * default 30) in a window of `DRAWBRIDGE_CLIENT_AUTH_FAILURE_WINDOW` seconds (60). 0 turns a limit off.
   */
  clientAuthFailuresPerClient: number;
  clientAuthFailuresPerAddress: number;
  clientAuthFailureWindow: number;
  /**
   * Direct peers of the control plane (load balancers, TLS terminators) whose
   * `X-Forwarded-For` names the client's address (`DRAWBRIDGE_TRUSTED_PROXIES`:
   * IPs and CIDRs). Used for the per-address limit above. Default: none.
   */
  trustedProxies: string[];
  /** Algorithm of new token-service signing keys (`DRAWBRIDGE_SIGNING_ALG`). */
  signingAlg: SigningAlg;
  /** Seconds a rotated-in signing key is published in the JWKS before it signs (`DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD`). */
  signingKeyPublishAhead: number;
  /**
   * Optional Redis shared by the nodes (`DRAWBRIDGE_REDIS_URL`, `redis://` or `rediss://`):
   * outbound tokens, sign-in and client-authentication throttles, counters (src/shared/redis).
   * Commands that take longer than `redisTimeoutMs` (`DRAWBRIDGE_REDIS_TIMEOUT_MS`, default 500)
   * count as a failure and the node falls back to its local state until Redis answers again.
   * Keys start with `redisPrefix` (`DRAWBRIDGE_REDIS_PREFIX`, default `drawbridge:`).
   */
  redisUrl?: string;
  redisTimeoutMs: number;
  redisPrefix: string;
}

/**
 * Shortest publish-ahead delay (seconds). Verifiers learn new keys by polling:
 * other token-service nodes re-read the key table every 30 s, gateways get
 * them in their snapshot (2 s poll), JWKS clients through their cache. A key
 * must be in all of those before it signs, so it cannot sign the moment it is published.
 */
export const MIN_SIGNING_KEY_PUBLISH_AHEAD = 60;
/** Longest publish-ahead delay (seconds): 7 days. */
const MAX_SIGNING_KEY_PUBLISH_AHEAD = 7 * 24 * 3600;

/**
 * Reads and validates configuration once, at start. Every error names the
 * exact variable that is wrong; code that runs later trusts the result.
 */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const modeRaw = overrides.mode ?? env.DRAWBRIDGE_MODE ?? 'production';
  if (modeRaw !== 'development' && modeRaw !== 'production') {
    throw new ConfigError('DRAWBRIDGE_MODE', `must be "development" or "production", got ${JSON.stringify(modeRaw)}`);
  }
  const mode: Mode = modeRaw;
  const cpPort = overrides.port ?? port(env, 'DRAWBRIDGE_PORT', 9090);
  const dataDir = resolve(overrides.dataDir ?? env.DRAWBRIDGE_DATA_DIR ?? './data');
  const databaseUrl = overrides.databaseUrl ?? env.DRAWBRIDGE_DATABASE_URL ?? `sqlite:${join(dataDir, 'drawbridge.db')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError('DRAWBRIDGE_DATABASE_URL', 'must start with sqlite: or postgres://');
  }
  // The URL holds the password: the message never repeats it.
  if (!databaseUrl.startsWith('sqlite:') && !URL.canParse(databaseUrl)) {
    throw new ConfigError('DRAWBRIDGE_DATABASE_URL', 'is not a valid URL (postgres://user:password@host:5432/database; characters such as @ : / in the password must be percent-encoded)');
  }
  const config: Config = {
    mode,
    host: env.DRAWBRIDGE_HOST ?? '0.0.0.0',
    port: cpPort,
    publicUrl: url('DRAWBRIDGE_PUBLIC_URL', env.DRAWBRIDGE_PUBLIC_URL ?? `http://localhost:${cpPort}`),
    dataDir,
    databaseUrl,
    databaseRetryMaxMs: milliseconds(env, 'DRAWBRIDGE_DATABASE_RETRY_MAX_MS', 30_000, 100, 600_000),
    masterKey: env.DRAWBRIDGE_MASTER_KEY || undefined,
    masterKeyFile: join(dataDir, 'master.key'),
    adminPassword: env.DRAWBRIDGE_ADMIN_PASSWORD || undefined,
    logLevel: env.DRAWBRIDGE_LOG_LEVEL ?? 'info',
    allowPrivateIdpUrls: bool(env, 'DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS', mode === 'development'),
    idpSharedAudiences: bool(env, 'DRAWBRIDGE_IDP_SHARED_AUDIENCES', false),
    gateways: gateways(env, 'DRAWBRIDGE_GATEWAYS'),
    gatewayHost: env.DRAWBRIDGE_GATEWAY_HOST ?? '0.0.0.0',
    gatewayTrustedProxies: addressEntries(env, 'DRAWBRIDGE_GATEWAY_TRUSTED_PROXIES'),
    gatewayMetricsAllow: addressEntries(env, 'DRAWBRIDGE_GATEWAY_METRICS_ALLOW', { fallback: [...PRIVATE_NETWORKS], allowAny: true }),
    gatewayForwardedProto: forwardedProto(env, 'DRAWBRIDGE_GATEWAY_FORWARDED_PROTO'),
    gatewayDrainMs: drainMs(env, 'DRAWBRIDGE_GATEWAY_DRAIN_MS'),
    gatewayWorkers: workerCount(env.DRAWBRIDGE_GATEWAY_WORKERS, 'DRAWBRIDGE_GATEWAY_WORKERS'),
    clientAuthFailuresPerClient: count(env, 'DRAWBRIDGE_CLIENT_AUTH_FAILURES_PER_CLIENT', 10),
    clientAuthFailuresPerAddress: count(env, 'DRAWBRIDGE_CLIENT_AUTH_FAILURES_PER_ADDRESS', 30),
    clientAuthFailureWindow: seconds(env, 'DRAWBRIDGE_CLIENT_AUTH_FAILURE_WINDOW', 60, 1, 86_400),
    trustedProxies: addressEntries(env, 'DRAWBRIDGE_TRUSTED_PROXIES'),
    egressAllow: listEntries(env, 'DRAWBRIDGE_EGRESS_ALLOW'),
    egressDeny: listEntries(env, 'DRAWBRIDGE_EGRESS_DENY'),
    signingAlg: signingAlg(env, 'DRAWBRIDGE_SIGNING_ALG'),
    signingKeyPublishAhead: seconds(env, 'DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD', 600, MIN_SIGNING_KEY_PUBLISH_AHEAD, MAX_SIGNING_KEY_PUBLISH_AHEAD),
    redisUrl: redisUrl(env, 'DRAWBRIDGE_REDIS_URL'),
    redisTimeoutMs: milliseconds(env, 'DRAWBRIDGE_REDIS_TIMEOUT_MS', 500, 10, 60_000),
    redisPrefix: env.DRAWBRIDGE_REDIS_PREFIX?.trim() || 'drawbridge:',
    ...overrides,
  };
  // Overrides (tests, embedding) get the same floor as the variable.
  const ahead = config.signingKeyPublishAhead;
  if (!Number.isInteger(ahead) || ahead < MIN_SIGNING_KEY_PUBLISH_AHEAD || ahead > MAX_SIGNING_KEY_PUBLISH_AHEAD) {
    throw new ConfigError(
      'DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD',
      `must be a whole number of seconds between ${MIN_SIGNING_KEY_PUBLISH_AHEAD} and ${MAX_SIGNING_KEY_PUBLISH_AHEAD}, got ${JSON.stringify(ahead)}`,
    );
  }
  // Overrides are checked like the variables.
  parseEgressLists(config.egressAllow, config.egressDeny);
  addressList(config.trustedProxies, 'DRAWBRIDGE_TRUSTED_PROXIES');
  addressList(config.gatewayTrustedProxies);
  if (config.gatewayMetricsAllow.join() !== ANY_ADDRESS) addressList(config.gatewayMetricsAllow, 'DRAWBRIDGE_GATEWAY_METRICS_ALLOW');
  if (config.gatewayForwardedProto !== 'http' && config.gatewayForwardedProto !== 'https') {
    throw new ConfigError('DRAWBRIDGE_GATEWAY_FORWARDED_PROTO', `must be http or https, got ${JSON.stringify(config.gatewayForwardedProto)}`);
  }
  if (!Number.isInteger(config.gatewayDrainMs) || config.gatewayDrainMs < 0 || config.gatewayDrainMs > MAX_GATEWAY_DRAIN_MS) {
    throw new ConfigError('DRAWBRIDGE_GATEWAY_DRAIN_MS', `must be a whole number of milliseconds from 0 to ${MAX_GATEWAY_DRAIN_MS}, got ${JSON.stringify(config.gatewayDrainMs)}`);
  }
  if (!Number.isInteger(config.gatewayWorkers) || config.gatewayWorkers < 1 || config.gatewayWorkers > MAX_GATEWAY_WORKERS) {
    throw new ConfigError('DRAWBRIDGE_GATEWAY_WORKERS', `must be auto or a whole number from 1 to ${MAX_GATEWAY_WORKERS}, got ${JSON.stringify(config.gatewayWorkers)}`);
  }
  if (!Number.isInteger(config.databaseRetryMaxMs) || config.databaseRetryMaxMs < 100 || config.databaseRetryMaxMs > 600_000) {
    throw new ConfigError('DRAWBRIDGE_DATABASE_RETRY_MAX_MS', `must be a whole number of milliseconds between 100 and 600000, got ${JSON.stringify(config.databaseRetryMaxMs)}`);
  }
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    throw new ConfigError('DRAWBRIDGE_LOG_LEVEL', 'must be one of fatal, error, warn, info, debug, trace, silent');
  }
  return config;
}
