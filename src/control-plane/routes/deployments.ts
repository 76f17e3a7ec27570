import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import type { Api, ApiRevision, RevisionDefinition } from '../../store/repos/apis.js';
import type { Deployment } from '../../store/repos/deployments.js';
import type { Environment } from '../../store/repos/organizations.js';
import { actorOf, type ControlPlaneDeps } from '../context.js';
import { Body } from '../schemas.js';
import { describeParams, openParams, PARAM_NAME, plainValues, sealParams, type ParamValue } from '../snapshot/params.js';
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
  action: 'deployed' | 'promoted' | 'rolled_back';
}

/**
 * Checks everything first (parameters, backend URL, policy configs resolved),
 * then in one transaction freezes the revision and makes the deployment the
 * active one. Any failure leaves the running deployment as it was.
 */
async function deploy(deps: ControlPlaneDeps, access: ApiAccess, api: Api, req: DeployRequest): Promise<Deployment> {
  const definition = 'definition' in req.revision ? req.revision.definition : req.revision;
  const params = checkParams(definition, req.backendUrl, req.params);
  resolveDeployment(definition, req.backendUrl, plainValues(params));
  const deployment = await deps.store.transaction(async (tx) => {
    const revision = 'definition' in req.revision ? req.revision : (await tx.apis.ensureRevision(access.org.id, api.id, definition, access.user.email)).revision;
    const d = await tx.deployments.activate({
      orgId: access.org.id, apiId: api.id, environmentId: req.env.id, environment: req.env.name, revisionId: revision.id, revisionNumber: revision.number,
      backendUrl: req.backendUrl, params: sealParams(deps.masterKey, api.id, req.env.id, params), deployedBy: access.user.email,
    });
    await tx.audit.record({
      orgId: access.org.id, ...actorOf(access.user), action: `api.${req.action}`, targetType: 'api', targetId: api.id,
      details: { component: access.component.name, environment: req.env.name, revision: revision.number, parameters: Object.keys(params) },
    });
    return d;
  });
  deps.onRuntimeChange?.(access.org.id);
  return deployment;
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
        params: Type.Optional(ParamsInput),
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
    const d = await deploy(deps, access, api, { env, revision, backendUrl: backendUrlFor(api, env, request.body.backendUrl), params: toParamValues(request.body.params), action: 'deployed' });
    return reply.code(201).send(deploymentView(access, api, env, d));
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
    const forced = forcedSecretParams(revision.definition);
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
        params: Type.Optional(ParamsInput),
      }),
      response: { 201: DeploymentView },
    },
  }, async (request, reply) => {
    const access = await apiComponentAccess(store, request, request.params);
    const api = await loadApi(store, access);
    const { source, target } = await nextEnvironment(deps, access, request.body.from);
    const revision = await activeRevision(deps, access, api, source);
    const d = await deploy(deps, access, api, { env: target, revision, backendUrl: backendUrlFor(api, target, request.body.backendUrl), params: toParamValues(request.body.params), action: 'promoted' });
    return reply.code(201).send(deploymentView(access, api, target, d));
  });

  app.post(`${base}/rollback`, {
    schema: {
      tags: ['deployments'],
      summary: 'Redeploy an earlier deployment of an environment, with the values it had there (default: the one before the active one; `revision`: the latest with that revision)',
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
    const earlier = history.find((d) => d.status !== 'active' && (wanted === undefined || d.revisionNumber === wanted));
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
