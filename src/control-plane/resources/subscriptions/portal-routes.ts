import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { notFound } from '../../../shared/errors.js';
import { orgAccess, type ControlPlaneDeps } from '../../context.js';
import { Body } from '../../schemas.js';
import { loadApplication } from '../applications/service.js';
import { findApiRef, visibleApi } from '../portal/service.js';
import { PortalSubscriptionView } from './schema.js';
import { subscribeApplication, unsubscribe } from './service.js';
import { portalSubscriptionView } from './view.js';

/** An application's subscriptions in the developer portal (`/orgs/:org/portal/applications/:app/subscriptions`). */

const AppParams = Type.Object({ org: Type.String(), app: Type.String({ description: 'application id' }) });

export const portalSubscriptionRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;

    app.get(
      '/orgs/:org/portal/applications/:app/subscriptions',
      {
        schema: { tags: ['portal'], summary: 'APIs an application is subscribed to', params: AppParams, response: { 200: Type.Array(PortalSubscriptionView) } },
      },
      async (request) => {
        const access = await orgAccess(store, request, request.params.org);
        const application = await loadApplication(store, access, request.params.app, 'read');
        const list = await store.subscriptions.list(access.org.id, { applicationId: application.id });
        return Promise.all(list.map((s) => portalSubscriptionView(store, access, s)));
      },
    );

    app.post(
      '/orgs/:org/portal/applications/:app/subscriptions',
      {
        schema: {
          tags: ['portal'],
          summary: 'Subscribe to a published API this member may see (404 otherwise); idempotent: 200 with the existing one',
          params: AppParams,
          body: Body({ api: Type.String({ minLength: 1, description: 'API id or `project/component`' }) }),
          response: { 200: PortalSubscriptionView, 201: PortalSubscriptionView },
        },
      },
      async (request, reply) => {
        const access = await orgAccess(store, request, request.params.org);
        const application = await loadApplication(store, access, request.params.app, 'manage');
        const api = await visibleApi(store, access, request.body.api);
        const result = await subscribeApplication(store, access.org, access.user, application.id, api);
        return reply.code(result.created ? 201 : 200).send(await portalSubscriptionView(store, access, result.subscription));
      },
    );

    app.delete(
      '/orgs/:org/portal/applications/:app/subscriptions/:subscription',
      {
        schema: {
          tags: ['portal'],
          summary: 'Unsubscribe (409 while a connection relies on it: delete the connection instead)',
          params: Type.Object({
            org: Type.String(),
            app: Type.String(),
            subscription: Type.String({ description: 'subscription id, or the API (id or `project/component`, URL-encoded), whatever its visibility now' }),
          }),
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const access = await orgAccess(store, request, request.params.org);
        const application = await loadApplication(store, access, request.params.app, 'manage');
        const ref = request.params.subscription;
        // Any subscription of the application, also to an API since made private, deprecated or retired.
        const apiId = ref.includes('/') ? (await findApiRef(store, access.org.id, ref))?.id : ref;
        const subscription = (await store.subscriptions.byId(access.org.id, ref)) ?? (apiId ? await store.subscriptions.find(access.org.id, application.id, apiId) : undefined);
        if (!subscription || subscription.applicationId !== application.id) throw notFound('Subscription');
        await store.transaction((tx) => unsubscribe(tx, access, subscription));
        return reply.code(204).send(null);
      },
    );
  };
