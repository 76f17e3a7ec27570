import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { isoNow } from '../../shared/clock.js';
import { conflict, invalid, notFound, unprocessable } from '../../shared/errors.js';
import { sha256 } from '../../shared/crypto.js';
import { basePathOf, basePathsOverlap, canonicalJson, type Api, type ApiRevision, type RevisionDefinition } from '../../store/repos/apis.js';
import type { Deployment, StoredParam } from '../../store/repos/deployments.js';
import type { Environment } from '../../store/repos/organizations.js';
import type { Store } from '../../store/index.js';
import { actorOf, type ControlPlaneDeps } from '../context.js';
import { Body } from '../schemas.js';
import { describeParams, openParams, PARAM_NAME, plainValues, sealParams, type ParamValue } from '../snapshot/params.js';
import { trialDeployment } from '../snapshot/compile.js';
import { checkParams, forcedSecretParams, requiredParams, resolveDeployment } from '../snapshot/resolve.js';
import { ApiParams, apiComponentAccess, endpointUrl, loadApi, type ApiAccess } from './apis.js';

// ---------------------------------------------------------------------------
// Schemas

const ParamsInput = Type.Record(Type.String({ pattern: `^${PARAM_NAME}$` }), Type.Union([
  Type.String({ maxLength: 8192 }),
  Type.Object({ value: Type.String({ maxLength: 8192 }), secret: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
]), { description: 'name → value, or name → {value, secret}. Secret values are encrypted at rest and never returned.' });
type ParamsBody = Static<typeof ParamsInput>;

const DeploymentView = Type.Object({
  id: Type.String(), environment: Type.String(), revision: Type.Integer(), status: Type.String(),
  backendUrl: Type.String({ description: 'as configured; `${param}` references are shown unresolved' }),
  params: Type.Record(Type.String(), Type.Object({ secret: Type.Boolean(), value: Type.Optional(Type.String()) }), { description: 'secret values are never returned' }),
  endpointUrl: Type.String({ description: 'the URL this environment\'s gateway serves the API at' }),
  deployedBy: Type.String(), createdAt: Type.String(),
});
const RevisionView = Type.Object({
  number: Type.Integer(), digest: Type.String(), createdBy: Type.String(), createdAt: Type.String(),
  definition: Type.Record(Type.String(), Type.Unknown()),
  parameters: Type.Array(Type.String(), { description: 'parameters referenced by its policies' }),
});
const ParameterNeed = Type.Object({ name: Type.String(), secret: Type.Boolean(), value: Type.Optional(Type.String({ description: 'the value the target environment has now (plain parameters only)' })) });
const PlannedParameter = Type.Object({
  name: Type.String(),
  secret: Type.Boolean({ description: 'a policy setting marked secret uses it, or the environment stores it sealed' }),
  stored: Type.Boolean({ description: 'the environment\'s active deployment has a value for it (reused with reuseStoredValues)' }),
  value: Type.Optional(Type.String({ description: 'that value, for plain parameters only' })),
});
const DeploymentPlanView = Type.Object({
  environment: Type.String(), displayName: Type.String(),
  endpointUrl: Type.String({ description: 'the URL this environment\'s gateway serves the API at' }),
  backendUrl: Type.Union([Type.String(), Type.Null()], { description: 'the backend URL the deploy would use (the query\'s, else the API\'s for this environment); null: none set' }),
  revision: Type.Union([Type.Integer(), Type.Null()], { description: 'the revision that would run: the one asked for, or the latest when the definition has not changed since; null: a new revision' }),
  active: Type.Union([Type.Object({ revision: Type.Integer(), backendUrl: Type.String(), deployedBy: Type.String(), createdAt: Type.String() }), Type.Null()], { description: 'what runs there now' }),
  parameters: Type.Array(PlannedParameter, { description: 'every ${parameter} the revision and backend URL reference' }),
});
const SaveBackendUrl = Type.Optional(Type.Boolean({ description: 'with `backendUrl`: also keep it as the API\'s backendUrls for the target environment, in the same transaction as the deploy (nothing changes when the deploy fails); default false' }));
const ReuseStored = Type.Optional(Type.Boolean({ description: 'a parameter not in `params` takes the value the environment\'s active deployment holds (a secret one stays sealed); default false: every parameter must be given' }));
const PromotionView = Type.Object({
  from: Type.String(), to: Type.String(), revision: Type.Integer(),
  backendUrl: Type.Union([Type.String(), Type.Null()], { description: 'the target environment\'s backend URL from the API definition' }),
  parameters: Type.Array(ParameterNeed),
});

// ---------------------------------------------------------------------------
// Steps

const toParamValues = (body: ParamsBody | undefined): Record<string, ParamValue> =>
  Object.fromEntries(Object.entries(body ?? {}).map(([n, v]) => [n, typeof v === 'string' ? { value: v, secret: false } : { value: v.value, secret: v.secret ?? false }]));

export const revisionDefinition = (api: Api): RevisionDefinition => ({
  contextPath: api.contextPath, version: api.version, resources: api.resources, policies: api.policies, cors: api.cors,
  ...(api.limits && { limits: api.limits }),
});

async function environmentOf(deps: ControlPlaneDeps, access: ApiAccess, name: string): Promise<Environment> {
  const env = await deps.store.orgs.environment(access.org.id, name);
  if (!env) throw notFound(`Environment "${name}"`);
  return env;
}

function backendUrlFor(api: Api, env: Environment, given: string | undefined): string {
  const url = given ?? api.backendUrls[env.name];
  if (!url) throw invalid(`No backend URL for environment "${env.name}": set backendUrls.${env.name} on the API or send backendUrl`, { backendUrl: 'is required' });
  return url.replace(/\/+$/, '');
}

function deploymentView(access: ApiAccess, api: Api, env: Environment, d: Deployment) {
  return {
    id: d.id, environment: d.environment, revision: d.revisionNumber, status: d.status, backendUrl: d.backendUrl,
    params: describeParams(d.params), endpointUrl: endpointUrl(env, access.org, api), deployedBy: d.deployedBy, createdAt: d.createdAt,
  };
}

interface DeployRequest {
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
async function withStoredValues(deps: ControlPlaneDeps, api: Api, env: Environment, definition: RevisionDefinition, backendUrl: string, given: Record<string, ParamValue>): Promise<Record<string, ParamValue>> {
  const active = await deps.store.deployments.active(api.orgId, api.id, env.id);
  if (!active) return given;
  const stored = openParams(deps.masterKey, api.id, env.id, active.params);
  const out = { ...given };
  for (const name of requiredParams(definition, backendUrl)) if (out[name] === undefined && stored[name]) out[name] = stored[name]!;
  return out;
}

/** Names of the stored parameters that are sealed (secret). */
const sealedNames = (params: Record<string, StoredParam> | undefined): string[] => Object.keys(params ?? {}).filter((n) => 'sealed' in params![n]!);

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
    store: deps.store, masterKey: deps.masterKey, issuer: deps.config.publicUrl, environment: req.env.name, clock: deps.clock, active,
    candidate: {
      id: 'trial', orgId: access.org.id, apiId: api.id, environmentId: req.env.id, environment: req.env.name,
      revisionId: 'trial', revisionNumber: 0, backendUrl: req.backendUrl, params: sealParams(deps.masterKey, api.id, req.env.id, params),
      status: 'active', deployedBy: access.user.email, createdAt: now, orgHandle: access.org.handle, componentName: access.component.name,
      gatewayUrl: req.env.gatewayUrl, definition, firstDeployedAt: now,
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
    throw conflict(`This deployment would take routes from API ${displaced.name}, which the gateway serves in "${req.env.name}" now (${displaced.reason})`, { resources: `conflict with API ${displaced.name}` });
  }
}

/**
 * Checks everything first (parameters, backend URL, policy configs resolved,
 * and that the gateway would serve it), then in one transaction freezes the
 * revision and makes the deployment the active one. Any failure leaves the
 * running deployment as it was.
 */
async function deploy(deps: ControlPlaneDeps, access: ApiAccess, api: Api, req: DeployRequest): Promise<Deployment> {
  const definition = 'definition' in req.revision ? req.revision.definition : req.revision;
  const params = checkParams(definition, req.backendUrl, req.params, req.secretParams);
  resolveDeployment(definition, req.backendUrl, plainValues(params));
  await checkServed(deps, access, api, req, definition, params);
  const deployment = await deps.store.transaction(async (tx) => {
    const revision = 'definition' in req.revision ? req.revision : (await tx.apis.ensureRevision(access.org.id, api.id, definition, access.user.email)).revision;
    const d = await tx.deployments.activate({
      orgId: access.org.id, apiId: api.id, environmentId: req.env.id, environment: req.env.name, revisionId: revision.id, revisionNumber: revision.number,
      backendUrl: req.backendUrl, params: sealParams(deps.masterKey, api.id, req.env.id, params), deployedBy: access.user.email,
    });
    if (req.saveBackendUrl) await saveBackendUrl(tx, access, api.id, req.env.name, req.backendUrl);
    await tx.audit.record({
      orgId: access.org.id, ...actorOf(access.user), action: `api.${req.action}`, targetType: 'api', targetId: api.id,
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
    orgId: access.org.id, ...actorOf(access.user), action: 'api.updated', targetType: 'api', targetId: apiId,
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
function previouslyActive(history: Deployment[], open: (d: Deployment) => Record<string, ParamValue>): Deployment | undefined {
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
async function nextEnvironment(deps: ControlPlaneDeps, access: ApiAccess, from: string | undefined): Promise<{ source: Environment; target: Environment }> {
  const chain = await deps.store.orgs.environments(access.org.id);
  const index = from === undefined ? 0 : chain.findIndex((e) => e.name === from);
  if (index < 0) throw notFound(`Environment "${from}"`);
  const source = chain[index]!;
  const target = chain[index + 1];
  if (!target) throw conflict(`"${source.name}" is the last environment of the promotion chain (${chain.map((e) => e.name).join(' → ')})`, { from: 'has no next environment' });
  return { source, target };
}

async function activeRevision(deps: ControlPlaneDeps, access: ApiAccess, api: Api, env: Environment): Promise<ApiRevision> {
  const active = await deps.store.deployments.active(access.org.id, api.id, env.id);
  if (!active) throw conflict(`Nothing is deployed to "${env.name}" yet: deploy there first`, { from: 'has no active deployment' });
  return (await deps.store.apis.revisionById(active.revisionId))!;
}

// ---------------------------------------------------------------------------
// Routes

export const deploymentRoutes = (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { store } = deps;
  const base = '/orgs/:org/projects/:project/components/:component/api';

  app.get(`${base}/revisions`, {
    schema: { tags: ['deployments'], summary: 'Immutable revisions of the API, newest first', params: ApiParams, response: { 200: Type.Array(RevisionView) } },
  }, async (request) => {
    const access = await apiComponentAccess(store, request, request.params);
    const api = await loadApi(store, access);
    return (await store.apis.revisions(access.org.id, api.id)).map((r) => ({
      number: r.number, digest: r.digest, createdBy: r.createdBy, createdAt: r.createdAt,
      definition: r.definition as unknown as Record<string, unknown>, parameters: requiredParams(r.definition, undefined),
    }));
  });

  app.get(`${base}/deployments`, {
    schema: {
      tags: ['deployments'], summary: 'Deployment history, newest first (one environment or all)',
      params: ApiParams, querystring: Type.Object({ environment: Type.Optional(Type.String()) }, { additionalProperties: false }),
      response: { 200: Type.Array(DeploymentView) },
    },
  }, async (request) => {
    const access = await apiComponentAccess(store, request, request.params);
    const api = await loadApi(store, access);
    const environments = await store.orgs.environments(access.org.id);
    const env = request.query.environment === undefined ? undefined : environments.find((e) => e.name === request.query.environment);
    if (request.query.environment !== undefined && !env) throw notFound(`Environment "${request.query.environment}"`);
    const history = await store.deployments.history(access.org.id, api.id, env?.id);
    return history.map((d) => deploymentView(access, api, environments.find((e) => e.id === d.environmentId)!, d));
  });

  app.post(`${base}/deployments`, {
    schema: {
      tags: ['deployments'],
      summary: 'Deploy to an environment: the current definition (frozen as a new revision when it changed) or an existing revision',
      params: ApiParams,
      body: Body({
        environment: Type.String(),
        revision: Type.Optional(Type.Integer({ minimum: 1, description: 'redeploy this revision instead of the current definition' })),
        backendUrl: Type.Optional(Type.String({ maxLength: 2000, description: 'default: the API\'s backendUrls[environment]' })),
        saveBackendUrl: SaveBackendUrl,
        params: Type.Optional(ParamsInput),
        reuseStoredValues: ReuseStored,
      }),
      response: { 201: DeploymentView },
    },
  }, async (request, reply) => {
    const access = await apiComponentAccess(store, request, request.params);
    const api = await loadApi(store, access);
    const env = await environmentOf(deps, access, request.body.environment);
    let revision: ApiRevision | RevisionDefinition = revisionDefinition(api);
    if (request.body.revision !== undefined) {
      const existing = await store.apis.revision(access.org.id, api.id, request.body.revision);
      if (!existing) throw notFound(`Revision ${request.body.revision}`);
      revision = existing;
    }
    const backendUrl = backendUrlFor(api, env, request.body.backendUrl);
    let params = toParamValues(request.body.params);
    if (request.body.reuseStoredValues) params = await withStoredValues(deps, api, env, 'definition' in revision ? revision.definition : revision, backendUrl, params);
    const d = await deploy(deps, access, api, { env, revision, backendUrl, params, action: 'deployed', saveBackendUrl: request.body.saveBackendUrl });
    return reply.code(201).send(deploymentView(access, api, env, d));
  });

  app.get(`${base}/deployments/plan`, {
    schema: {
      tags: ['deployments'],
      summary: 'What deploying to an environment needs, before deploying: endpoint URL, backend URL, the revision that would run, and every parameter with whether the environment already holds a value',
      params: ApiParams,
      querystring: Type.Object({
        environment: Type.String(),
        revision: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,8}$', description: 'number of an existing revision (default: the current definition)' })),
        backendUrl: Type.Optional(Type.String({ maxLength: 2000, description: 'the backend URL the deploy would send (default: the API\'s for this environment)' })),
      }, { additionalProperties: false }),
      response: { 200: DeploymentPlanView },
    },
  }, async (request) => {
    const access = await apiComponentAccess(store, request, request.params);
    const api = await loadApi(store, access);
    const env = await environmentOf(deps, access, request.query.environment);
    let definition = revisionDefinition(api);
    let number: number | null;
    if (request.query.revision !== undefined) {
      const existing = await store.apis.revision(access.org.id, api.id, Number(request.query.revision));
      if (!existing) throw notFound(`Revision ${request.query.revision}`);
      definition = existing.definition;
      number = existing.number;
    } else {
      const latest = await store.apis.latestRevision(access.org.id, api.id);
      number = latest && latest.digest === sha256(canonicalJson(definition)) ? latest.number : null;
    }
    const backendUrl = (request.query.backendUrl ?? api.backendUrls[env.name])?.replace(/\/+$/, '') ?? null;
    const active = await store.deployments.active(access.org.id, api.id, env.id);
    const secret = forcedSecretParams(definition);
    for (const name of sealedNames(active?.params)) secret.add(name);
    return {
      environment: env.name, displayName: env.displayName, endpointUrl: endpointUrl(env, access.org, api), backendUrl, revision: number,
      active: active ? { revision: active.revisionNumber, backendUrl: active.backendUrl, deployedBy: active.deployedBy, createdAt: active.createdAt } : null,
      parameters: requiredParams(definition, backendUrl ?? undefined).map((name) => {
        const stored = active?.params[name];
        return { name, secret: secret.has(name), stored: !!stored, ...(stored && 'value' in stored && !secret.has(name) && { value: stored.value }) };
      }),
    };
  });

  app.get(`${base}/promotion`, {
    schema: {
      tags: ['deployments'], summary: 'What promoting from an environment to the next one needs (parameters, backend URL)',
      params: ApiParams, querystring: Type.Object({ from: Type.Optional(Type.String({ description: 'default: the first environment' })) }, { additionalProperties: false }),
      response: { 200: PromotionView },
    },
  }, async (request) => {
    const access = await apiComponentAccess(store, request, request.params);
    const api = await loadApi(store, access);
    const { source, target } = await nextEnvironment(deps, access, request.query.from);
    const revision = await activeRevision(deps, access, api, source);
    const backendUrl = api.backendUrls[target.name] ?? null;
    // Secret: forced by a policy setting, secret in the source environment, or stored sealed in the target already.
    const forced = forcedSecretParams(revision.definition);
    for (const name of sealedNames((await store.deployments.active(access.org.id, api.id, source.id))?.params)) forced.add(name);
    const current = await store.deployments.active(access.org.id, api.id, target.id);
    return {
      from: source.name, to: target.name, revision: revision.number, backendUrl,
      parameters: requiredParams(revision.definition, backendUrl ?? undefined).map((name) => {
        const stored = current?.params[name];
        const secret = forced.has(name) || (!!stored && 'sealed' in stored);
        return { name, secret, ...(stored && 'value' in stored && !secret && { value: stored.value }) };
      }),
    };
  });

  app.post(`${base}/promote`, {
    schema: {
      tags: ['deployments'], summary: 'Deploy the revision active in one environment to the next one, with that environment\'s values',
      params: ApiParams,
      body: Body({
        from: Type.Optional(Type.String({ description: 'default: the first environment' })),
        backendUrl: Type.Optional(Type.String({ maxLength: 2000 })),
        saveBackendUrl: SaveBackendUrl,
        params: Type.Optional(ParamsInput),
        reuseStoredValues: ReuseStored,
      }),
      response: { 201: DeploymentView },
    },
  }, async (request, reply) => {
    const access = await apiComponentAccess(store, request, request.params);
    const api = await loadApi(store, access);
    const { source, target } = await nextEnvironment(deps, access, request.body.from);
    const revision = await activeRevision(deps, access, api, source);
    // Stored sealed whatever the request says: secret in the source environment, or sealed in the target already (as GET …/promotion reports).
    const secretParams = new Set([
      ...sealedNames((await store.deployments.active(access.org.id, api.id, source.id))?.params),
      ...sealedNames((await store.deployments.active(access.org.id, api.id, target.id))?.params),
    ]);
    const backendUrl = backendUrlFor(api, target, request.body.backendUrl);
    let params = toParamValues(request.body.params);
    if (request.body.reuseStoredValues) params = await withStoredValues(deps, api, target, revision.definition, backendUrl, params);
    const d = await deploy(deps, access, api, { env: target, revision, backendUrl, params, secretParams, action: 'promoted', saveBackendUrl: request.body.saveBackendUrl });
    return reply.code(201).send(deploymentView(access, api, target, d));
  });

  app.post(`${base}/rollback`, {
    schema: {
      tags: ['deployments'],
      summary: 'Redeploy an earlier deployment of an environment, with the values it had there (default: the one that was active before what runs now, so repeated rollbacks keep going back; `revision`: the latest with that revision)',
      params: ApiParams,
      body: Body({ environment: Type.String(), revision: Type.Optional(Type.Integer({ minimum: 1 })) }),
      response: { 201: DeploymentView },
    },
  }, async (request, reply) => {
    const access = await apiComponentAccess(store, request, request.params);
    const api = await loadApi(store, access);
    const env = await environmentOf(deps, access, request.body.environment);
    const history = await store.deployments.history(access.org.id, api.id, env.id);
    const wanted = request.body.revision;
    const earlier = wanted === undefined
      ? previouslyActive(history, (d) => openParams(deps.masterKey, api.id, env.id, d.params))
      : history.find((d) => d.status !== 'active' && d.revisionNumber === wanted);
    if (!earlier) {
      throw conflict(wanted === undefined
        ? `"${env.name}" has no earlier deployment to roll back to`
        : `Revision ${wanted} was never deployed to "${env.name}": deploy it with its parameters instead`, { revision: 'has no earlier deployment here' });
    }
    const revision = (await store.apis.revisionById(earlier.revisionId))!;
    const params = openParams(deps.masterKey, api.id, env.id, earlier.params);
    const d = await deploy(deps, access, api, { env, revision, backendUrl: earlier.backendUrl, params, action: 'rolled_back' });
    return reply.code(201).send(deploymentView(access, api, env, d));
  });
};
