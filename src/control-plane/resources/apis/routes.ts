import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, invalid, notFound } from '../../../shared/errors.js';
import type { Lifecycle } from '../../../store/repos/apis.js';
import { apiOpenApiDocument, ApiDocumentAnswer, ApiDocumentQuery, sendApiDocument } from '../../api-document.js';
import { orgAccess, type ControlPlaneDeps } from '../../context.js';
import { Body } from '../../schemas.js';
import { documentText, fetchDocument } from './document-source.js';
import { resourcesFromOpenApi } from './openapi-import.js';
import { ApiParams, ApiView, DefineBody, DefinitionProps, PatchBody, PolicyInput, PolicyView } from './schema.js';
import { apiComponentAccess, buildApi, loadApi, saveApi, TRANSITIONS } from './service.js';
import { attachmentErrorsAsSent, normalizePolicies } from './validation.js';
import { apiView } from './view.js';

export const apiDefinitionRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;
    const base = '/orgs/:org/projects/:project/components/:component/api';

    app.get(
      '/orgs/:org/apis',
      {
        schema: {
          tags: ['apis'],
          summary: 'APIs of the organization',
          params: Type.Object({ org: Type.String() }),
          querystring: Type.Object({ lifecycle: Type.Optional(Type.Enum(['created', 'published', 'deprecated'])) }, { additionalProperties: false }),
          response: { 200: Type.Array(ApiView) },
        },
      },
      async (request) => {
        const access = await orgAccess(store, request, request.params.org);
        const apis = await store.apis.list(access.org.id, { lifecycle: request.query.lifecycle as Lifecycle | undefined });
        const projects = new Map((await store.projects.list(access.org.id)).map((p) => [p.id, p]));
        const views = [];
        for (const api of apis) {
          const component = await store.projects.componentById(access.org.id, api.id);
          const project = component && projects.get(component.projectId);
          if (component && project) views.push(await apiView(store, access.org, project, component, api));
        }
        return views;
      },
    );

    app.get(base, { schema: { tags: ['apis'], summary: 'The API an api-proxy component defines', params: ApiParams, response: { 200: ApiView } } }, async (request) => {
      const access = await apiComponentAccess(store, request, request.params);
      return apiView(store, access.org, access.project, access.component, await loadApi(store, access));
    });

    app.put(
      base,
      {
        schema: {
          tags: ['apis'],
          summary: 'Define or replace the API of an api-proxy component (lifecycle is kept)',
          params: ApiParams,
          body: DefineBody,
          response: { 200: ApiView, 201: ApiView },
        },
      },
      async (request, reply) => {
        const access = await apiComponentAccess(store, request, request.params);
        const current = await store.apis.get(access.org.id, access.component.id);
        const body = { resources: [], backendUrls: {}, cors: null, policies: [], limits: null, visibility: 'public' as const, ...request.body };
        const next = await buildApi(store, access, current, body);
        const api = await saveApi(deps, access, current, next, current ? 'api.updated' : 'api.defined');
        return reply.code(current ? 200 : 201).send(await apiView(store, access.org, access.project, access.component, api));
      },
    );

    app.patch(
      base,
      {
        schema: { tags: ['apis'], summary: 'Change parts of an API definition', params: ApiParams, body: PatchBody, response: { 200: ApiView } },
      },
      async (request) => {
        const access = await apiComponentAccess(store, request, request.params);
        const current = await loadApi(store, access);
        const next = await buildApi(store, access, current, request.body);
        const api = await saveApi(deps, access, current, next, 'api.updated');
        return apiView(store, access.org, access.project, access.component, api);
      },
    );

    app.post(
      `${base}/import`,
      {
        schema: {
          tags: ['apis'],
          summary: 'Replace the resources with those of an OpenAPI 3 document (JSON or YAML), given in the body or fetched from a URL; the document is kept and served by GET …/api/openapi',
          params: ApiParams,
          body: Body({
            document: Type.Optional(
              Type.Union([Type.String({ maxLength: 900_000 }), Type.Record(Type.String(), Type.Unknown())], { description: 'the document as JSON/YAML text, or as a JSON object' }),
            ),
            url: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 2000,
                description: 'instead of `document`: fetch it from this URL (by the server: https, public addresses only, like identity provider URLs; at most 1 MiB, 10 s)',
              }),
            ),
            contextPath: Type.Optional(DefinitionProps.contextPath),
            version: Type.Optional(DefinitionProps.version),
          }),
          response: { 200: ApiView, 201: ApiView },
        },
      },
      async (request, reply) => {
        const access = await apiComponentAccess(store, request, request.params);
        const { document, url } = request.body;
        if ((document === undefined) === (url === undefined)) {
          throw invalid(
            'Give the OpenAPI document, or the url to fetch it from (one of them)',
            document === undefined ? { document: 'is required without url' } : { url: 'must not be given with document' },
          );
        }
        const text = url !== undefined ? await fetchDocument(deps, url) : documentText(document!);
        const current = await store.apis.get(access.org.id, access.component.id);
        const { resources } = await resourcesFromOpenApi(typeof document === 'object' ? document : text.content);
        const next = await buildApi(store, access, current, {
          ...(request.body.contextPath && { contextPath: request.body.contextPath }),
          ...(request.body.version && { version: request.body.version }),
          resources: resources.map((r) => ({ ...r })),
        });
        const api = await saveApi(deps, access, current, next, 'api.imported', {
          apiId: next.id,
          orgId: access.org.id,
          mediaType: text.mediaType,
          content: text.content,
          sourceUrl: url ?? null,
          importedBy: access.user.email,
        });
        return reply.code(current ? 200 : 201).send(await apiView(store, access.org, access.project, access.component, api));
      },
    );

    app.get(
      `${base}/openapi`,
      {
        schema: {
          tags: ['apis'],
          summary:
            "The API's OpenAPI document: the one it was imported from, exactly as given (JSON or YAML), or one generated from its definition (header drawbridge-openapi-source: imported | generated)",
          params: ApiParams,
          querystring: ApiDocumentQuery,
          response: ApiDocumentAnswer,
        },
      },
      async (request, reply) => {
        const access = await apiComponentAccess(store, request, request.params);
        const api = await loadApi(store, access);
        const doc = await apiOpenApiDocument(store, { org: access.org, api, publicUrl: deps.config.publicUrl });
        return sendApiDocument(reply, doc, request.query.format);
      },
    );

    app.post(
      `${base}/lifecycle`,
      {
        schema: {
          tags: ['apis'],
          summary: 'Move the API through its lifecycle: created → published → deprecated (→ published again)',
          params: ApiParams,
          body: Body({ state: Type.Enum(['created', 'published', 'deprecated']) }),
          response: { 200: ApiView },
        },
      },
      async (request) => {
        const access = await apiComponentAccess(store, request, request.params);
        const current = await loadApi(store, access);
        const state = request.body.state as Lifecycle;
        if (state !== current.lifecycle) {
          if (!TRANSITIONS[current.lifecycle].includes(state)) {
            throw conflict(`An API that is ${current.lifecycle} cannot become ${state} (allowed: ${TRANSITIONS[current.lifecycle].join(', ')})`, {
              state: `cannot go from ${current.lifecycle} to ${state}`,
            });
          }
          if (state === 'published' && current.resources.length === 0) throw conflict('Add at least one resource before publishing the API', { resources: 'is empty' });
          await saveApi(deps, access, current, { ...current, lifecycle: state }, `api.${state}`);
        }
        return apiView(store, access.org, access.project, access.component, (await store.apis.get(access.org.id, current.id))!);
      },
    );

    app.post(
      `${base}/policies`,
      {
        schema: {
          tags: ['apis'],
          summary: 'Attach a policy to some resources or to all of them',
          params: ApiParams,
          body: PolicyInput,
          response: { 201: PolicyView },
        },
      },
      async (request, reply) => {
        const access = await apiComponentAccess(store, request, request.params);
        const current = await loadApi(store, access);
        const index = current.policies.length;
        const policies = attachmentErrorsAsSent(index, () => normalizePolicies([...current.policies, request.body], current.resources, current.policies));
        await saveApi(deps, access, current, { ...current, policies }, 'api.policy_attached');
        return reply.code(201).send(policies[index]!);
      },
    );

    app.put(
      `${base}/policies/:attachment`,
      {
        schema: {
          tags: ['apis'],
          summary: 'Change an attached policy (settings, resources, phase) in place: it keeps its id and its place in the order',
          params: Type.Object({ ...ApiParams.properties, attachment: Type.String() }),
          body: PolicyInput,
          response: { 200: PolicyView },
        },
      },
      async (request) => {
        const access = await apiComponentAccess(store, request, request.params);
        const current = await loadApi(store, access);
        const index = current.policies.findIndex((p) => p.id === request.params.attachment);
        if (index < 0) throw notFound('Policy attachment');
        const list = current.policies.map((p, i) => (i === index ? { ...request.body, id: p.id } : p));
        const policies = attachmentErrorsAsSent(index, () => normalizePolicies(list, current.resources, current.policies));
        await saveApi(deps, access, current, { ...current, policies }, 'api.policy_updated');
        return policies[index]!;
      },
    );

    app.delete(
      `${base}/policies/:attachment`,
      {
        schema: { tags: ['apis'], summary: 'Detach a policy', params: Type.Object({ ...ApiParams.properties, attachment: Type.String() }), response: { 204: Type.Null() } },
      },
      async (request, reply) => {
        const access = await apiComponentAccess(store, request, request.params);
        const current = await loadApi(store, access);
        const policies = current.policies.filter((p) => p.id !== request.params.attachment);
        if (policies.length === current.policies.length) throw notFound('Policy attachment');
        await saveApi(deps, access, current, { ...current, policies }, 'api.policy_detached');
        return reply.code(204).send(null);
      },
    );
  };
