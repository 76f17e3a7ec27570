import { ConfigError } from '../../shared/errors.js';
import type { SnapshotPolicyInstance } from '../snapshot.js';
import type { PolicyDefinition, PolicyDeps, PolicyHandler, PolicySchema } from './types.js';
import { validateConfig, type ValidateOptions } from './validate.js';
import * as setHeadersSchema from './set-headers/schema.js';
import * as setHeadersHandler from './set-headers/handler.js';
import * as removeHeadersSchema from './remove-headers/schema.js';
import * as removeHeadersHandler from './remove-headers/handler.js';
import * as outboundOAuth2Schema from './outbound-oauth2/schema.js';
import * as outboundOAuth2Handler from './outbound-oauth2/handler.js';

export type * from './types.js';
export { secretPaths } from './validate.js';

const definition = <C>(schema: PolicySchema, create: (config: C, deps: PolicyDeps) => PolicyHandler): PolicyDefinition => ({ schema, create: create as PolicyDefinition['create'] });

/** Every policy the gateway knows: one line per policy (name@version). */
const REGISTERED: PolicyDefinition[] = [
  definition(setHeadersSchema.schema, setHeadersHandler.create),
  definition(removeHeadersSchema.schema, removeHeadersHandler.create),
  definition(outboundOAuth2Schema.schema, outboundOAuth2Handler.create),
];

const BY_KEY = new Map<string, PolicyDefinition>();
const index = (def: PolicyDefinition) => {
  const key = `${def.schema.name}@${def.schema.version}`;
  if (BY_KEY.has(key)) throw new Error(`policy ${key} is registered twice`);
  BY_KEY.set(key, def);
};
REGISTERED.forEach(index);

/**
 * Adds a policy at run time (extensions, and tests that exercise a hook
 * contract in isolation). Built-in policies belong in the list above.
 */
export function registerPolicy(def: PolicyDefinition): void {
  index(def);
  REGISTERED.push(def);
}

/** The policy catalogue (`GET /api/v1/policies`): every registered schema, JSON-serializable. */
export function policyCatalogue(): PolicySchema[] {
  return REGISTERED.map((d) => structuredClone(d.schema));
}

export function findPolicy(name: string, version: string): PolicyDefinition | undefined {
  return BY_KEY.get(`${name}@${version}`);
}

/**
 * Checks one attached policy (name@version known, phase allowed, config valid)
 * and returns its config with defaults applied. `path` names where the instance
 * sits (e.g. `resources[2].policies[0]`) so errors point at it exactly.
 */
export function validatePolicyInstance(instance: Pick<SnapshotPolicyInstance, 'name' | 'version' | 'phase' | 'config'>, path: string, options: ValidateOptions = {}): Record<string, unknown> {
  const def = findPolicy(instance.name, instance.version);
  if (!def) {
    const versions = REGISTERED.filter((d) => d.schema.name === instance.name).map((d) => d.schema.version);
    throw new ConfigError(
      `${path}.name`,
      versions.length ? `policy ${instance.name} has no version ${instance.version} (known: ${versions.join(', ')})` : `unknown policy ${JSON.stringify(instance.name)}`,
    );
  }
  if (!def.schema.phases.includes(instance.phase)) {
    throw new ConfigError(`${path}.phase`, `policy ${instance.name} runs in the ${def.schema.phases.join(' or ')} phase, not ${JSON.stringify(instance.phase)}`);
  }
  return validateConfig(def.schema, instance.config, `${path}.config`, options);
}
