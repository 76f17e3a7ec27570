import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, forbidden, notFound } from '../../../shared/errors.js';
import { isUniqueViolation } from '../../../store/index.js';
import type { Connection } from '../../../store/repos/connections.js';
import { generateKeys } from '../../../token-service/credentials.js';
import { actorOf, type ControlPlaneDeps } from '../../context.js';
import { Body, Description, Slug } from '../../schemas.js';
import { mayManageApplication } from '../applications/service.js';
import { visibleApi } from '../portal/service.js';
import { ProjectParams } from '../projects/schema.js';
import { projectAccess } from '../projects/service.js';
import { subscribe } from '../subscriptions/service.js';
import { ConnectionParams, ConnectionView } from './schema.js';
import { consumerApplication, consumerComponent, loadConnection } from './service.js';
import { connectionView } from './view.js';

/**
 * Connections (`/orgs/:org/projects/:project/connections`): a consumer
 * (an external-consumer component, or the whole project) connects to a
 * published API. Creating one subscribes the consumer's application to the
 * API, generates keys in environments that have none, and answers per
 * environment with the connection parameters a client reads as environment
 * variables: `ServiceURL`, `TokenURL`, `ConsumerKey`, and `ConsumerSecret`
 * (only in the creation response, only for keys created with it).
 *
 * A project-level connection's consumer is the project's shared application,
 * created by the project's first project-level connection.
 */

export const connectionRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;
    const base = '/orgs/:org/projects/:project/connections';

    app.post(
      base,
      {
        schema: {
          tags: ['connections'],
          summary: 'Connect a consumer (a component, or the project) to a published API: subscribes its application and answers with the connection parameters per environment',
          params: ProjectParams,
          body: Body({
            name: Slug,
            description: Type.Optional(Description),
            api: Type.String({ minLength: 1, description: 'API id or `project/component`' }),
            component: Type.Optional(Slug),
            generateKeys: Type.Optional(Type.Boolean({ default: true, description: 'generate client-credentials keys in environments that have none (default true)' })),
          }),
          response: { 201: ConnectionView },
        },
      },
      async (request, reply) => {
        const access = await projectAccess(store, request, request.params.org, request.params.project);
        const { org, user, project } = access;
        const body = request.body;
        const component = body.component === undefined ? undefined : await consumerComponent(store, org, project, body.component);
        const api = await visibleApi(store, access, body.api);
        const secrets = new Map<string, string>();
        const nameTaken = () => conflict(`A connection named "${body.name}" already exists in project "${project.name}"`, { name: 'is taken' });
        const attempt = () =>
          store.transaction(async (tx) => {
            secrets.clear();
            if (await tx.connections.byName(org.id, project.id, body.name)) throw nameTaken();
            const application = await consumerApplication(tx, access, project, component);
            const { created: createdSubscription } = await subscribe(tx, org, user, application.id, api);
            const created = await tx.connections.create({
              orgId: org.id,
              projectId: project.id,
              componentId: component?.id ?? null,
              applicationId: application.id,
              apiId: api.id,
              name: body.name,
              description: body.description ?? '',
              createdSubscription,
              createdBy: user.email,
            });
            if (body.generateKeys !== false) {
              for (const env of await tx.orgs.environments(org.id)) {
                if (await tx.credentials.forEnvironment(org.id, application.id, env.id)) continue;
                secrets.set(env.id, (await generateKeys(tx, { org, application, environment: env, actor: actorOf(user), settings: {} })).clientSecret);
              }
            }
            await tx.audit.record({
              orgId: org.id,
              ...actorOf(user),
              action: 'connection.created',
              targetType: 'connection',
              targetId: created.id,
              details: { project: project.name, name: created.name, component: component?.name ?? null, apiId: api.id, applicationId: application.id },
            });
            return created;
          });
        let connection: Connection;
        try {
          connection = await attempt();
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
          if (await store.connections.byName(org.id, project.id, body.name)) throw nameTaken();
          // A concurrent request made the same subscription, component application or shared application: its row is there now.
          try {
            connection = await attempt();
          } catch (again) {
            if (!isUniqueViolation(again)) throw again;
            if (await store.connections.byName(org.id, project.id, body.name)) throw nameTaken();
            throw conflict('A concurrent change got in the way; try again');
          }
        }
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send(await connectionView(store, deps, org, project, connection, secrets));
      },
    );

    app.get(
      base,
      {
        schema: {
          tags: ['connections'],
          summary: 'Connections of a project (the secret is never part of them)',
          params: ProjectParams,
          querystring: Type.Object({ component: Type.Optional(Type.String({ description: "only this component's connections; `-` for project-level ones" })) }, { additionalProperties: false }),
          response: { 200: Type.Array(ConnectionView) },
        },
      },
      async (request) => {
        const { org, project } = await projectAccess(store, request, request.params.org, request.params.project);
        const filter = request.query.component;
        let componentId: string | null | undefined;
        if (filter === '-') componentId = null;
        else if (filter !== undefined) componentId = (await consumerComponent(store, org, project, filter)).id;
        const list = await store.connections.list(org.id, project.id, { componentId });
        return Promise.all(list.map((c) => connectionView(store, deps, org, project, c)));
      },
    );

    app.get(
      `${base}/:connection`,
      {
        schema: { tags: ['connections'], summary: 'One connection with its parameters per environment', params: ConnectionParams, response: { 200: ConnectionView } },
      },
      async (request) => {
        const { org, project } = await projectAccess(store, request, request.params.org, request.params.project);
        return connectionView(store, deps, org, project, await loadConnection(store, org.id, project, request.params.connection));
      },
    );

    app.delete(
      `${base}/:connection`,
      {
        schema: {
          tags: ['connections'],
          summary: 'Delete a connection and its subscription, unless another connection needs that subscription',
          params: ConnectionParams,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const access = await projectAccess(store, request, request.params.org, request.params.project);
        const { org, user, project } = access;
        const connection = await loadConnection(store, org.id, project, request.params.connection);
        const application = await store.applications.byId(org.id, connection.applicationId);
        if (application && !mayManageApplication(access, application))
          throw forbidden(`Only the owner of application "${application.name}" or an organization admin can connect it or remove its connections`);
        await store.transaction(async (tx) => {
          if (!(await tx.connections.delete(org.id, connection.id))) throw notFound('Connection');
          const others = await tx.connections.forSubscription(org.id, connection.applicationId, connection.apiId);
          // The subscription goes with the last connection, and only when a connection made it: while
          // others remain, the one that made it hands that on, so the last of them still removes it.
          if (connection.createdSubscription && others.length && !others.some((o) => o.createdSubscription)) await tx.connections.takeOverSubscription(org.id, others[0]!.id);
          const subscription = others.length || !connection.createdSubscription ? undefined : await tx.subscriptions.find(org.id, connection.applicationId, connection.apiId);
          if (subscription) await tx.subscriptions.delete(org.id, subscription.id);
          await tx.audit.record({
            orgId: org.id,
            ...actorOf(user),
            action: 'connection.deleted',
            targetType: 'connection',
            targetId: connection.id,
            details: { project: project.name, name: connection.name, subscriptionRemoved: !!subscription, keptFor: others.map((o) => o.name) },
          });
        });
        return reply.code(204).send(null);
      },
    );
  };
