import { findPolicy, policyCatalogue, secretPaths, validatePolicyInstance, type PolicyField, type PolicyPhase, type PolicySchema } from '../../gateway/index.js';
import { ConfigError } from '../../shared/errors.js';
import { holdsReference, referencedParams, substituteParams } from './params.js';

/**
 * The control plane's view of the gateway's policy registry: parsing
 * `name@version`, checking attached configs (with `${param}` values left
 * unresolved until deploy), resolving them per environment, and knowing which
 * settings are secret.
 */

export interface PolicyRef {
  name: string;
  version: string;
  schema: PolicySchema;
}

/** `name@version` of a registered policy, or a message saying what is wrong. */
export function parsePolicyRef(text: string): PolicyRef | string {
  const m = /^([a-z0-9][a-z0-9-]*)@(\d+\.\d+\.\d+)$/.exec(text);
  if (!m) return 'must be name@version, e.g. set-headers@1.0.0';
  const [, name, version] = m as unknown as [string, string, string];
  const def = findPolicy(name, version);
  if (def) return { name, version, schema: def.schema };
  const versions = policyCatalogue()
    .filter((s) => s.name === name)
    .map((s) => s.version);
  return versions.length ? `policy ${name} has no version ${version} (known: ${versions.join(', ')})` : `unknown policy "${name}" (see GET /api/v1/policies)`;
}

export const defaultPhase = (ref: PolicyRef): PolicyPhase => ref.schema.phases[0] as PolicyPhase;

type Substitute = (value: string, field: Omit<PolicyField, 'name'>) => unknown;

/**
 * Rewrites every string value that holds `${param}` through `substitute`,
 * guided by the schema so the field type is known. Returns the new config and
 * the validator-style paths (`<at>.headers[0].value`) that were rewritten.
 */
function substitute(fields: readonly PolicyField[], config: Record<string, unknown>, at: string, fn: Substitute, touched: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const field of fields) {
    if (config[field.name] !== undefined) out[field.name] = substituteValue(field, config[field.name], `${at}.${field.name}`, fn, touched);
  }
  return out;
}

function substituteValue(field: Omit<PolicyField, 'name'>, value: unknown, path: string, fn: Substitute, touched: Set<string>): unknown {
  if (holdsReference(value)) {
    touched.add(path);
    return fn(value as string, field);
  }
  if (field.type === 'array' && field.items && Array.isArray(value)) return value.map((v, i) => substituteValue(field.items!, v, `${path}[${i}]`, fn, touched));
  if (field.type === 'object' && field.fields && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return substitute(field.fields, value as Record<string, unknown>, path, fn, touched);
  }
  return value;
}

/** A value of the field's type standing in for a reference, so the rest of the config can be checked before deploy. */
function placeholder(_value: string, field: Omit<PolicyField, 'name'>): unknown {
  switch (field.type) {
    case 'url':
      return 'https://parameter.invalid/';
    case 'header-name':
      return 'x-drawbridge-parameter';
    case 'integer':
      return Math.min(Math.max(field.minimum ?? 0, 0), field.maximum ?? Number.MAX_SAFE_INTEGER);
    case 'boolean':
      return false;
    default:
      return field.enum?.[0] ?? 'x'.repeat(Math.max(1, field.minLength ?? 1));
  }
}

/** Resolved text, turned into a number or boolean where the field wants one (a whole-value `${param}`). */
const coerce = (text: string, field: Omit<PolicyField, 'name'>): unknown => {
  if (field.type === 'integer' && /^-?\d+$/.test(text)) return Number(text);
  if (field.type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
};

/**
 * Checks an attached policy's config. With `unresolved`, values holding
 * `${param}` are not judged (they are at deploy). Returns `{path: message}`;
 * empty when valid.
 */
export function checkPolicyConfig(ref: PolicyRef, config: Record<string, unknown>, options: { at: string; phase?: string; unresolved?: boolean }): Record<string, string> {
  const touched = new Set<string>();
  const base = options.at.replace(/\.config$/, '');
  const candidate = options.unresolved ? substitute(ref.schema.fields, config, options.at, placeholder, touched) : config;
  const fields: Record<string, string> = {};
  for (const path of secretPaths(ref.schema)) {
    const value = path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), config);
    if (typeof value === 'string' && !holdsReference(value)) {
      fields[`${options.at}.${path}`] = 'is secret: put a ${parameter} here and give its value (marked secret) at deploy';
    }
  }
  try {
    validatePolicyInstance({ name: ref.name, version: ref.version, phase: (options.phase ?? defaultPhase(ref)) as PolicyPhase, config: candidate }, base);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (!touched.has(error.path)) fields[error.path] = error.message.slice(error.path.length + 2);
  }
  return fields;
}

/** Resolves `${param}` values of a config (typed by the schema) with the environment's values. */
export function resolvePolicyConfig(ref: PolicyRef, config: Record<string, unknown>, values: Record<string, string>): Record<string, unknown> {
  const resolve: Substitute = (text, field) => coerce(substituteParams(text, values), field);
  const out = substitute(ref.schema.fields, config, 'config', resolve, new Set());
  // Keys outside the schema are refused by validation; resolve them as text so the message shows the value's place.
  for (const [k, v] of Object.entries(config)) if (!ref.schema.fields.some((f) => f.name === k) && holdsReference(v)) out[k] = substituteParams(v as string, values);
  return out;
}

/** Validates a resolved config; returns it with defaults applied, or throws a ConfigError naming the path. */
export function validateResolved(ref: PolicyRef, phase: PolicyPhase, config: Record<string, unknown>, at: string): Record<string, unknown> {
  return validatePolicyInstance({ name: ref.name, version: ref.version, phase, config }, at);
}

/** Parameters referenced from settings the policy marks secret: their values are sealed at rest whatever the caller says. */
export function secretParamsOf(ref: PolicyRef, config: Record<string, unknown>): Set<string> {
  const names = new Set<string>();
  for (const path of secretPaths(ref.schema)) {
    const value = path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), config);
    referencedParams(value, names);
  }
  return names;
}

/** The catalogue: every registered policy's schema. */
export const catalogue = (): PolicySchema[] => policyCatalogue();
