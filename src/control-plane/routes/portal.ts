import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, notFound, unprocessable } from '../../shared/errors.js';
import { isUniqueViolation, type Store } from '../../store/index.js';
import type { Application } from '../../store/repos/applications.js';
import type { Subscription } from '../../store/repos/subscriptions.js';
import { apiOpenApiDocument } from '../api-document.js';
import { actorOf, orgAccess, type ControlPlaneDeps, type OrgAccess } from '../context.js';
import { Body, Description, DisplayName, OrgParams } from '../schemas.js';
import {
  checkApplicationName, findApiRef, loadApplication, mayManageApplication, portalApiView, PortalApiView, visibleApi, visibleApis,
} from './portal-common.js';
import { portalKeyRoutes } from './portal-keys.js';
import { portalTryItRoutes } from './portal-try-it.js';
import { subscribe, unsubscribe } from './subscriptions.js';

/**
 * The developer portal's API (`/orgs/:org/portal/...`): browse the APIs a
 * member may see, manage applications, their keys (portal-keys.ts) and their
 * subscriptions. Shaped for the portal's web pages: every list is the data of
 * one page, every action one button.
 */

const ApiParams = Type.Object({ org: Type.String(), api: Type.String({ description: 'API id' }) });
const AppParams = Type.Object({ org: Type.String(), app: Type.String({ description: 'application id' }) });

export const ApplicationView = Type.Object({
  id: Type.String(), name: Type.String(), description: Type.String(),
  component: Type.Union([Type.String(), Type.Null()], { description: '`project/component` of the external consumer it belongs to; null for portal applications' }),
  owner: Type.Union([Type.String(), Type.Null()], { description: 'email of the owner' }),
  canManage: Type.Boolean({ description: 'whether the caller may change it' }),
  subscriptions: Type.Integer(),
  environmentsWithKeys: Type.Array(Type.String()),
  createdAt: Type.String(), updatedAt: Type.String(),
});

const PortalSubscriptionView = Type.Object({
  id: Type.String(), applicationId: Type.String(), apiId: Type.String(), api: Type.String({ description: '`project/component`' }), apiName: Type.String(),
  contextPath: Type.String(), version: Type.String(), lifecycle: Type.String(),
  connections: Type.Array(Type.String(), { description: 'connections that rely on this subscription' }),
  createdBy: Type.String(), createdAt: Type.String(),
});

export async function applicationView(store: Store, access: OrgAccess, app: Application) {
  const [component, subscriptions, credentials, owner] = await Promise.all([
    app.componentId ? store.projects.componentById(access.org.id, app.componentId) : undefined,
    store.subscriptions.list(access.org.id, { applicationId: app.id }),
    store.credentials.forApplication(access.org.id, app.id),
    app.ownerUserId ? store.users.byId(app.ownerUserId) : undefined,
  ]);
  const environments = await store.orgs.environments(access.org.id);
  const project = component ? (await store.projects.list(access.org.id)).find((p) => p.id === component.projectId) : undefined;
  return {
    id: app.id, name: app.name, description: app.description,
    component: component && project ? `${project.name}/${component.name}` : null,
    owner: owner?.email ?? null, canManage: mayManageApplication(access, app), subscriptions: subscriptions.length,
    environmentsWithKeys: environments.filter((e) => credentials.some((c) => c.environmentId === e.id)).map((e) => e.name),
    createdAt: app.createdAt, updatedAt: app.updatedAt,
  };
}

async function subscriptionView(store: Store, access: OrgAccess, s: Subscription) {
  const [api, component, connections] = await Promise.all([
    store.apis.get(access.org.id, s.apiId), store.projects.componentById(access.org.id, s.apiId), store.connections.forSubscription(access.org.id, s.applicationId, s.apiId),
  ]);
  const project = component ? (await store.projects.list(access.org.id)).find((p) => p.id === component.projectId) : undefined;
  return {
    id: s.id, applicationId: s.applicationId, apiId: s.apiId, api: project && component ? `${project.name}/${component.name}` : s.apiId,
    apiName: component?.displayName ?? '', contextPath: api?.contextPath ?? '', version: api?.version ?? '', lifecycle: api?.lifecycle ?? '',
    connections: connections.map((c) => c.name), createdBy: s.createdBy, createdAt: s.createdAt,
  };
}

export const portalRoutes = (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { store } = deps;

  // --- browse ---------------------------------------------------------------------

  app.get('/orgs/:org/portal/apis', {
    schema: {
      tags: ['portal'], summary: 'Published APIs this member may see (public ones, and private ones they are allowed), optionally searched by name',
      params: OrgParams,
      querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 200, description: 'case-insensitive match on name, component or context path' })) }, { additionalProperties: false }),
      response: { 200: Type.Array(PortalApiView) },
    },
  }, async (request) => {
    const access = await orgAccess(store, request, request.params.org);
    const apis = await visibleApis(store, access);
    const views = await Promise.all(apis.map((api) => portalApiView(store, access.org, api, apis)));
    const q = request.query.q?.trim().toLowerCase();
    return q ? views.filter((v) => [v.name, v.ref, v.contextPath].some((s) => s.toLowerCase().includes(q))) : views;
  });

  app.get('/orgs/:org/portal/apis/:api', {
    schema: { tags: ['portal'], summary: 'One API: resources, versions, endpoint URL per environment', params: ApiParams, response: { 200: PortalApiView } },
  }, async (request) => {
    const access = await orgAccess(store, request, request.params.org);
    const api = await visibleApi(store, access, request.params.api);
    return portalApiView(store, access.org, api, await visibleApis(store, access));
  });

  app.get('/orgs/:org/portal/apis/:api/openapi', {
    schema: {
      tags: ['portal'],
      summary: 'The OpenAPI document of an API this member sees (404 otherwise): the one it was imported from, as given (JSON or YAML), or one generated from its definition (header drawbridge-openapi-source: imported | generated)',
      params: ApiParams,
      querystring: Type.Object({
        format: Type.Optional(Type.Enum(['original', 'json'], { description: '`original` (default): as stored; `json`: an imported YAML document converted to JSON' })),
      }, { additionalProperties: false }),
      response: {
        200: {
          description: 'The document',
          content: {
            'application/json': { schema: Type.Record(Type.String(), Type.Unknown()) },
            'application/yaml': { schema: Type.String() },
          },
        },
      },
    },
  }, async (request, reply) => {
    const access = await orgAccess(store, request, request.params.org);
    const api = await visibleApi(store, access, request.params.api);
    const doc = await apiOpenApiDocument(store, { org: access.org, api, publicUrl: deps.config.publicUrl });
    const asJson = request.query.format === 'json' && doc.mediaType !== 'application/json';
    reply.header('drawbridge-openapi-source', doc.source).header('cache-control', 'no-cache');
    reply.type(asJson ? 'application/json; charset=utf-8' : `${doc.mediaType}; charset=utf-8`);
    return reply.send(asJson ? `${JSON.stringify(doc.document, null, 2)}\n` : doc.text);
  });

  const AccessEntry = Type.Object({ userId: Type.String(), email: Type.String(), createdBy: Type.String(), createdAt: Type.String() });

  app.get('/orgs/:org/portal/apis/:api/access', {
    schema: { tags: ['portal'], summary: 'Who may see a private API besides admins (admin only)', params: ApiParams, response: { 200: Type.Array(AccessEntry) } },
  }, async (request) => {
    const access = await orgAccess(store, request, request.params.org, 'admin');
    const api = await store.apis.get(access.org.id, request.params.api);
    if (!api) throw notFound('API');
    return store.portalAccess.list(access.org.id, api.id);
  });

  app.post('/orgs/:org/portal/apis/:api/access', {
    schema: { tags: ['portal'], summary: 'Allow a member to see a private API in the portal (admin only)', params: ApiParams, body: Body({ email: Type.String({ minLength: 1, maxLength: 320 }) }), response: { 200: Type.Array(AccessEntry) } },
  }, async (request) => {
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
  });

  app.delete('/orgs/:org/portal/apis/:api/access/:user', {
    schema: { tags: ['portal'], summary: 'Remove a member from a private API\'s allow-list (admin only)', params: Type.Object({ org: Type.String(), api: Type.String(), user: Type.String({ description: 'user id' }) }), response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const access = await orgAccess(store, request, request.params.org, 'admin');
    await store.transaction(async (tx) => {
      if (!(await tx.portalAccess.revoke(access.org.id, request.params.api, request.params.user))) throw notFound('Access entry');
      await tx.audit.record({ orgId: access.org.id, ...actorOf(access.user), action: 'portal.api_access_revoked', targetType: 'api', targetId: request.params.api, details: { userId: request.params.user } });
    });
    return reply.code(204).send(null);
  });

  // --- applications --------------------------------------------------------------

  app.get('/orgs/:org/portal/applications', {
    schema: {
      tags: ['portal'], summary: 'Applications of the organization, external consumers\' included',
      params: OrgParams,
      querystring: Type.Object({ mine: Type.Optional(Type.Enum(['true', 'false'], { description: 'only applications the caller may change' })) }, { additionalProperties: false }),
      response: { 200: Type.Array(ApplicationView) },
    },
  }, async (request) => {
    const access = await orgAccess(store, request, request.params.org);
    let apps = await store.applications.list(access.org.id);
    if (request.query.mine === 'true') apps = apps.filter((a) => mayManageApplication(access, a));
    return Promise.all(apps.map((a) => applicationView(store, access, a)));
  });

  app.post('/orgs/:org/portal/applications', {
    schema: {
      tags: ['portal'], summary: 'Create an application owned by the caller',
      params: OrgParams, body: Body({ name: DisplayName, description: Type.Optional(Description) }), response: { 201: ApplicationView },
    },
  }, async (request, reply) => {
    const access = await orgAccess(store, request, request.params.org);
    const name = request.body.name.trim();
    if (!name) throw unprocessable('The name must not be blank', { name: 'must not be blank' });
    const created = await store.transaction(async (tx) => {
      await checkApplicationName(tx, access.org.id, name);
      const application = await tx.applications.create({ orgId: access.org.id, name, description: request.body.description ?? '', ownerUserId: access.user.id });
      await tx.audit.record({ orgId: access.org.id, ...actorOf(access.user), action: 'application.created', targetType: 'application', targetId: application.id, details: { name } });
      return application;
    });
    return reply.code(201).send(await applicationView(store, access, created));
  });

  app.get('/orgs/:org/portal/applications/:app', {
    schema: { tags: ['portal'], summary: 'One application', params: AppParams, response: { 200: ApplicationView } },
  }, async (request) => {
    const access = await orgAccess(store, request, request.params.org);
    return applicationView(store, access, await loadApplication(store, access, request.params.app, 'read'));
  });

  app.patch('/orgs/:org/portal/applications/:app', {
    schema: {
      tags: ['portal'], summary: 'Rename an application or change its description',
      params: AppParams,
      body: Type.Object({ name: Type.Optional(DisplayName), description: Type.Optional(Description) }, { additionalProperties: false, minProperties: 1 }),
      response: { 200: ApplicationView },
    },
  }, async (request) => {
    const access = await orgAccess(store, request, request.params.org);
    const application = await loadApplication(store, access, request.params.app, 'manage');
    const name = request.body.name?.trim();
    if (name !== undefined && !name) throw unprocessable('The name must not be blank', { name: 'must not be blank' });
    if (name !== undefined && application.componentId && name !== application.name) {
      throw unprocessable('The application of an external consumer is named after its component; change the component instead', { name: 'is the component\'s' });
    }
    const updated = await store.transaction(async (tx) => {
      if (name !== undefined) await checkApplicationName(tx, access.org.id, name, application.id);
      const patch = { ...(name !== undefined && { name }), ...(request.body.description !== undefined && { description: request.body.description }) };
      await tx.applications.update(access.org.id, application.id, patch);
      await tx.audit.record({ orgId: access.org.id, ...actorOf(access.user), action: 'application.updated', targetType: 'application', targetId: application.id, details: patch });
      return (await tx.applications.byId(access.org.id, application.id))!;
    });
    return applicationView(store, access, updated);
  });

  app.delete('/orgs/:org/portal/applications/:app', {
    schema: {
      tags: ['portal'], summary: 'Delete an application with its keys; one with live subscriptions needs ?force=true (its subscriptions and connections go too)',
      params: AppParams,
      querystring: Type.Object({ force: Type.Optional(Type.Enum(['true', 'false'])) }, { additionalProperties: false }),
      response: { 204: Type.Null() },
    },
  }, async (request, reply) => {
    const access = await orgAccess(store, request, request.params.org);
    const application = await loadApplication(store, access, request.params.app, 'manage');
    if (application.componentId) throw conflict('This application belongs to an external-consumer component; delete the component instead', { application: 'belongs to a component' });
    const force = request.query.force === 'true';
    await store.transaction(async (tx) => {
      const subscriptions = await tx.subscriptions.list(access.org.id, { applicationId: application.id });
      if (subscriptions.length && !force) {
        throw conflict(`Application "${application.name}" has ${subscriptions.length} live subscription(s); its clients will lose access. Delete with ?force=true to confirm.`, { force: 'is required' });
      }
      await tx.subscriptions.deleteForApplication(access.org.id, application.id);
      await tx.applications.delete(access.org.id, application.id);
      await tx.audit.record({ orgId: access.org.id, ...actorOf(access.user), action: 'application.deleted', targetType: 'application', targetId: application.id, details: { name: application.name, subscriptions: subscriptions.length } });
    });
    return reply.code(204).send(null);
  });

  // --- subscriptions ----------------------------------------------------------------

  app.get('/orgs/:org/portal/applications/:app/subscriptions', {
    schema: { tags: ['portal'], summary: 'APIs an application is subscribed to', params: AppParams, response: { 200: Type.Array(PortalSubscriptionView) } },
  }, async (request) => {
    const access = await orgAccess(store, request, request.params.org);
    const application = await loadApplication(store, access, request.params.app, 'read');
    const list = await store.subscriptions.list(access.org.id, { applicationId: application.id });
    return Promise.all(list.map((s) => subscriptionView(store, access, s)));
  });

  app.post('/orgs/:org/portal/applications/:app/subscriptions', {
    schema: {
      tags: ['portal'], summary: 'Subscribe to a published API this member may see (404 otherwise); idempotent: 200 with the existing one',
      params: AppParams, body: Body({ api: Type.String({ minLength: 1, description: 'API id or `project/component`' }) }),
      response: { 200: PortalSubscriptionView, 201: PortalSubscriptionView },
    },
  }, async (request, reply) => {
    const access = await orgAccess(store, request, request.params.org);
    const application = await loadApplication(store, access, request.params.app, 'manage');
    const api = await visibleApi(store, access, request.body.api);
    let result;
    try {
      result = await store.transaction((tx) => subscribe(tx, access.org, access.user, application.id, api));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      result = { subscription: (await store.subscriptions.find(access.org.id, application.id, api.id))!, created: false };
    }
    return reply.code(result.created ? 201 : 200).send(await subscriptionView(store, access, result.subscription));
  });

  app.delete('/orgs/:org/portal/applications/:app/subscriptions/:subscription', {
    schema: {
      tags: ['portal'], summary: 'Unsubscribe (409 while a connection relies on it: delete the connection instead)',
      params: Type.Object({ org: Type.String(), app: Type.String(), subscription: Type.String({ description: 'subscription id, or the API (id or `project/component`, URL-encoded), whatever its visibility now' }) }),
      response: { 204: Type.Null() },
    },
  }, async (request, reply) => {
    const access = await orgAccess(store, request, request.params.org);
    const application = await loadApplication(store, access, request.params.app, 'manage');
    const ref = request.params.subscription;
    // Any subscription of the application, also to an API since made private, deprecated or retired.
    const apiId = ref.includes('/') ? (await findApiRef(store, access.org.id, ref))?.id : ref;
    const subscription = (await store.subscriptions.byId(access.org.id, ref)) ?? (apiId ? await store.subscriptions.find(access.org.id, application.id, apiId) : undefined);
    if (!subscription || subscription.applicationId !== application.id) throw notFound('Subscription');
    await store.transaction((tx) => unsubscribe(tx, access, subscription));
    return reply.code(204).send(null);
  });

  await app.register(portalKeyRoutes(deps));
  await app.register(portalTryItRoutes(deps));
};
