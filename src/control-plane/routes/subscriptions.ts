import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, notFound } from '../../shared/errors.js';
import { isUniqueViolation, type Store } from '../../store/index.js';
import type { Api } from '../../store/repos/apis.js';
import type { Organization } from '../../store/repos/organizations.js';
import type { Subscription } from '../../store/repos/subscriptions.js';
import type { User } from '../../store/repos/users.js';
import { actorOf, orgAccess, type ControlPlaneDeps } from '../context.js';
import { Body, OrgParams } from '../schemas.js';

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

/** The API named by id or by `project/component`. */
async function findApi(store: Store, orgId: string, ref: string): Promise<Api | undefined> {
  const slash = ref.indexOf('/');
  if (slash < 0) return store.apis.get(orgId, ref);
  const project = await store.projects.byName(orgId, ref.slice(0, slash));
  const component = project && (await store.projects.component(orgId, project.id, ref.slice(slash + 1)));
  return component ? store.apis.get(orgId, component.id) : undefined;
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
      tags: ['subscriptions'], summary: 'Subscribe an application to a published API (idempotent: 200 with the existing one)',
      params: OrgParams,
      body: Body({ applicationId: Type.String({ minLength: 1 }), api: Type.String({ minLength: 1, description: 'API id, or `project/component`' }) }),
      response: { 200: SubscriptionView, 201: SubscriptionView },
    },
  }, async (request, reply) => {
    const { org, user } = await orgAccess(store, request, request.params.org);
    const application = await store.applications.byId(org.id, request.body.applicationId);
    if (!application) throw notFound('Application');
    const api = await findApi(store, org.id, request.body.api);
    if (!api) throw notFound('API');
    let result;
    try {
      result = await store.transaction((tx) => subscribe(tx, org, user, application.id, api));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      result = { subscription: (await store.subscriptions.find(org.id, application.id, api.id))!, created: false };
    }
    if (result.created) deps.onRuntimeChange?.(org.id);
    return reply.code(result.created ? 201 : 200).send(await subscriptionView(store, org.id, result.subscription));
  });

  app.delete('/orgs/:org/subscriptions/:id', {
    schema: { tags: ['subscriptions'], summary: 'Unsubscribe; the gateway refuses the application\'s calls from its next snapshot', params: Type.Object({ org: Type.String(), id: Type.String() }), response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const { org, user } = await orgAccess(store, request, request.params.org);
    const subscription = await store.subscriptions.byId(org.id, request.params.id);
    if (!subscription) throw notFound('Subscription');
    await store.transaction(async (tx) => {
      if (!(await tx.subscriptions.delete(org.id, subscription.id))) throw notFound('Subscription');
      await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'subscription.deleted', targetType: 'subscription', targetId: subscription.id, details: { applicationId: subscription.applicationId, apiId: subscription.apiId } });
    });
    deps.onRuntimeChange?.(org.id);
    return reply.code(204).send(null);
  });
};
