import {
  compileSnapshot,
  findPolicy,
  secretPaths,
  type PolicyField,
  type SkippedEntry,
  emptySnapshot,
  gatewayAudience,
  SEALED_SECRET_CONTEXT,
  type SnapshotApi,
  type SnapshotPolicyInstance,
  type SnapshotResource,
} from '../../gateway/index.js';
import { isoNow, type Clock } from '../../shared/clock.js';
import type { MasterKey } from '../../shared/crypto.js';
import { egressPolicyOf, type EgressPolicy, type EgressRefused } from '../../shared/egress.js';
import { createLogger } from '../../shared/logger.js';
import type { Store } from '../../store/index.js';
import { resourceKey } from '../../store/repos/apis.js';
import type { ActiveDeployment } from '../../store/repos/deployments.js';
import { openParams, plainValues, referencedParams } from './params.js';
import { resolveDeployment, type ResolvedPolicy } from './resolve.js';

export { compileRuntimeSnapshot } from './environment.js';

/** What a deployment left out of the snapshot, and why. */
type Skipped = { apiId: string; orgId: string; reason: string }[];

/**
 * A string a secret went into: a setting the policy marks secret, or any
 * string a secret parameter was substituted into (a header value, the backend
 * URL, …). Sealed for the snapshot by `sealSecrets`; in the digest it counts
 * as its value.
 */
class SecretText {
  constructor(readonly value: string) {}
}

/**
 * Wraps in `SecretText` every string of a resolved config (`resolved`, with
 * defaults applied) whose template (`template`, the config as attached, at
 * the same place) references a secret parameter, or that sits at a path the
 * policy marks secret.
 */
function markSecrets(resolved: unknown, template: unknown, isSecretTemplate: (t: unknown) => boolean, secretAt: ReadonlySet<string>, path: string): unknown {
  if (typeof resolved === 'string') return secretAt.has(path) || isSecretTemplate(template) ? new SecretText(resolved) : resolved;
  if (Array.isArray(resolved)) return resolved.map((v, i) => markSecrets(v, Array.isArray(template) ? template[i] : undefined, isSecretTemplate, secretAt, `${path}[]`));
  if (resolved !== null && typeof resolved === 'object') {
    const t = template !== null && typeof template === 'object' && !Array.isArray(template) ? (template as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(resolved).map(([k, v]) => [k, markSecrets(v, t[k], isSecretTemplate, secretAt, path ? `${path}.${k}` : k)]));
  }
  return resolved;
}

export function compileApi(d: ActiveDeployment, masterKey: MasterKey): SnapshotApi {
  const params = openParams(masterKey, d.apiId, d.environmentId, d.params);
  const resolved = resolveDeployment(d.definition, d.backendUrl, plainValues(params));
  const secretNames = new Set(Object.keys(params).filter((n) => params[n]!.secret));
  const isSecretTemplate = (t: unknown): boolean => typeof t === 'string' && [...referencedParams(t)].some((n) => secretNames.has(n));
  const { definition } = d;
  const configs = new Map(resolved.policies.map((p) => [p, markSecrets(p.config, p.attachment.config, isSecretTemplate, new Set(secretPaths(p.ref.schema)), '') as Record<string, unknown>]));
  const policiesFor = (key: string): SnapshotPolicyInstance[] =>
    resolved.policies
      .filter((p) => p.attachment.resources === 'all' || p.attachment.resources.includes(key))
      .map((p: ResolvedPolicy) => ({ name: p.ref.name, version: p.ref.version, phase: p.attachment.phase, config: configs.get(p)! }));
  const resources: SnapshotResource[] = definition.resources.map((r) => ({
    method: r.method,
    path: r.path,
    security: { oauth2: r.security.oauth2, scopes: [...r.security.scopes] },
    policies: policiesFor(resourceKey(r)),
  }));
  return {
    id: d.apiId,
    orgId: d.orgId,
    orgHandle: d.orgHandle,
    name: d.componentName,
    contextPath: definition.contextPath,
    version: definition.version,
    backendUrl: isSecretTemplate(d.backendUrl) ? (new SecretText(resolved.backendUrl) as unknown as string) : resolved.backendUrl,
    audience: gatewayAudience(d.orgId, d.environment),
    cors: definition.cors && {
      allowOrigins: definition.cors.allowOrigins,
      allowMethods: definition.cors.allowMethods,
      allowHeaders: definition.cors.allowHeaders,
      exposeHeaders: definition.cors.exposeHeaders,
      allowCredentials: definition.cors.allowCredentials,
      maxAgeSeconds: definition.cors.maxAge,
    },
    resources,
    ...(definition.limits && { limits: { ...definition.limits } }),
  };
}

/**
 * Replaces every `SecretText` with `{"$sealed": …}` so the snapshot (and its
 * file on disk) holds no secret in clear; the gateway opens them when it
 * loads the snapshot.
 */
export function sealSecrets(apis: SnapshotApi[], masterKey: MasterKey): SnapshotApi[] {
  // One ciphertext per distinct value and compile, so resources sharing a policy share its sealed value.
  const sealed = new Map<string, { $sealed: string }>();
  const seal = (value: unknown): unknown => {
    if (value instanceof SecretText) {
      let out = sealed.get(value.value);
      if (!out) sealed.set(value.value, (out = { $sealed: masterKey.encrypt(value.value, SEALED_SECRET_CONTEXT) }));
      return out;
    }
    if (Array.isArray(value)) return value.map(seal);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, seal(v)]));
    return value;
  };
  return apis.map((api) => seal(api) as SnapshotApi);
}

/** Snapshot order: by the API's first deployment to the environment, so between two APIs claiming one route the earlier keeps it. */
export const byFirstDeployment = (a: Pick<ActiveDeployment, 'apiId' | 'firstDeployedAt'>, b: Pick<ActiveDeployment, 'apiId' | 'firstDeployedAt'>): number =>
  a.firstDeployedAt < b.firstDeployedAt ? -1 : a.firstDeployedAt > b.firstDeployedAt ? 1 : a.apiId < b.apiId ? -1 : a.apiId > b.apiId ? 1 : 0;

/** Compiles deployments in snapshot order; one that no longer compiles is listed in `skipped` and left out. */
function compileDeployments(deployments: ActiveDeployment[], masterKey: MasterKey): { apis: SnapshotApi[]; skipped: Skipped } {
  const apis: SnapshotApi[] = [];
  const skipped: Skipped = [];
  for (const d of [...deployments].sort(byFirstDeployment)) {
    try {
      apis.push(compileApi(d, masterKey));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      skipped.push({ apiId: d.apiId, orgId: d.orgId, reason });
    }
  }
  return { apis, skipped };
}

// ---------------------------------------------------------------------------
// Deploy-time trial: would the gateway serve it?

export interface TrialOptions {
  store: Store;
  masterKey: MasterKey;
  issuer: string;
  /** Environment name. */
  environment: string;
  clock: Clock;
  /** The deployment about to be made active (params sealed as they will be stored). */
  candidate: ActiveDeployment;
  /** The environment's active deployments when the caller has them already (`activeInEnvironment`); read from the store otherwise. */
  active?: ActiveDeployment[];
}

export interface TrialOutcome {
  /** Why the gateway would leave the candidate out: the path inside the API (`resources[0].policies[1]`, absent for the whole API) and the problem. */
  refused?: { path?: string; message: string; conflictsWith?: { apiId: string; name: string } };
  /** APIs the gateway would leave out because the candidate takes their routes (only possible for APIs it lists after the candidate). */
  displaced: { apiId: string; name: string; reason: string }[];
}

const quiet = createLogger('silent');

/** Text a secret went into, in clear (the trial never publishes what it compiles). */
const clearText = (value: unknown): unknown => (value instanceof SecretText ? value.value : value);

/** `url` settings of a policy config (nested ones too), with their paths relative to the config. */
function urlSettings(fields: readonly PolicyField[], config: Record<string, unknown>, at: string, out: { path: string; url: string }[]): void {
  for (const field of fields) {
    const value = config[field.name];
    const path = `${at}.${field.name}`;
    const one = (f: Omit<PolicyField, 'name'>, v: unknown, p: string) => {
      const text = clearText(v);
      if (f.type === 'url' && typeof text === 'string') out.push({ path: p, url: text });
      else if (f.type === 'object' && f.fields && text !== null && typeof text === 'object' && !Array.isArray(text)) urlSettings(f.fields, text as Record<string, unknown>, p, out);
      else if (f.type === 'array' && f.items && Array.isArray(text)) text.forEach((item, i) => one(f.items!, item, `${p}[${i}]`));
    };
    if (value !== undefined) one(field, value, path);
  }
}

/**
 * Checks the addresses the gateway would connect to for this API (its
 * backend URL, and every `url` setting of its policies such as an outbound
 * OAuth2 token URL) against the installation's egress policy, resolving host
 * names as a connection would. The first refusal, with its path in the API.
 */
async function egressRefusal(egress: EgressPolicy, api: SnapshotApi): Promise<TrialOutcome['refused']> {
  const targets: { path: string; url: string }[] = [{ path: 'backendUrl', url: clearText(api.backendUrl) as string }];
  api.resources.forEach((r, i) =>
    r.policies.forEach((p, j) => {
      const def = findPolicy(p.name, p.version);
      if (def) urlSettings(def.schema.fields, p.config as Record<string, unknown>, `resources[${i}].policies[${j}].config`, targets);
    }),
  );
  const checked = new Map<string, Promise<EgressRefused | undefined>>();
  for (const target of targets) {
    let verdict = checked.get(target.url);
    if (!verdict) checked.set(target.url, (verdict = egress.checkUrl(target.url)));
    const refused = await verdict;
    if (refused) return { path: target.path, message: refused.message };
  }
  return undefined;
}

/**
 * Compiles the candidate organization's APIs in the environment as the
 * snapshot would hold them, with `candidate` in place of its API's active
 * deployment, and loads them with the gateway's own compiler. Other
 * organizations' APIs are left out (their parameters are never opened):
 * every route begins with the organization's handle, so theirs can neither
 * refuse nor be displaced by this one. Nothing is published: this only tells
 * whether the gateway would serve the candidate, and whether it would push
 * another API out.
 */
export async function trialDeployment(options: TrialOptions): Promise<TrialOutcome> {
  const { store, masterKey, environment, candidate: given } = options;
  const active = (options.active ?? (await store.deployments.activeInEnvironment(environment))).filter((d) => d.orgId === given.orgId);
  const same = (d: ActiveDeployment) => d.apiId === given.apiId && d.environmentId === given.environmentId;
  const candidate = { ...given, firstDeployedAt: active.find(same)?.firstDeployedAt ?? given.firstDeployedAt };
  const { apis, skipped } = compileDeployments([...active.filter((d) => !same(d)), candidate], masterKey);
  const own = skipped.find((s) => s.apiId === candidate.apiId);
  if (own) return { refused: { message: own.reason }, displaced: [] };
  const egress = egressPolicyOf(store);
  const compiledCandidate = apis.find((a) => a.id === candidate.apiId);
  if (egress && !egress.permissive && compiledCandidate) {
    const refused = await egressRefusal(egress, compiledCandidate);
    if (refused) return { refused, displaced: [] };
  }
  const objects = new Map<string, unknown>();
  const gateway = compileSnapshot(
    { ...emptySnapshot(environment, options.issuer, 0, isoNow(options.clock)), apis: sealSecrets(apis, masterKey) },
    {
      environment,
      clock: options.clock,
      logger: quiet,
      shared: <T>(key: string, create: () => T): T => {
        if (!objects.has(key)) objects.set(key, create());
        return objects.get(key) as T;
      },
      openSecret: (sealed) => masterKey.decrypt(sealed, SEALED_SECRET_CONTEXT),
    },
  );
  const nameOf = (id: string) => apis.find((a) => a.id === id)?.name ?? id;
  /** `apis[3].resources[0]: problem` → path `resources[0]` and the problem, with API ids named. */
  const split = (s: SkippedEntry): { path?: string; message: string } => {
    const colon = s.reason.indexOf(': ');
    const full = colon < 0 ? s.at : s.reason.slice(0, colon);
    const message = (colon < 0 ? s.reason : s.reason.slice(colon + 2)).replace(/\bAPI (\S+)$/, (_, id: string) => `API ${nameOf(id)}`);
    return { ...(full.startsWith(`${s.at}.`) && { path: full.slice(s.at.length + 1) }), message };
  };
  const displaced = gateway.skipped
    .filter((s) => s.kind === 'api' && s.conflictsWith === candidate.apiId && s.id !== undefined)
    .map((s) => {
      const { path, message } = split(s);
      return { apiId: s.id!, name: nameOf(s.id!), reason: path ? `${path}: ${message}` : message };
    });
  const mine = gateway.skipped.find((s) => s.kind === 'api' && s.id === candidate.apiId);
  if (!mine) return { displaced };
  const conflictsWith = mine.conflictsWith === undefined ? undefined : { apiId: mine.conflictsWith, name: nameOf(mine.conflictsWith) };
  return { refused: { ...split(mine), ...(conflictsWith && { conflictsWith }) }, displaced };
}
