import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, notFound } from '../../../shared/errors.js';
import { sha256 } from '../../../shared/crypto.js';
import { canonicalJson, type ApiRevision, type RevisionDefinition } from '../../../store/repos/apis.js';
import type { ControlPlaneDeps } from '../../context.js';
import { Body } from '../../schemas.js';
import { openParams } from '../../snapshot/params.js';
import { forcedSecretParams, requiredParams } from '../../snapshot/resolve.js';
import { ApiParams } from '../apis/schema.js';
import { apiComponentAccess, endpointUrl, loadApi } from '../apis/service.js';
import { DeploymentPlanView, DeploymentView, ParamsInput, PromotionView, ReuseStored, RevisionView, SaveBackendUrl } from './schema.js';
import { activeRevision, backendUrlFor, deploy, environmentOf, nextEnvironment, previouslyActive, revisionDefinition, sealedNames, toParamValues, withStoredValues } from './service.js';
import { deploymentView } from './view.js';

export const deploymentRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;
    const base = '/orgs/:org/projects/:project/components/:component/api';

    app.get(
      `${base}/revisions`,
      {
        schema: { tags: ['deployments'], summary: 'Immutable revisions of the API, newest first', params: ApiParams, response: { 200: Type.Array(RevisionView) } },
      },
      async (request) => {
        const access = await apiComponentAccess(store, request, request.params);
        const api = await loadApi(store, access);
        return (await store.apis.revisions(access.org.id, api.id)).map((r) => ({
          number: r.number,
          digest: r.digest,
          createdBy: r.createdBy,
          createdAt: r.createdAt,
          definition: r.definition as unknown as Record<string, unknown>,
          parameters: requiredParams(r.definition, undefined),
        }));
      },
    );

    app.get(
      `${base}/deployments`,
      {
        schema: {
          tags: ['deployments'],
          summary: 'Deployment history, newest first (one environment or all)',
          params: ApiParams,
          querystring: Type.Object({ environment: Type.Optional(Type.String()) }, { additionalProperties: false }),
          response: { 200: Type.Array(DeploymentView) },
        },
      },
      async (request) => {
        const access = await apiComponentAccess(store, request, request.params);
        const api = await loadApi(store, access);
        const environments = await store.orgs.environments(access.org.id);
        const env = request.query.environment === undefined ? undefined : environments.find((e) => e.name === request.query.environment);
        if (request.query.environment !== undefined && !env) throw notFound(`Environment "${request.query.environment}"`);
        const history = await store.deployments.history(access.org.id, api.id, env?.id);
        return history.map((d) => deploymentView(access, api, environments.find((e) => e.id === d.environmentId)!, d));
      },
    );

    app.post(
      `${base}/deployments`,
      {
        schema: {
          tags: ['deployments'],
          summary: 'Deploy to an environment: the current definition (frozen as a new revision when it changed) or an existing revision',
          params: ApiParams,
          body: Body({
            environment: Type.String(),
            revision: Type.Optional(Type.Integer({ minimum: 1, description: 'redeploy this revision instead of the current definition' })),
            backendUrl: Type.Optional(Type.String({ maxLength: 2000, description: "default: the API's backendUrls[environment]" })),
            saveBackendUrl: SaveBackendUrl,
            params: Type.Optional(ParamsInput),
            reuseStoredValues: ReuseStored,
          }),
          response: { 201: DeploymentView },
        },
      },
      async (request, reply) => {
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
      },
    );

    app.get(
      `${base}/deployments/plan`,
      {
        schema: {
          tags: ['deployments'],
          summary:
            'What deploying to an environment needs, before deploying: endpoint URL, backend URL, the revision that would run, and every parameter with whether the environment already holds a value',
          params: ApiParams,
          querystring: Type.Object(
            {
              environment: Type.String(),
              revision: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,8}$', description: 'number of an existing revision (default: the current definition)' })),
              backendUrl: Type.Optional(Type.String({ maxLength: 2000, description: "the backend URL the deploy would send (default: the API's for this environment)" })),
            },
            { additionalProperties: false },
          ),
          response: { 200: DeploymentPlanView },
        },
      },
      async (request) => {
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
          environment: env.name,
          displayName: env.displayName,
          endpointUrl: endpointUrl(env, access.org, api),
          backendUrl,
          revision: number,
          active: active ? { revision: active.revisionNumber, backendUrl: active.backendUrl, deployedBy: active.deployedBy, createdAt: active.createdAt } : null,
          parameters: requiredParams(definition, backendUrl ?? undefined).map((name) => {
            const stored = active?.params[name];
            return { name, secret: secret.has(name), stored: !!stored, ...(stored && 'value' in stored && !secret.has(name) && { value: stored.value }) };
          }),
        };
      },
    );

    app.get(
      `${base}/promotion`,
      {
        schema: {
          tags: ['deployments'],
          summary: 'What promoting from an environment to the next one needs (parameters, backend URL)',
          params: ApiParams,
          querystring: Type.Object({ from: Type.Optional(Type.String({ description: 'default: the first environment' })) }, { additionalProperties: false }),
          response: { 200: PromotionView },
        },
      },
      async (request) => {
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
          from: source.name,
          to: target.name,
          revision: revision.number,
          backendUrl,
          parameters: requiredParams(revision.definition, backendUrl ?? undefined).map((name) => {
            const stored = current?.params[name];
            const secret = forced.has(name) || (!!stored && 'sealed' in stored);
            return { name, secret, ...(stored && 'value' in stored && !secret && { value: stored.value }) };
          }),
        };
      },
    );

    app.post(
      `${base}/promote`,
      {
        schema: {
          tags: ['deployments'],
          summary: "Deploy the revision active in one environment to the next one, with that environment's values",
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
      },
      async (request, reply) => {
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
      },
    );

    app.post(
      `${base}/rollback`,
      {
        schema: {
          tags: ['deployments'],
          summary:
            'Redeploy an earlier deployment of an environment, with the values it had there (default: the one that was active before what runs now, so repeated rollbacks keep going back; `revision`: the latest with that revision)',
          params: ApiParams,
          body: Body({ environment: Type.String(), revision: Type.Optional(Type.Integer({ minimum: 1 })) }),
          response: { 201: DeploymentView },
        },
      },
      async (request, reply) => {
        const access = await apiComponentAccess(store, request, request.params);
        const api = await loadApi(store, access);
        const env = await environmentOf(deps, access, request.body.environment);
        const history = await store.deployments.history(access.org.id, api.id, env.id);
        const wanted = request.body.revision;
        const earlier =
          wanted === undefined ? previouslyActive(history, (d) => openParams(deps.masterKey, api.id, env.id, d.params)) : history.find((d) => d.status !== 'active' && d.revisionNumber === wanted);
        if (!earlier) {
          throw conflict(
            wanted === undefined ? `"${env.name}" has no earlier deployment to roll back to` : `Revision ${wanted} was never deployed to "${env.name}": deploy it with its parameters instead`,
            { revision: 'has no earlier deployment here' },
          );
        }
        const revision = (await store.apis.revisionById(earlier.revisionId))!;
        const params = openParams(deps.masterKey, api.id, env.id, earlier.params);
        const d = await deploy(deps, access, api, { env, revision, backendUrl: earlier.backendUrl, params, action: 'rolled_back' });
        return reply.code(201).send(deploymentView(access, api, env, d));
      },
    );
  };
