import { isoNow } from '../../../shared/clock.js';
import { conflict, invalid, notFound, unprocessable } from '../../../shared/errors.js';
import type { Store } from '../../../store/index.js';
import { basePathOf, basePathsOverlap, type Api, type ApiRevision, type RevisionDefinition } from '../../../store/repos/apis.js';
import type { Deployment, StoredParam } from '../../../store/repos/deployments.js';
import type { Environment } from '../../../store/repos/organizations.js';
import { actorOf, type ControlPlaneDeps } from '../../context.js';
import { trialDeployment } from '../../snapshot/compile.js';
import { openParams, plainValues, sealParams, type ParamValue } from '../../snapshot/params.js';
import { checkParams, requiredParams, resolveDeployment } from '../../snapshot/resolve.js';
import type { ApiAccess } from '../apis/service.js';
import type { ParamsBody } from './schema.js';

/** The steps of deploy, promote and rollback: check everything first, then change it in one transaction. */

export const toParamValues = (body: ParamsBody | undefined): Record<string, ParamValue> =>
  Object.fromEntries(Object.entries(body ?? {}).map(([n, v]) => [n, typeof v === 'string' ? { value: v, secret: false } : { value: v.value, secret: v.secret ?? false }]));

export const revisionDefinition = (api: Api): RevisionDefinition => ({
  contextPath: api.contextPath,
  version: api.version,
  resources: api.resources,
  policies: api.policies,
  cors: api.cors,
  ...(api.limits && { limits: api.limits }),
});

export async function environmentOf(deps: ControlPlaneDeps, access: ApiAccess, name: string): Promise<Environment> {
  const env = await deps.store.orgs.environment(access.org.id, name);
  if (!env) throw notFound(`Environment "${name}"`);
  return env;
}

export function backendUrlFor(api: Api, env: Environment, given: string | undefined): string {
  const url = given ?? api.backendUrls[env.name];
  if (!url) throw invalid(`No backend URL for environment "${env.name}": set backendUrls.${env.name} on the API or send backendUrl`, { backendUrl: 'is required' });
  return url.replace(/\/+$/, '');
}

export interface DeployRequest {
  env: Environment;
  /** An existing revision (promote, rollback, redeploy), or the API's current definition to freeze. */
  revision: ApiRevision | RevisionDefinition;
  backendUrl: string;
  params: Record<string, ParamValue>;
  /** Parameters stored sealed whatever the request says (secret in the environment promoted from, or sealed in the target already). */
  secretParams?: Iterable<string>;
  action: 'deployed' | 'promoted' | 'rolled_back';
  /** Also keep `backendUrl` as the API's backendUrls[env], in the deploy's transaction (only that environment's entry changes). */
  saveBackendUrl?: boolean;
}

/**
 * With `reuseStoredValues`: every parameter `definition` and `backendUrl`
 * need that `given` lacks takes the value the environment's active deployment
 * holds (secret ones stay secret). Names it does not hold stay missing.
 */
export async function withStoredValues(
  deps: ControlPlaneDeps,
  api: Api,
  env: Environment,
  definition: RevisionDefinition,
  backendUrl: string,
  given: Record<string, ParamValue>,
): Promise<Record<string, ParamValue>> {
  const active = await deps.store.deployments.active(api.orgId, api.id, env.id);
  if (!active) return given;
  const stored = openParams(deps.masterKey, api.id, env.id, active.params);
  const out = { ...given };
  for (const name of requiredParams(definition, backendUrl)) if (out[name] === undefined && stored[name]) out[name] = stored[name]!;
  return out;
}

/** Names of the stored parameters that are sealed (secret). */
export const sealedNames = (params: Record<string, StoredParam> | undefined): string[] => Object.keys(params ?? {}).filter((n) => 'sealed' in params![n]!);

/**
 * The gateway must serve what a deploy accepts. Refuses (the running
 * deployment untouched) a base path overlapping another API of the
 * organization deployed to this environment, and anything the gateway's own
 * compiler would leave out of the environment's snapshot: this deployment,
 * or an API it serves now whose routes this one would take.
 */
async function checkServed(deps: ControlPlaneDeps, access: ApiAccess, api: Api, req: DeployRequest, definition: RevisionDefinition, params: Record<string, ParamValue>): Promise<void> {
  const active = await deps.store.deployments.activeInEnvironment(req.env.name);
  for (const other of active) {
    if (other.orgId !== access.org.id || other.apiId === api.id || !basePathsOverlap(other.definition, definition)) continue;
    throw conflict(
      `${basePathOf(definition)} overlaps ${basePathOf(other.definition)}, which API ${other.componentName} serves in "${req.env.name}": one API's context path and version may not lie inside another's`,
      { contextPath: `overlaps ${basePathOf(other.definition)} (API ${other.componentName})` },
    );
  }
  const now = isoNow(deps.clock);
  const trial = await trialDeployment({
    store: deps.store,
    masterKey: deps.masterKey,
    issuer: deps.config.publicUrl,
    environment: req.env.name,
    clock: deps.clock,
    active,
    candidate: {
      id: 'trial',
      orgId: access.org.id,
      apiId: api.id,
      environmentId: req.env.id,
      environment: req.env.name,
      revisionId: 'trial',
      revisionNumber: 0,
      backendUrl: req.backendUrl,
      params: sealParams(deps.masterKey, api.id, req.env.id, params),
      status: 'active',
      deployedBy: access.user.email,
      createdAt: now,
      orgHandle: access.org.handle,
      componentName: access.component.name,
      gatewayUrl: req.env.gatewayUrl,
      definition,
      firstDeployedAt: now,
    },
  });
  if (trial.refused) {
    const { path, message, conflictsWith } = trial.refused;
    const text = `The gateway would not serve this deployment: ${path ? `${path}: ` : ''}${message}`;
    const fields = path ? { [path]: message } : undefined;
    throw conflictsWith ? conflict(text, fields) : unprocessable(text, fields);
  }
  const [displaced] = trial.displaced;
  if (displaced) {
    throw conflict(`This deployment would take routes from API ${displaced.name}, which the gateway serves in "${req.env.name}" now (${displaced.reason})`, {
      resources: `conflict with API ${displaced.name}`,
    });
  }
}

/**
 * Checks everything first (parameters, backend URL, policy configs resolved,
 * and that the gateway would serve it), then in one transaction freezes the
 * revision and makes the deployment the active one. Any failure leaves the
 * running deployment as it was.
 */
export async function deploy(deps: ControlPlaneDeps, access: ApiAccess, api: Api, req: DeployRequest): Promise<Deployment> {
  const definition = 'definition' in req.revision ? req.revision.definition : req.revision;
  const params = checkParams(definition, req.backendUrl, req.params, req.secretParams);
  resolveDeployment(definition, req.backendUrl, plainValues(params));
  await checkServed(deps, access, api, req, definition, params);
  const deployment = await deps.store.transaction(async (tx) => {
    const revision = 'definition' in req.revision ? req.revision : (await tx.apis.ensureRevision(access.org.id, api.id, definition, access.user.email)).revision;
    const d = await tx.deployments.activate({
      orgId: access.org.id,
      apiId: api.id,
      environmentId: req.env.id,
      environment: req.env.name,
      revisionId: revision.id,
      revisionNumber: revision.number,
      backendUrl: req.backendUrl,
      params: sealParams(deps.masterKey, api.id, req.env.id, params),
      deployedBy: access.user.email,
    });
    if (req.saveBackendUrl) await saveBackendUrl(tx, access, api.id, req.env.name, req.backendUrl);
    await tx.audit.record({
      orgId: access.org.id,
      ...actorOf(access.user),
      action: `api.${req.action}`,
      targetType: 'api',
      targetId: api.id,
      details: { component: access.component.name, environment: req.env.name, revision: revision.number, parameters: Object.keys(params) },
    });
    return d;
  });
  return deployment;
}

/** Sets the API's backendUrls[environment] (read inside the transaction, so other environments' entries changed meanwhile are kept); audited as api.updated when it changed. */
async function saveBackendUrl(tx: Store, access: ApiAccess, apiId: string, environment: string, url: string): Promise<void> {
  const current = (await tx.apis.get(access.org.id, apiId))!;
  if (current.backendUrls[environment] === url) return;
  await tx.apis.save({ ...current, backendUrls: { ...current.backendUrls, [environment]: url } });
  await tx.audit.record({
    orgId: access.org.id,
    ...actorOf(access.user),
    action: 'api.updated',
    targetType: 'api',
    targetId: apiId,
    details: { component: access.component.name, backendUrls: [environment] },
  });
}

/**
 * The deployment that was active before the current one, walking the history
 * oldest first as a stack: a deployment that runs what an earlier one on the
 * stack ran (same revision, backend URL and values; a rollback, or the same
 * deploy again) returns to it, dropping what came after; anything else is
 * pushed. The entry under the top is the target, so rolling back twice goes
 * two steps back instead of returning to the version just left.
 */
export function previouslyActive(history: Deployment[], open: (d: Deployment) => Record<string, ParamValue>): Deployment | undefined {
  const stateOf = (d: Deployment) => JSON.stringify([d.revisionId, d.backendUrl, Object.entries(open(d)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  const stack: { state: string; deployment: Deployment }[] = [];
  for (const d of [...history].reverse()) {
    const state = stateOf(d);
    const seen = stack.findIndex((e) => e.state === state);
    if (seen >= 0) stack.length = seen + 1;
    else stack.push({ state, deployment: d });
  }
  return stack.at(-2)?.deployment;
}

/** The environment after `from` in the promotion chain. */
export async function nextEnvironment(deps: ControlPlaneDeps, access: ApiAccess, from: string | undefined): Promise<{ source: Environment; target: Environment }> {
  const chain = await deps.store.orgs.environments(access.org.id);
  const index = from === undefined ? 0 : chain.findIndex((e) => e.name === from);
  if (index < 0) throw notFound(`Environment "${from}"`);
  const source = chain[index]!;
  const target = chain[index + 1];
  if (!target) throw conflict(`"${source.name}" is the last environment of the promotion chain (${chain.map((e) => e.name).join(' → ')})`, { from: 'has no next environment' });
  return { source, target };
}

export async function activeRevision(deps: ControlPlaneDeps, access: ApiAccess, api: Api, env: Environment): Promise<ApiRevision> {
  const active = await deps.store.deployments.active(access.org.id, api.id, env.id);
  if (!active) throw conflict(`Nothing is deployed to "${env.name}" yet: deploy there first`, { from: 'has no active deployment' });
  return (await deps.store.apis.revisionById(active.revisionId))!;
}
