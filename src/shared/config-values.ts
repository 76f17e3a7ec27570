import { availableParallelism } from 'node:os';
import { addressList, ANY_ADDRESS } from './address-list.js';
import type { GatewayListener } from './config.js';
import { ConfigError } from './errors.js';
import { DEFAULT_SIGNING_ALG, isSigningAlg, SIGNING_ALGS, type SigningAlg } from './jwt/algorithms.js';

/**
 * One setting's value read from the environment: each parser takes the
 * variable's name and throws a `ConfigError` naming it. `loadConfig`
 * (`config.ts`) puts them together.
 */

export type Env = Record<string, string | undefined>;

export function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new ConfigError(name, `must be a port number (0-65535), got ${JSON.stringify(raw)}`);
  return value;
}

export function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(env[name])}`);
}

export function url(name: string, raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute URL, got ${JSON.stringify(raw)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(name, 'must be an http(s) URL');
  return raw.replace(/\/+$/, '');
}

export function signingAlg(env: Env, name: string): SigningAlg {
  const raw = env[name]?.trim() || DEFAULT_SIGNING_ALG;
  if (!isSigningAlg(raw)) throw new ConfigError(name, `must be one of ${SIGNING_ALGS.join(', ')}, got ${JSON.stringify(env[name])}`);
  return raw;
}

export function seconds(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) throw new ConfigError(name, `must be a whole number of seconds between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

export function redisUrl(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    parsed = undefined;
  }
  // The value may hold a password: never echoed back in the error.
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) throw new ConfigError(name, 'must be a redis:// or rediss:// URL');
  return raw;
}

export function milliseconds(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) throw new ConfigError(name, `must be a whole number of milliseconds between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

/** `development=8080,production=8081` */
export function gateways(env: Env, name: string): GatewayListener[] {
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

/** `10.0.0.0/8, 192.0.2.7` → validated entries (`fallback` when unset or empty). */
export function addressEntries(env: Env, name: string, options: { fallback?: string[]; allowAny?: boolean } = {}): string[] {
  const raw = env[name] ?? '';
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) return options.fallback ?? [];
  if (options.allowAny && entries.length === 1 && entries[0] === ANY_ADDRESS) return entries;
  addressList(entries, name);
  return entries;
}

/** A whole number from 0 to 1,000,000 (0 turns the limit off). */
export function count(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d{1,7}$/.test(raw.trim()) || Number(raw) > 1_000_000) throw new ConfigError(name, `must be a whole number from 0 to 1000000 (0 turns it off), got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** A comma-separated list setting (empty entries dropped). */
export function listEntries(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export const MAX_GATEWAY_DRAIN_MS = 600_000;
export const MAX_GATEWAY_WORKERS = 256;

/** Milliseconds from 0 to `MAX_GATEWAY_DRAIN_MS`. */
export function drainMs(env: Env, name: string): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return 2_000;
  if (!/^\d{1,6}$/.test(raw.trim()) || Number(raw) > MAX_GATEWAY_DRAIN_MS)
    throw new ConfigError(name, `must be a whole number of milliseconds from 0 to ${MAX_GATEWAY_DRAIN_MS}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** A worker count from 1 to `MAX_GATEWAY_WORKERS`, or `auto`: one per core this process may use. */
export function workerCount(raw: string | undefined, name: string): number {
  if (raw === undefined || raw.trim() === '') return 1;
  if (raw.trim().toLowerCase() === 'auto') return Math.min(availableParallelism(), MAX_GATEWAY_WORKERS);
  if (!/^\d{1,3}$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > MAX_GATEWAY_WORKERS)
    throw new ConfigError(name, `must be auto or a whole number from 1 to ${MAX_GATEWAY_WORKERS}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

export function forwardedProto(env: Env, name: string): 'http' | 'https' {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return 'http';
  if (raw !== 'http' && raw !== 'https') throw new ConfigError(name, `must be http or https, got ${JSON.stringify(env[name])}`);
  return raw;
}
