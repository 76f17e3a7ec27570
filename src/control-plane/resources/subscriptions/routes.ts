import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { notFound } from '../../../shared/errors.js';
import { orgAccess, type ControlPlaneDeps } from '../../context.js';
import { Body, OrgParams } from '../../schemas.js';
import { loadApplication } from '../applications/service.js';
import { SubscriptionView } from './schema.js';
import { subscribableApi, subscribeApplication, unsubscribe } from './service.js';
import { subscriptionView } from './view.js';

export const subscriptionRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;

    app.get(
      '/orgs/:org/subscriptions',
      {
        schema: {
          tags: ['subscriptions'],
          summary: 'Subscriptions of the organization (filter by application or API)',
          params: OrgParams,
          querystring: Type.Object({ applicationId: Type.Optional(Type.String()), apiId: Type.Optional(Type.String()) }, { additionalProperties: false }),
          response: { 200: Type.Array(SubscriptionView) },
        },
      },
      async (request) => {
        const { org } = await orgAccess(store, request, request.params.org);
        const list = await store.subscriptions.list(org.id, request.query);
        return Promise.all(list.map((s) => subscriptionView(store, org.id, s)));
      },
    );

    app.post(
      '/orgs/:org/subscriptions',
      {
        schema: {
          tags: ['subscriptions'],
          summary:
            "Subscribe an application to a published API (idempotent: 200 with the existing one). Only the application's owner or an admin (403); an API the caller does not see in the portal is 404",
          params: OrgParams,
          body: Body({ applicationId: Type.String({ minLength: 1 }), api: Type.String({ minLength: 1, description: 'API id, or `project/component`' }) }),
          response: { 200: SubscriptionView, 201: SubscriptionView },
        },
      },
      async (request, reply) => {
        const access = await orgAccess(store, request, request.params.org);
        const { org, user } = access;
        const application = await loadApplication(store, access, request.body.applicationId, 'manage');
        const api = await subscribableApi(store, access, request.body.api);
        const result = await subscribeApplication(store, org, user, application.id, api);
        return reply.code(result.created ? 201 : 200).send(await subscriptionView(store, org.id, result.subscription));
      },
    );

    app.delete(
      '/orgs/:org/subscriptions/:id',
      {
        schema: {
          tags: ['subscriptions'],
          summary: "Unsubscribe (only the application's owner or an admin; 409 while a connection relies on it); the gateway refuses the application's calls from its next snapshot",
          params: Type.Object({ org: Type.String(), id: Type.String() }),
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const access = await orgAccess(store, request, request.params.org);
        const { org } = access;
        const subscription = await store.subscriptions.byId(org.id, request.params.id);
        if (!subscription) throw notFound('Subscription');
        await loadApplication(store, access, subscription.applicationId, 'manage');
        await store.transaction((tx) => unsubscribe(tx, access, subscription));
        return reply.code(204).send(null);
      },
    );
  };
