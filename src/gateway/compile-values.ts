import { ConfigError } from '../shared/errors.js';

/** Reading a snapshot's values for the compiler (`compile.ts`): each wrong value is a `ConfigError` naming its exact path. */

export const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function str(o: Record<string, any>, key: string, path: string, pattern?: RegExp, what?: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${path}.${key}`, 'must be a non-empty string');
  if (pattern && !pattern.test(v)) throw new ConfigError(`${path}.${key}`, `must be ${what ?? `like ${pattern}`}`);
  return v;
}

export function strArray(o: Record<string, any>, key: string, path: string): string[] {
  const v = o[key];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new ConfigError(`${path}.${key}`, 'must be an array of strings');
  return v;
}

export function arr(o: Record<string, any>, key: string, path: string): unknown[] {
  if (!Array.isArray(o[key])) throw new ConfigError(`${path}.${key}`, 'must be an array');
  return o[key];
}

export function obj(o: Record<string, any>, key: string, path: string): Record<string, any> {
  if (!isObject(o[key])) throw new ConfigError(`${path}.${key}`, 'must be an object');
  return o[key];
}
