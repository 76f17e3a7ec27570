import { ConfigError } from '../../shared/errors.js';
import type { PolicyField, PolicySchema } from './types.js';
import { isHeaderName } from '../../shared/http-token.js';

/** Headers the gateway itself manages; no policy may set or remove them. */
const GATEWAY_OWNED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'expect',
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);

/** Opens a sealed secret (`{"$sealed": "..."}`) of a snapshot; absent when none may be opened. */
export type SecretOpener = (sealed: string) => string;

export interface ValidateOptions {
  /** When given, sealed secret values are opened; otherwise they are kept sealed (compile-time check). */
  openSecret?: SecretOpener;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{"$sealed": "..."}` and nothing else: a secret the control plane sealed with the master key. */
export const isSealed = (v: unknown): v is { $sealed: string } => isPlainObject(v) && typeof v.$sealed === 'string' && Object.keys(v).length === 1;

/** The one way a sealed value is opened: a wrong master key is a `ConfigError` at `path`. */
export function openSealedValue(value: { $sealed: string }, path: string, open: SecretOpener): string {
  try {
    return open(value.$sealed);
  } catch {
    throw new ConfigError(path, 'sealed secret cannot be opened with this master key');
  }
}

function check(field: Omit<PolicyField, 'name'>, value: unknown, path: string, options: ValidateOptions): unknown {
  if (field.secret && isSealed(value)) {
    if (!options.openSecret) return value;
    return check({ ...field, secret: false }, openSealedValue(value, path, options.openSecret), path, options);
  }
  switch (field.type) {
    case 'string':
    case 'url':
    case 'header-name': {
      if (typeof value !== 'string') throw new ConfigError(path, 'must be a string');
      if (field.minLength !== undefined && value.length < field.minLength) throw new ConfigError(path, `must be at least ${field.minLength} characters`);
      if (field.maxLength !== undefined && value.length > field.maxLength) throw new ConfigError(path, `must be at most ${field.maxLength} characters`);
      if (field.enum && !field.enum.includes(value)) throw new ConfigError(path, `must be one of ${field.enum.join(', ')}`);
      if (field.pattern && !new RegExp(field.pattern).test(value)) throw new ConfigError(path, `must match ${field.pattern}`);
      if (field.type === 'url') {
        let url: URL | undefined;
        try {
          url = new URL(value);
        } catch {
          /* reported below */
        }
        if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new ConfigError(path, 'must be an absolute http(s) URL');
      }
      if (field.type === 'header-name') {
        if (!isHeaderName(value)) throw new ConfigError(path, `${JSON.stringify(value)} is not a valid header name`);
        const lower = value.toLowerCase();
        if (GATEWAY_OWNED_HEADERS.has(lower) || field.forbidden?.includes(lower)) throw new ConfigError(path, `header ${JSON.stringify(value)} is managed by the gateway and cannot be used here`);
        return lower;
      }
      return value;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new ConfigError(path, 'must be an integer');
      if (field.minimum !== undefined && value < field.minimum) throw new ConfigError(path, `must be at least ${field.minimum}`);
      if (field.maximum !== undefined && value > field.maximum) throw new ConfigError(path, `must be at most ${field.maximum}`);
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw new ConfigError(path, 'must be true or false');
      return value;
    case 'array': {
      if (!Array.isArray(value)) throw new ConfigError(path, 'must be an array');
      if (field.minItems !== undefined && value.length < field.minItems) throw new ConfigError(path, `must have at least ${field.minItems} item(s)`);
      if (field.maxItems !== undefined && value.length > field.maxItems) throw new ConfigError(path, `must have at most ${field.maxItems} items`);
      if (!field.items) return value;
      return value.map((item, i) => check(field.items!, item, `${path}[${i}]`, options));
    }
    case 'object':
      if (!isPlainObject(value)) throw new ConfigError(path, 'must be an object');
      return checkFields(field.fields ?? [], value, path, options);
  }
}

function checkFields(fields: readonly PolicyField[], value: Record<string, unknown>, path: string, options: ValidateOptions): Record<string, unknown> {
  const known = new Set(fields.map((f) => f.name));
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new ConfigError(`${path}.${key}`, 'is not a known setting of this policy');
  }
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const at = `${path}.${field.name}`;
    const raw = value[field.name];
    if (raw === undefined || raw === null) {
      if (field.default !== undefined) out[field.name] = structuredClone(field.default);
      else if (field.required) throw new ConfigError(at, 'is required');
      continue;
    }
    out[field.name] = check(field, raw, at, options);
  }
  return out;
}

/**
 * Validates a policy instance's config against its schema and returns it with
 * defaults applied. Every error names the exact path (`<path>.headers[1].name`).
 */
export function validateConfig(schema: PolicySchema, config: unknown, path = 'config', options: ValidateOptions = {}): Record<string, unknown> {
  if (!isPlainObject(config)) throw new ConfigError(path, 'must be an object');
  return checkFields(schema.fields, config, path, options);
}

/** Paths of the values marked secret in a config (e.g. to seal them or to hide them). */
export function secretPaths(schema: PolicySchema): string[] {
  const out: string[] = [];
  const walk = (fields: readonly PolicyField[], prefix: string) => {
    for (const f of fields) {
      const p = prefix ? `${prefix}.${f.name}` : f.name;
      if (f.secret) out.push(p);
      if (f.type === 'object' && f.fields) walk(f.fields, p);
    }
  };
  walk(schema.fields, '');
  return out;
}
