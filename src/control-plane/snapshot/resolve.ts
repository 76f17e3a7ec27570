import { ConfigError, invalid, unprocessable } from '../../shared/errors.js';
import type { PolicyAttachment, RevisionDefinition } from '../../store/repos/apis.js';
import { BACKEND_URL_RULE, isBackendUrl } from './url.js';
import { referencedParams, substituteParams, type ParamValue } from './params.js';
import { parsePolicyRef, resolvePolicyConfig, secretParamsOf, validateResolved, type PolicyRef } from './policies.js';

/**
 * Turning a revision plus one environment's values into what the gateway
 * runs. Used by deploy (to refuse a bad revision before anything changes) and
 * by the snapshot compiler (the same checks, so what was accepted compiles).
 */

export interface ResolvedPolicy {
  attachment: PolicyAttachment;
  ref: PolicyRef;
  config: Record<string, unknown>;
}
export interface ResolvedDeployment {
  backendUrl: string;
  policies: ResolvedPolicy[];
}

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

/** Control characters other than tab (which header values allow). */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Checks the values given for a deploy: exactly the referenced parameters,
 * none holding a line break or another control character. Returns them with
 * the secret flag forced on where a policy setting marked secret uses them,
 * and for the names in `alsoSecret` (secret in the environment promoted from).
 */
export function checkParams(definition: RevisionDefinition, backendUrl: string, given: Record<string, ParamValue>, alsoSecret: Iterable<string> = []): Record<string, ParamValue> {
  const required = requiredParams(definition, backendUrl);
  const missing = required.filter((n) => given[n] === undefined);
  if (missing.length) {
    throw invalid(`Missing values for parameters: ${missing.join(', ')}`, Object.fromEntries(missing.map((n) => [`params.${n}`, 'is required'])));
  }
  const unknown = Object.keys(given).filter((n) => !required.includes(n));
  if (unknown.length) {
    throw invalid(`Parameters not used by this revision: ${unknown.join(', ')}`, Object.fromEntries(unknown.map((n) => [`params.${n}`, 'is not referenced by this revision'])));
  }
  // A line break in a value would split a header (or a URL) the gateway builds from it: refused before anything else.
  const broken = Object.keys(given).filter((n) => CONTROL.test(given[n]!.value));
  if (broken.length) {
    throw invalid(
      `Parameter values must not contain line breaks (CR, LF) or other control characters: ${broken.join(', ')}`,
      Object.fromEntries(broken.map((n) => [`params.${n}`, 'must not contain line breaks (CR, LF) or other control characters'])),
    );
  }
  const forced = forcedSecretParams(definition);
  for (const n of alsoSecret) forced.add(n);
  return Object.fromEntries(Object.entries(given).map(([n, p]) => [n, { value: p.value, secret: p.secret || forced.has(n) }]));
}

/**
 * Resolves and validates a revision for one environment: backend URL absolute
 * http(s), every policy config valid once resolved. A failure is a 422 naming
 * the exact path.
 */
export function resolveDeployment(definition: RevisionDefinition, backendUrlTemplate: string, values: Record<string, string>): ResolvedDeployment {
  const backendUrl = substituteParams(backendUrlTemplate, values).replace(/\/+$/, '');
  if (!isBackendUrl(backendUrl)) throw unprocessable(`The backend URL ${BACKEND_URL_RULE}`, { backendUrl: BACKEND_URL_RULE });
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
