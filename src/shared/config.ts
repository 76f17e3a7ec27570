import { BlockList, isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve, join } from 'node:path';
import { parseEgressLists } from './egress-lists.js';
import { ConfigError } from './errors.js';
import { DEFAULT_SIGNING_ALG, isSigningAlg, SIGNING_ALGS, type SigningAlg } from './jwt/algorithms.js';

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
export const MAX_SIGNING_KEY_PUBLISH_AHEAD = 7 * 24 * 3600;

type Env = Record<string, string | undefined>;

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new ConfigError(name, `must be a port number (0-65535), got ${JSON.stringify(raw)}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(env[name])}`);
}

function url(name: string, raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute URL, got ${JSON.stringify(raw)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(name, 'must be an http(s) URL');
  return raw.replace(/\/+$/, '');
}

function signingAlg(env: Env, name: string): SigningAlg {
  const raw = env[name]?.trim() || DEFAULT_SIGNING_ALG;
  if (!isSigningAlg(raw)) throw new ConfigError(name, `must be one of ${SIGNING_ALGS.join(', ')}, got ${JSON.stringify(env[name])}`);
  return raw;
}

function seconds(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) throw new ConfigError(name, `must be a whole number of seconds between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

function redisUrl(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let parsed: URL | undefined;
  try { parsed = new URL(raw); } catch { parsed = undefined; }
  // The value may hold a password: never echoed back in the error.
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) throw new ConfigError(name, 'must be a redis:// or rediss:// URL');
  return raw;
}

function milliseconds(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) throw new ConfigError(name, `must be a whole number of milliseconds between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

/** `development=8080,production=8081` */
function gateways(env: Env, name: string): GatewayListener[] {
  const raw = env[name] ?? 'development=8080,production=8081';
  if (raw.trim() === '') return [];
  return raw.split(',').map((entry, i) => {
    const [environment, p] = entry.split('=').map((s) => s.trim());
    if (!environment || !/^[a-z][a-z0-9-]*$/.test(environment) || p === undefined) {
      throw new ConfigError(`${name}[${i}]`, `expected <environment>=<port>, got ${JSON.stringify(entry)}`);
    }
    return { environment, port: port({ v: p }, 'v', 0) };
  });
}

/**
 * Builds an address matcher (trusted proxies, metrics scrapers) from IPs and
 * CIDRs (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`, `::1`). Throws a `ConfigError` naming `name` (and
 * the entry) for anything else. Used at config load and when a gateway
 * listener starts, never per request.
 */
export function addressList(entries: readonly string[], name = 'DRAWBRIDGE_GATEWAY_TRUSTED_PROXIES'): BlockList {
  const list = new BlockList();
  entries.forEach((raw, i) => {
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const version = isIP(address);
    const bad = () => new ConfigError(`${name}[${i}]`, `must be an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8, fd00::/8), got ${JSON.stringify(raw)}`);
    if (version === 0) throw bad();
    const family = version === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      list.addAddress(address, family);
      return;
    }
    const bits = entry.slice(slash + 1);
    const prefix = Number(bits);
    if (!/^\d{1,3}$/.test(bits) || prefix > (version === 4 ? 32 : 128)) throw bad();
    list.addSubnet(address, prefix, family);
  });
  return list;
}

/** `10.0.0.0/8, 192.0.2.7` → validated entries (`fallback` when unset or empty). */
function addressEntries(env: Env, name: string, options: { fallback?: string[]; allowAny?: boolean } = {}): string[] {
  const raw = env[name] ?? '';
  const entries = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length === 0) return options.fallback ?? [];
  if (options.allowAny && entries.length === 1 && entries[0] === ANY_ADDRESS) return entries;
  addressList(entries, name);
  return entries;
}

/** A whole number from 0 to 1,000,000 (0 turns the limit off). */
function count(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d{1,7}$/.test(raw.trim()) || Number(raw) > 1_000_000) throw new ConfigError(name, `must be a whole number from 0 to 1000000 (0 turns it off), got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** A comma-separated list setting (empty entries dropped). */
function listEntries(env: Env, name: string): string[] {
  return (env[name] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** In an address list setting: every peer. */
export const ANY_ADDRESS = '*';

/** Loopback and private ranges (RFC 1918, RFC 4193). */
export const PRIVATE_NETWORKS: readonly string[] = ['127.0.0.0/8', '::1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'];

export const MAX_GATEWAY_DRAIN_MS = 600_000;
export const MAX_GATEWAY_WORKERS = 256;

/** Milliseconds from 0 to `MAX_GATEWAY_DRAIN_MS`. */
function drainMs(env: Env, name: string): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return 2_000;
  if (!/^\d{1,6}$/.test(raw.trim()) || Number(raw) > MAX_GATEWAY_DRAIN_MS) throw new ConfigError(name, `must be a whole number of milliseconds from 0 to ${MAX_GATEWAY_DRAIN_MS}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** A worker count from 1 to `MAX_GATEWAY_WORKERS`, or `auto`: one per core this process may use. */
export function workerCount(raw: string | undefined, name: string): number {
  if (raw === undefined || raw.trim() === '') return 1;
  if (raw.trim().toLowerCase() === 'auto') return Math.min(availableParallelism(), MAX_GATEWAY_WORKERS);
  if (!/^\d{1,3}$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > MAX_GATEWAY_WORKERS) throw new ConfigError(name, `must be auto or a whole number from 1 to ${MAX_GATEWAY_WORKERS}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function forwardedProto(env: Env, name: string): 'http' | 'https' {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return 'http';
  if (raw !== 'http' && raw !== 'https') throw new ConfigError(name, `must be http or https, got ${JSON.stringify(env[name])}`);
  return raw;
}

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
    throw new ConfigError('DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD', `must be a whole number of seconds between ${MIN_SIGNING_KEY_PUBLISH_AHEAD} and ${MAX_SIGNING_KEY_PUBLISH_AHEAD}, got ${JSON.stringify(ahead)}`);
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
