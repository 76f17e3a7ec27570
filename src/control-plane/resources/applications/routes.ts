import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, unprocessable } from '../../../shared/errors.js';
import { actorOf, orgAccess, type ControlPlaneDeps } from '../../context.js';
import { Body, Description, DisplayName, OrgParams } from '../../schemas.js';
import { ApplicationView } from './schema.js';
import { checkApplicationName, loadApplication, mayManageApplication } from './service.js';
import { applicationView } from './view.js';

/** Applications in the developer portal (`/orgs/:org/portal/applications`): every member reads them; their owner and admins change them. */

const AppParams = Type.Object({ org: Type.String(), app: Type.String({ description: 'application id' }) });

export const portalApplicationRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;

    app.get(
      '/orgs/:org/portal/applications',
      {
        schema: {
          tags: ['portal'],
          summary: "Applications of the organization, external consumers' included",
          params: OrgParams,
          querystring: Type.Object({ mine: Type.Optional(Type.Enum(['true', 'false'], { description: 'only applications the caller may change' })) }, { additionalProperties: false }),
          response: { 200: Type.Array(ApplicationView) },
        },
      },
      async (request) => {
        const access = await orgAccess(store, request, request.params.org);
        let apps = await store.applications.list(access.org.id);
        if (request.query.mine === 'true') apps = apps.filter((a) => mayManageApplication(access, a));
        return Promise.all(apps.map((a) => applicationView(store, access, a)));
      },
    );

    app.post(
      '/orgs/:org/portal/applications',
      {
        schema: {
          tags: ['portal'],
          summary: 'Create an application owned by the caller',
          params: OrgParams,
          body: Body({ name: DisplayName, description: Type.Optional(Description) }),
          response: { 201: ApplicationView },
        },
      },
      async (request, reply) => {
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
      },
    );

    app.get(
      '/orgs/:org/portal/applications/:app',
      {
        schema: { tags: ['portal'], summary: 'One application', params: AppParams, response: { 200: ApplicationView } },
      },
      async (request) => {
        const access = await orgAccess(store, request, request.params.org);
        return applicationView(store, access, await loadApplication(store, access, request.params.app, 'read'));
      },
    );

    app.patch(
      '/orgs/:org/portal/applications/:app',
      {
        schema: {
          tags: ['portal'],
          summary: 'Rename an application or change its description',
          params: AppParams,
          body: Type.Object({ name: Type.Optional(DisplayName), description: Type.Optional(Description) }, { additionalProperties: false, minProperties: 1 }),
          response: { 200: ApplicationView },
        },
      },
      async (request) => {
        const access = await orgAccess(store, request, request.params.org);
        const application = await loadApplication(store, access, request.params.app, 'manage');
        const name = request.body.name?.trim();
        if (name !== undefined && !name) throw unprocessable('The name must not be blank', { name: 'must not be blank' });
        if (name !== undefined && application.componentId && name !== application.name) {
          throw unprocessable('The application of an external consumer is named after its component; change the component instead', { name: "is the component's" });
        }
        const updated = await store.transaction(async (tx) => {
          if (name !== undefined) await checkApplicationName(tx, access.org.id, name, application.id);
          const patch = { ...(name !== undefined && { name }), ...(request.body.description !== undefined && { description: request.body.description }) };
          await tx.applications.update(access.org.id, application.id, patch);
          await tx.audit.record({ orgId: access.org.id, ...actorOf(access.user), action: 'application.updated', targetType: 'application', targetId: application.id, details: patch });
          return (await tx.applications.byId(access.org.id, application.id))!;
        });
        return applicationView(store, access, updated);
      },
    );

    app.delete(
      '/orgs/:org/portal/applications/:app',
      {
        schema: {
          tags: ['portal'],
          summary: 'Delete an application with its keys; one with live subscriptions needs ?force=true (its subscriptions and connections go too)',
          params: AppParams,
          querystring: Type.Object({ force: Type.Optional(Type.Enum(['true', 'false'])) }, { additionalProperties: false }),
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const access = await orgAccess(store, request, request.params.org);
        const application = await loadApplication(store, access, request.params.app, 'manage');
        if (application.componentId) throw conflict('This application belongs to an external-consumer component; delete the component instead', { application: 'belongs to a component' });
        const force = request.query.force === 'true';
        await store.transaction(async (tx) => {
          const subscriptions = await tx.subscriptions.list(access.org.id, { applicationId: application.id });
          if (subscriptions.length && !force) {
            throw conflict(`Application "${application.name}" has ${subscriptions.length} live subscription(s); its clients will lose access. Delete with ?force=true to confirm.`, {
              force: 'is required',
            });
          }
          await tx.subscriptions.deleteForApplication(access.org.id, application.id);
          await tx.applications.delete(access.org.id, application.id);
          await tx.audit.record({
            orgId: access.org.id,
            ...actorOf(access.user),
            action: 'application.deleted',
            targetType: 'application',
            targetId: application.id,
            details: { name: application.name, subscriptions: subscriptions.length },
          });
        });
        return reply.code(204).send(null);
      },
    );
  };
