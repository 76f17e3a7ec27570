import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { notFound, unprocessable } from '../../../shared/errors.js';
import { apiOpenApiDocument, ApiDocumentAnswer, ApiDocumentQuery, sendApiDocument } from '../../api-document.js';
import { actorOf, orgAccess, type ControlPlaneDeps } from '../../context.js';
import { Body, OrgParams } from '../../schemas.js';
import { visibleApi, visibleApis } from './service.js';
import { portalApiView, PortalApiView } from './view.js';

/**
 * The developer portal's API (`/orgs/:org/portal/...`): browse the APIs a
 * member may see, and who may see private ones (admins). Shaped for the
 * portal's web pages: every list is the data of one page, every action one
 * button. The portal's applications, their subscriptions, keys and Try it
 * are the routes of applications/, subscriptions/, credentials/ and try-it/.
 */

const ApiParams = Type.Object({ org: Type.String(), api: Type.String({ description: 'API id' }) });

export const portalRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;

    app.get(
      '/orgs/:org/portal/apis',
      {
        schema: {
          tags: ['portal'],
          summary: 'Published APIs this member may see (public ones, and private ones they are allowed), optionally searched by name',
          params: OrgParams,
          querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 200, description: 'case-insensitive match on name, component or context path' })) }, { additionalProperties: false }),
          response: { 200: Type.Array(PortalApiView) },
        },
      },
      async (request) => {
        const access = await orgAccess(store, request, request.params.org);
        const apis = await visibleApis(store, access);
        const views = await Promise.all(apis.map((api) => portalApiView(store, access.org, api, apis)));
        const q = request.query.q?.trim().toLowerCase();
        return q ? views.filter((v) => [v.name, v.ref, v.contextPath].some((s) => s.toLowerCase().includes(q))) : views;
      },
    );

    app.get(
      '/orgs/:org/portal/apis/:api',
      {
        schema: { tags: ['portal'], summary: 'One API: resources, versions, endpoint URL per environment', params: ApiParams, response: { 200: PortalApiView } },
      },
      async (request) => {
        const access = await orgAccess(store, request, request.params.org);
        const api = await visibleApi(store, access, request.params.api);
        return portalApiView(store, access.org, api, await visibleApis(store, access));
      },
    );

    app.get(
      '/orgs/:org/portal/apis/:api/openapi',
      {
        schema: {
          tags: ['portal'],
          summary:
            'The OpenAPI document of an API this member sees (404 otherwise): the one it was imported from, as given (JSON or YAML), or one generated from its definition (header drawbridge-openapi-source: imported | generated)',
          params: ApiParams,
          querystring: ApiDocumentQuery,
          response: ApiDocumentAnswer,
        },
      },
      async (request, reply) => {
        const access = await orgAccess(store, request, request.params.org);
        const api = await visibleApi(store, access, request.params.api);
        const doc = await apiOpenApiDocument(store, { org: access.org, api, publicUrl: deps.config.publicUrl });
        return sendApiDocument(reply, doc, request.query.format);
      },
    );

    const AccessEntry = Type.Object({ userId: Type.String(), email: Type.String(), createdBy: Type.String(), createdAt: Type.String() });

    app.get(
      '/orgs/:org/portal/apis/:api/access',
      {
        schema: { tags: ['portal'], summary: 'Who may see a private API besides admins (admin only)', params: ApiParams, response: { 200: Type.Array(AccessEntry) } },
      },
      async (request) => {
        const access = await orgAccess(store, request, request.params.org, 'admin');
        const api = await store.apis.get(access.org.id, request.params.api);
        if (!api) throw notFound('API');
        return store.portalAccess.list(access.org.id, api.id);
      },
    );

    app.post(
      '/orgs/:org/portal/apis/:api/access',
      {
        schema: {
          tags: ['portal'],
          summary: 'Allow a member to see a private API in the portal (admin only)',
          params: ApiParams,
          body: Body({ email: Type.String({ minLength: 1, maxLength: 320 }) }),
          response: { 200: Type.Array(AccessEntry) },
        },
      },
      async (request) => {
        const access = await orgAccess(store, request, request.params.org, 'admin');
        const api = await store.apis.get(access.org.id, request.params.api);
        if (!api) throw notFound('API');
        const user = await store.users.byEmail(request.body.email);
        if (!user || !(await store.orgs.membership(access.org.id, user.id))) throw unprocessable(`${request.body.email} is not a member of this organization`, { email: 'is not a member' });
        await store.transaction(async (tx) => {
          if (await tx.portalAccess.allow({ orgId: access.org.id, apiId: api.id, userId: user.id, createdBy: access.user.email })) {
            await tx.audit.record({ orgId: access.org.id, ...actorOf(access.user), action: 'portal.api_access_granted', targetType: 'api', targetId: api.id, details: { user: user.email } });
          }
        });
        return store.portalAccess.list(access.org.id, api.id);
      },
    );

    app.delete(
      '/orgs/:org/portal/apis/:api/access/:user',
      {
        schema: {
          tags: ['portal'],
          summary: "Remove a member from a private API's allow-list (admin only)",
          params: Type.Object({ org: Type.String(), api: Type.String(), user: Type.String({ description: 'user id' }) }),
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const access = await orgAccess(store, request, request.params.org, 'admin');
        await store.transaction(async (tx) => {
          if (!(await tx.portalAccess.revoke(access.org.id, request.params.api, request.params.user))) throw notFound('Access entry');
          await tx.audit.record({
            orgId: access.org.id,
            ...actorOf(access.user),
            action: 'portal.api_access_revoked',
            targetType: 'api',
            targetId: request.params.api,
            details: { userId: request.params.user },
          });
        });
        return reply.code(204).send(null);
      },
    );
  };
