import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, notFound } from '../../shared/errors.js';
import { isUniqueViolation, type Store } from '../../store/index.js';
import type { Api } from '../../store/repos/apis.js';
import type { Organization } from '../../store/repos/organizations.js';
import type { Subscription } from '../../store/repos/subscriptions.js';
import type { User } from '../../store/repos/users.js';
import { actorOf, orgAccess, type ControlPlaneDeps, type OrgAccess } from '../context.js';
import { Body, OrgParams } from '../schemas.js';
import { findApiRef, loadApplication, visibleApi } from './portal-common.js';

export const SubscriptionView = Type.Object({
  id: Type.String(), applicationId: Type.String(), applicationName: Type.String(),
  apiId: Type.String(), api: Type.String({ description: '`project/component` of the API' }), contextPath: Type.String(), version: Type.String(),
  createdBy: Type.String(), createdAt: Type.String(),
});

async function subscriptionView(store: Store, orgId: string, s: Subscription) {
  const [app, api, component] = await Promise.all([store.applications.byId(orgId, s.applicationId), store.apis.get(orgId, s.apiId), store.projects.componentById(orgId, s.apiId)]);
  const projects = component ? await store.projects.list(orgId) : [];
  const project = projects.find((p) => p.id === component?.projectId);
  return {
    id: s.id, applicationId: s.applicationId, applicationName: app?.name ?? '', apiId: s.apiId,
    api: project && component ? `${project.name}/${component.name}` : '', contextPath: api?.contextPath ?? '', version: api?.version ?? '',
    createdBy: s.createdBy, createdAt: s.createdAt,
  };
}

/**
 * The API a member may subscribe an application to, by the portal's rules: a
 * developer names only APIs they see in the portal (public published or
 * deprecated ones, private ones they are allowed), anything else is 404 as if
 * it did not exist. Admins see every API of the organization, so they get
 * `subscribe`'s 409 for one that is not published.
 */
async function subscribableApi(store: Store, access: OrgAccess, ref: string): Promise<Api> {
  if (access.role !== 'admin') return visibleApi(store, access, ref);
  const api = await findApiRef(store, access.org.id, ref);
  if (!api) throw notFound('API');
  return api;
}

/**
 * Subscribes an application to a published API. Shared with the developer
 * portal and connections, which call it on their own transaction. Returns the
 * existing subscription when there is one.
 */
export async function subscribe(store: Store, org: Organization, user: User, applicationId: string, api: Api): Promise<{ subscription: Subscription; created: boolean }> {
  if (api.lifecycle !== 'published') {
    throw conflict(`The API is ${api.lifecycle}; only published APIs accept new subscriptions`, { api: `is ${api.lifecycle}, not published` });
  }
  const existing = await store.subscriptions.find(org.id, applicationId, api.id);
  if (existing) return { subscription: existing, created: false };
  const subscription = await store.subscriptions.create({ orgId: org.id, applicationId, apiId: api.id, createdBy: user.email });
  await store.audit.record({ orgId: org.id, ...actorOf(user), action: 'subscription.created', targetType: 'subscription', targetId: subscription.id, details: { applicationId, apiId: api.id } });
  return { subscription, created: true };
}

/**
 * Removes a subscription, on the caller's transaction; the caller has checked
 * that they may manage its application. Refused (409) while a connection
 * relies on it: deleting the connection removes it instead. Shared with the
 * developer portal.
 */
export async function unsubscribe(tx: Store, access: OrgAccess, subscription: Subscription): Promise<void> {
  const { org, user } = access;
  const connections = await tx.connections.forSubscription(org.id, subscription.applicationId, subscription.apiId);
  if (connections.length) throw conflict(`Connection(s) ${connections.map((c) => `"${c.name}"`).join(', ')} rely on this subscription; delete them instead`, { subscription: 'is used by a connection' });
  if (!(await tx.subscriptions.delete(org.id, subscription.id))) throw notFound('Subscription');
  await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'subscription.deleted', targetType: 'subscription', targetId: subscription.id, details: { applicationId: subscription.applicationId, apiId: subscription.apiId } });
}

export const subscriptionRoutes = (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { store } = deps;

  app.get('/orgs/:org/subscriptions', {
    schema: {
      tags: ['subscriptions'], summary: 'Subscriptions of the organization (filter by application or API)',
      params: OrgParams,
      querystring: Type.Object({ applicationId: Type.Optional(Type.String()), apiId: Type.Optional(Type.String()) }, { additionalProperties: false }),
      response: { 200: Type.Array(SubscriptionView) },
    },
  }, async (request) => {
    const { org } = await orgAccess(store, request, request.params.org);
    const list = await store.subscriptions.list(org.id, request.query);
    return Promise.all(list.map((s) => subscriptionView(store, org.id, s)));
  });

  app.post('/orgs/:org/subscriptions', {
    schema: {
      tags: ['subscriptions'],
      summary: 'Subscribe an application to a published API (idempotent: 200 with the existing one). Only the application\'s owner or an admin (403); an API the caller does not see in the portal is 404',
      params: OrgParams,
      body: Body({ applicationId: Type.String({ minLength: 1 }), api: Type.String({ minLength: 1, description: 'API id, or `project/component`' }) }),
      response: { 200: SubscriptionView, 201: SubscriptionView },
    },
  }, async (request, reply) => {
    const access = await orgAccess(store, request, request.params.org);
    const { org, user } = access;
    const application = await loadApplication(store, access, request.body.applicationId, 'manage');
    const api = await subscribableApi(store, access, request.body.api);
    let result;
    try {
      result = await store.transaction((tx) => subscribe(tx, org, user, application.id, api));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      result = { subscription: (await store.subscriptions.find(org.id, application.id, api.id))!, created: false };
    }
    return reply.code(result.created ? 201 : 200).send(await subscriptionView(store, org.id, result.subscription));
  });

  app.delete('/orgs/:org/subscriptions/:id', {
    schema: {
      tags: ['subscriptions'],
      summary: 'Unsubscribe (only the application\'s owner or an admin; 409 while a connection relies on it); the gateway refuses the application\'s calls from its next snapshot',
      params: Type.Object({ org: Type.String(), id: Type.String() }), response: { 204: Type.Null() },
    },
  }, async (request, reply) => {
    const access = await orgAccess(store, request, request.params.org);
    const { org } = access;
    const subscription = await store.subscriptions.byId(org.id, request.params.id);
    if (!subscription) throw notFound('Subscription');
    await loadApplication(store, access, subscription.applicationId, 'manage');
    await store.transaction((tx) => unsubscribe(tx, access, subscription));
    return reply.code(204).send(null);
  });
};
