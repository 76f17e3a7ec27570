import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, notFound, unprocessable } from '../../../shared/errors.js';
import { isUniqueViolation } from '../../../store/index.js';
import { actorOf, orgAccess, type ControlPlaneDeps } from '../../context.js';
import { Body, Description, DisplayName, OrgParams, Slug } from '../../schemas.js';
import { ProjectParams, ProjectView } from './schema.js';
import { displayNameOf, projectAccess } from './service.js';
import { projectView } from './view.js';

export const projectRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;

    app.get(
      '/orgs/:org/projects',
      {
        schema: { tags: ['projects'], summary: 'Projects of the organization', params: OrgParams, response: { 200: Type.Array(ProjectView) } },
      },
      async (request) => {
        const { org } = await orgAccess(store, request, request.params.org);
        return (await store.projects.list(org.id)).map(projectView);
      },
    );

    app.post(
      '/orgs/:org/projects',
      {
        schema: {
          tags: ['projects'],
          summary: 'Create a project',
          params: OrgParams,
          body: Body({ name: Slug, displayName: Type.Optional(DisplayName), description: Type.Optional(Description) }),
          response: { 201: ProjectView },
        },
      },
      async (request, reply) => {
        const { org, user } = await orgAccess(store, request, request.params.org);
        const { name, description } = request.body;
        const displayName = request.body.displayName === undefined ? name : displayNameOf(request.body.displayName);
        try {
          const project = await store.transaction(async (tx) => {
            if (await tx.projects.byName(org.id, name)) throw conflict(`A project named "${name}" already exists`, { name: 'is taken' });
            const created = await tx.projects.create({ orgId: org.id, name, displayName, description });
            await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'project.created', targetType: 'project', targetId: created.id, details: { name } });
            return created;
          });
          return reply.code(201).send(projectView(project));
        } catch (error) {
          if (isUniqueViolation(error)) throw conflict(`A project named "${name}" already exists`, { name: 'is taken' });
          throw error;
        }
      },
    );

    app.get(
      '/orgs/:org/projects/:project',
      {
        schema: { tags: ['projects'], params: ProjectParams, response: { 200: ProjectView } },
      },
      async (request) => projectView((await projectAccess(store, request, request.params.org, request.params.project)).project),
    );

    app.patch(
      '/orgs/:org/projects/:project',
      {
        schema: {
          tags: ['projects'],
          summary: "Change a project's display name or description; the name is fixed",
          params: ProjectParams,
          body: Type.Object(
            { name: Type.Optional(Type.String()), displayName: Type.Optional(DisplayName), description: Type.Optional(Description) },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: ProjectView },
        },
      },
      async (request) => {
        const { org, user, project } = await projectAccess(store, request, request.params.org, request.params.project);
        if (request.body.name !== undefined && request.body.name !== project.name) throw unprocessable("A project's name cannot be changed", { name: 'is immutable' });
        const patch = {
          ...(request.body.displayName !== undefined && { displayName: displayNameOf(request.body.displayName) }),
          ...(request.body.description !== undefined && { description: request.body.description }),
        };
        const updated = await store.transaction(async (tx) => {
          await tx.projects.update(org.id, project.id, patch);
          await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'project.updated', targetType: 'project', targetId: project.id, details: { name: project.name, ...patch } });
          return tx.projects.byName(org.id, project.name);
        });
        if (!updated) throw notFound('Project');
        return projectView(updated);
      },
    );

    app.delete(
      '/orgs/:org/projects/:project',
      {
        schema: {
          tags: ['projects'],
          summary: 'Delete a project without components (never the default one), with its connections and the shared application of its project-level connections',
          params: ProjectParams,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const { org, user, project } = await projectAccess(store, request, request.params.org, request.params.project);
        if (project.isDefault) throw conflict('The default project cannot be deleted');
        await store.transaction(async (tx) => {
          // Read before the delete: the project_applications row goes with the project (cascade), the application itself does not.
          const sharedApplicationId = await tx.connections.projectApplicationId(org.id, project.id);
          if (!(await tx.projects.deleteIfEmpty(org.id, project.id))) {
            const components = await tx.projects.componentCount(org.id, project.id);
            throw components > 0 ? conflict(`Project "${project.name}" still has ${components} component(s); delete them first`) : notFound('Project');
          }
          // The shared application of the project-level connections goes with the project: its keys and subscriptions too.
          const shared = sharedApplicationId ? await tx.applications.byId(org.id, sharedApplicationId) : undefined;
          if (shared) {
            const subscriptions = await tx.subscriptions.deleteForApplication(org.id, shared.id);
            await tx.applications.delete(org.id, shared.id);
            await tx.audit.record({
              orgId: org.id,
              ...actorOf(user),
              action: 'application.deleted',
              targetType: 'application',
              targetId: shared.id,
              details: { name: shared.name, subscriptions, project: project.name },
            });
          }
          await tx.audit.record({
            orgId: org.id,
            ...actorOf(user),
            action: 'project.deleted',
            targetType: 'project',
            targetId: project.id,
            details: { name: project.name, ...(shared && { application: shared.name }) },
          });
        });
        return reply.code(204).send(null);
      },
    );
  };
