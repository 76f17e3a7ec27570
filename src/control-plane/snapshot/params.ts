import type { MasterKey } from '../../shared/crypto.js';
import type { StoredParam } from '../../store/repos/deployments.js';

/**
 * `${name}` references in API definitions. A reference may be the whole value
 * or part of a string (`https://${host}/v2`); it is replaced by the
 * environment's value as text.
 */
export const PARAM_NAME = '[A-Za-z_][A-Za-z0-9_.-]{0,63}';
const REFERENCE = new RegExp(`\\$\\{(${PARAM_NAME})\\}`, 'g');
const ANY_REFERENCE = /\$\{/;

/** Names referenced anywhere in `value` (strings, arrays, objects), in first-seen order. */
export function referencedParams(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    for (const m of value.matchAll(REFERENCE)) into.add(m[1] as string);
  } else if (Array.isArray(value)) {
    for (const v of value) referencedParams(v, into);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) referencedParams(v, into);
  }
  return into;
}

/** Replaces each `${name}` in `text` by its value (empty when it has none: deploy refuses missing values first). */
export const substituteParams = (text: string, values: Readonly<Record<string, string>>): string => text.replace(REFERENCE, (_, name: string) => values[name] ?? '');

export const holdsReference = (value: unknown): boolean => typeof value === 'string' && ANY_REFERENCE.test(value);

/**
 * A `${` that is not a well-formed reference (`${}`, `${a b}`, unclosed) is a
 * mistake the user should hear about before deploying. Returns the JSON paths
 * (`a.b[0]`) of such values.
 */
export function malformedReferences(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return value.replace(REFERENCE, '').includes('${') ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => malformedReferences(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => malformedReferences(v, path ? `${path}.${k}` : k));
  }
  return [];
}

/** Associated data binding a sealed parameter to its API, environment and name: a value copied elsewhere does not open. */
const paramContext = (apiId: string, environmentId: string, name: string): string => `api-param:${apiId}:${environmentId}:${name}`;

export interface ParamValue {
  value: string;
  secret: boolean;
}

/** Seals secret values with the master key; plain ones are stored as given. */
export function sealParams(masterKey: MasterKey, apiId: string, environmentId: string, params: Record<string, ParamValue>): Record<string, StoredParam> {
  return Object.fromEntries(Object.entries(params).map(([name, p]) => [name, p.secret ? { sealed: masterKey.encrypt(p.value, paramContext(apiId, environmentId, name)) } : { value: p.value }]));
}

/** Opens stored parameters (secrets decrypted): only for compiling snapshots and re-validating a rollback. */
export function openParams(masterKey: MasterKey, apiId: string, environmentId: string, stored: Record<string, StoredParam>): Record<string, ParamValue> {
  return Object.fromEntries(
    Object.entries(stored).map(([name, p]) => [
      name,
      'sealed' in p ? { value: masterKey.decrypt(p.sealed, paramContext(apiId, environmentId, name)), secret: true } : { value: p.value, secret: false },
    ]),
  );
}

/** What an API response may show of stored parameters: plain values, and only the fact that a secret is set. */
export function describeParams(stored: Record<string, StoredParam>): Record<string, { secret: boolean; value?: string }> {
  return Object.fromEntries(Object.entries(stored).map(([name, p]) => [name, 'sealed' in p ? { secret: true } : { secret: false, value: p.value }]));
}

export const plainValues = (params: Record<string, ParamValue>): Record<string, string> => Object.fromEntries(Object.entries(params).map(([k, p]) => [k, p.value]));
