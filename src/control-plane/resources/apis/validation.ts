import type { Static } from 'typebox';
import { ApiError, invalid } from '../../../shared/errors.js';
import { newId } from '../../../shared/crypto.js';
import { resourceKey, type ApiLimits, type ApiResource, type CorsConfig, type HttpMethod, type PolicyAttachment } from '../../../store/repos/apis.js';
import type { Environment } from '../../../store/repos/organizations.js';
import { holdsReference, malformedReferences } from '../../snapshot/params.js';
import { BACKEND_URL_RULE, isBackendUrl } from '../../snapshot/url.js';
import { checkPolicyConfig, defaultPhase, parsePolicyRef } from '../../snapshot/policies.js';
import type { CorsInput, LimitsInput, PolicyInput, ResourceInput } from './schema.js';
import { isCorsOrigin, pathTemplateProblem, routeShape } from '../../../gateway/index.js';

/** Checks of an API definition: every check names the exact field. */

export function normalizeResources(input: Static<typeof ResourceInput>[], at: string): ApiResource[] {
  const fields: Record<string, string> = {};
  const seen = new Map<string, number>();
  const resources = input.map((r, i): ApiResource => {
    const problem = pathTemplateProblem(r.path);
    if (problem) fields[`${at}[${i}].path`] = problem;
    const shape = `${r.method} ${routeShape(r.path)}`;
    const first = seen.get(shape);
    if (first !== undefined) fields[`${at}[${i}]`] = `duplicates ${at}[${first}] (${r.method} ${input[first]?.path})`;
    else seen.set(shape, i);
    return {
      method: r.method as HttpMethod,
      path: r.path,
      security: { oauth2: r.security?.oauth2 ?? true, scopes: [...new Set(r.security?.scopes ?? [])] },
      ...(r.summary !== undefined && { summary: r.summary }),
    };
  });
  if (Object.keys(fields).length) throw invalid(`Invalid resources: ${describe(fields)}`, fields);
  return resources;
}

const describe = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');

export function normalizeBackendUrls(input: Record<string, string>, environments: Environment[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [env, url] of Object.entries(input)) {
    const key = `backendUrls.${env}`;
    if (!environments.some((e) => e.name === env)) fields[key] = `is not an environment of this organization (${environments.map((e) => e.name).join(', ')})`;
    else if (malformedReferences(url).length) fields[key] = 'has a malformed ${parameter} reference';
    else if (holdsReference(url) ? /[?#\s]/.test(url.replace(/\$\{[^}]*\}/g, '')) : !isBackendUrl(url.replace(/\/+$/, ''))) fields[key] = BACKEND_URL_RULE;
  }
  if (Object.keys(fields).length) throw invalid(`Invalid backend URLs: ${describe(fields)}`, fields);
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v.replace(/\/+$/, '')]));
}

export function normalizeCors(input: Static<typeof CorsInput> | null | undefined): CorsConfig | null {
  if (!input) return null;
  const fields: Record<string, string> = {};
  input.allowOrigins.forEach((o, i) => {
    if (!isCorsOrigin(o)) fields[`cors.allowOrigins[${i}]`] = 'must be * or an origin like https://app.example.com';
  });
  if (input.allowCredentials && input.allowOrigins.includes('*')) fields['cors.allowCredentials'] = 'cannot be true when allowOrigins contains *';
  if (Object.keys(fields).length) throw invalid(`Invalid CORS settings: ${describe(fields)}`, fields);
  return {
    allowOrigins: input.allowOrigins,
    allowMethods: input.allowMethods ?? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: input.allowHeaders ?? ['Authorization', 'Content-Type'],
    exposeHeaders: input.exposeHeaders ?? [],
    allowCredentials: input.allowCredentials ?? false,
    maxAge: input.maxAge ?? 600,
  };
}

/** Only the limits given; none (or `{}`) is null: the gateway's defaults. */
export function normalizeLimits(input: Static<typeof LimitsInput> | null | undefined): ApiLimits | null {
  if (!input) return null;
  const out: ApiLimits = {};
  for (const key of ['maxBodyBytes', 'connectTimeoutMs', 'headersTimeoutMs', 'bodyTimeoutMs'] as const) {
    if (input[key] !== undefined) out[key] = input[key];
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * Policy attachments: the policy must be registered, the resources it names
 * must exist, and its config must pass the policy's schema. Values that hold
 * `${param}` are checked once resolved, at deploy.
 */
export function normalizePolicies(input: Static<typeof PolicyInput>[] | PolicyAttachment[], resources: ApiResource[], previous: PolicyAttachment[] = []): PolicyAttachment[] {
  const fields: Record<string, string> = {};
  const keys = new Set(resources.map(resourceKey));
  const attachments = input.map((p, i): PolicyAttachment => {
    const at = `policies[${i}]`;
    const ref = parsePolicyRef(p.policy);
    if (typeof ref === 'string') fields[`${at}.policy`] = ref;
    const selection = p.resources ?? 'all';
    if (selection !== 'all') {
      selection.forEach((key, j) => {
        if (!keys.has(key)) fields[`${at}.resources[${j}]`] = `no resource "${key}" in this API`;
      });
    }
    const config = p.config ?? {};
    for (const path of malformedReferences(config)) fields[`${at}.config${path.startsWith('[') ? '' : '.'}${path}`] = 'has a malformed ${parameter} reference';
    const phase = p.phase ?? (typeof ref === 'string' ? 'request' : defaultPhase(ref));
    if (typeof ref !== 'string') Object.assign(fields, checkPolicyConfig(ref, config, { at: `${at}.config`, phase, unresolved: true }));
    const id = 'id' in p && typeof p.id === 'string' ? p.id : previous[i]?.policy === p.policy ? previous[i]!.id : newId();
    return { id, policy: p.policy, resources: selection === 'all' ? 'all' : [...new Set(selection)], phase, config };
  });
  if (Object.keys(fields).length) throw invalid(`Invalid policies: ${describe(fields)}`, fields);
  return attachments;
}

/** Runs a policy-list check, naming the fields of the attachment at `index` as sent (`config.x`), not by its place in the list. */
export function attachmentErrorsAsSent<T>(index: number, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ApiError && error.fields) {
      const prefix = `policies[${index}].`;
      const fields = Object.fromEntries(Object.entries(error.fields).map(([k, v]) => [k.startsWith(prefix) ? k.slice(prefix.length) : k, v]));
      throw new ApiError(error.code, `Invalid policy attachment: ${describe(fields)}`, fields);
    }
    throw error;
  }
}
