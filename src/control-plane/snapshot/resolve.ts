import { ConfigError, invalid, unprocessable } from '../../shared/errors.js';
import type { PolicyAttachment, RevisionDefinition } from '../../store/repos/apis.js';
import { isHttpUrlValue } from './url.js';
import { referencedParams, type ParamValue } from './params.js';
import { parsePolicyRef, resolvePolicyConfig, secretParamsOf, secretPaths, validateResolved, type PolicyRef } from './policies.js';

/**
 * Turning a revision plus one environment's values into what the gateway
 * runs. Used by deploy (to refuse a bad revision before anything changes) and
 * by the snapshot compiler (the same checks, so what was accepted compiles).
 */

export interface ResolvedPolicy { attachment: PolicyAttachment; ref: PolicyRef; config: Record<string, unknown> }
export interface ResolvedDeployment { backendUrl: string; policies: ResolvedPolicy[] }

/** Every parameter a revision deployed with `backendUrl` needs. */
export function requiredParams(definition: RevisionDefinition, backendUrl: string | undefined): string[] {
  const names = referencedParams(backendUrl ?? '');
  for (const p of definition.policies) referencedParams(p.config, names);
  return [...names];
}

/** Parameters that must be secret because a policy setting marked secret uses them. */
export function forcedSecretParams(definition: RevisionDefinition): Set<string> {
  const names = new Set<string>();
  for (const p of definition.policies) {
    const ref = parsePolicyRef(p.policy);
    if (typeof ref !== 'string') for (const n of secretParamsOf(ref, p.config)) names.add(n);
  }
  return names;
}

/** Where each parameter is used outside a secret setting (the snapshot holds those in clear). */
function clearUses(definition: RevisionDefinition, backendUrl: string): Map<string, string> {
  const uses = new Map<string, string>();
  for (const name of referencedParams(backendUrl)) uses.set(name, 'backendUrl');
  definition.policies.forEach((p, i) => {
    const ref = parsePolicyRef(p.policy);
    const secret = typeof ref === 'string' ? [] : secretPaths(ref.schema);
    const walk = (value: unknown, path: string) => {
      if (secret.includes(path)) return;
      if (typeof value === 'string') {
        for (const name of referencedParams(value)) if (!uses.has(name)) uses.set(name, `policies[${i}].config.${path}`);
      } else if (Array.isArray(value)) value.forEach((v, j) => walk(v, `${path}[${j}]`));
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    };
    for (const [k, v] of Object.entries(p.config)) walk(v, k);
  });
  return uses;
}

/**
 * Checks the values given for a deploy: exactly the referenced parameters,
 * secrets only where the gateway keeps them sealed. Returns the values with
 * the forced-secret flags applied.
 */
export function checkParams(definition: RevisionDefinition, backendUrl: string, given: Record<string, ParamValue>): Record<string, ParamValue> {
  const required = requiredParams(definition, backendUrl);
  const missing = required.filter((n) => given[n] === undefined);
  if (missing.length) {
    throw invalid(`Missing values for parameters: ${missing.join(', ')}`, Object.fromEntries(missing.map((n) => [`params.${n}`, 'is required'])));
  }
  const unknown = Object.keys(given).filter((n) => !required.includes(n));
  if (unknown.length) {
    throw invalid(`Parameters not used by this revision: ${unknown.join(', ')}`, Object.fromEntries(unknown.map((n) => [`params.${n}`, 'is not referenced by this revision'])));
  }
  const forced = forcedSecretParams(definition);
  const params = Object.fromEntries(Object.entries(given).map(([n, p]) => [n, { value: p.value, secret: p.secret || forced.has(n) }]));
  const uses = clearUses(definition, backendUrl);
  const leaks = Object.entries(params).filter(([n, p]) => p.secret && uses.has(n));
  if (leaks.length) {
    throw unprocessable(`Secret parameters may only be used in settings a policy marks secret: ${leaks.map(([n]) => `${n} (used in ${uses.get(n)})`).join(', ')}`,
      Object.fromEntries(leaks.map(([n]) => [`params.${n}`, `is secret but used in ${uses.get(n)}, which is not a secret setting`])));
  }
  return params;
}

/**
 * Resolves and validates a revision for one environment: backend URL absolute
 * http(s), every policy config valid once resolved. A failure is a 422 naming
 * the exact path.
 */
export function resolveDeployment(definition: RevisionDefinition, backendUrlTemplate: string, values: Record<string, string>): ResolvedDeployment {
  const backendUrl = backendUrlTemplate.replace(/\$\{([^}]+)\}/g, (_, name: string) => values[name] ?? '').replace(/\/+$/, '');
  if (!isHttpUrlValue(backendUrl)) {
    throw unprocessable('The backend URL must be an absolute http(s) URL without credentials', { backendUrl: 'must be an absolute http(s) URL' });
  }
  const policies = definition.policies.map((attachment, i): ResolvedPolicy => {
    const ref = parsePolicyRef(attachment.policy);
    if (typeof ref === 'string') throw unprocessable(`policies[${i}].policy: ${ref}`, { [`policies[${i}].policy`]: ref });
    try {
      const config = validateResolved(ref, attachment.phase, resolvePolicyConfig(ref, attachment.config, values), `policies[${i}]`);
      return { attachment, ref, config };
    } catch (error) {
      if (error instanceof ConfigError) throw unprocessable(`Policy ${attachment.policy} is misconfigured: ${error.message}`, { [error.path]: error.message.slice(error.path.length + 2) });
      throw error;
    }
  });
  return { backendUrl, policies };
}
