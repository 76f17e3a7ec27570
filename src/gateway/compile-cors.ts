import { ConfigError } from '../shared/errors.js';
import type { CompiledCors } from './compile.js';
import { isObject, strArray } from './compile-values.js';

/** An API's CORS settings as the gateway answers preflights with them. */

export function compileCors(raw: unknown, path: string): CompiledCors | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (!isObject(raw)) throw new ConfigError(path, 'must be an object or null');
  const origins = strArray(raw, 'allowOrigins', path);
  const methods = strArray(raw, 'allowMethods', path);
  const headers = strArray(raw, 'allowHeaders', path);
  const expose = strArray(raw, 'exposeHeaders', path);
  if (typeof raw.allowCredentials !== 'boolean') throw new ConfigError(`${path}.allowCredentials`, 'must be true or false');
  if (!Number.isInteger(raw.maxAgeSeconds) || raw.maxAgeSeconds < 0) throw new ConfigError(`${path}.maxAgeSeconds`, 'must be a non-negative integer');
  const anyOrigin = origins.includes('*');
  if (anyOrigin && raw.allowCredentials) throw new ConfigError(`${path}.allowOrigins`, '"*" cannot be combined with allowCredentials');
  origins.forEach((o, i) => {
    if (!isCorsOrigin(o)) throw new ConfigError(`${path}.allowOrigins[${i}]`, 'must be an origin like https://app.example.com, or *');
  });
  return {
    anyOrigin,
    origins: new Set(origins),
    allowMethods: methods.join(', '),
    allowHeaders: headers.join(', '),
    exposeHeaders: expose.join(', '),
    allowCredentials: raw.allowCredentials,
    maxAge: String(raw.maxAgeSeconds),
  };
}

/** A CORS allow-list entry: `*`, or an http(s) origin in its serialized form (`https://app.example.com`, no path). */
export function isCorsOrigin(value: string): boolean {
  if (value === '*') return true;
  if (!/^https?:\/\/[^/\s]+$/i.test(value)) return false;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}
