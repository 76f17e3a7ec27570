import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, notFound, unprocessable } from '../../../shared/errors.js';
import { isUniqueViolation } from '../../../store/index.js';
import { actorOf, type ControlPlaneDeps } from '../../context.js';
import { Body, Description, DisplayName, Slug } from '../../schemas.js';
import { ProjectParams } from '../projects/schema.js';
import { displayNameOf, projectAccess } from '../projects/service.js';
import { ComponentOverviewView, ComponentParams, ComponentTypeSchema, ComponentView } from './schema.js';
import { checkCanChange, createComponent, type NewComponent } from './service.js';
import { componentOverview, componentView } from './view.js';

export const componentRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;

    app.get(
      '/orgs/:org/projects/:project/components',
      {
        schema: {
          tags: ['components'],
          summary: 'Components of a project',
          params: ProjectParams,
          querystring: Type.Object({ type: Type.Optional(ComponentTypeSchema) }, { additionalProperties: false }),
          response: { 200: Type.Array(ComponentView) },
        },
      },
      async (request) => {
        const { org, project } = await projectAccess(store, request, request.params.org, request.params.project);
        return (await store.projects.components(org.id, project.id, request.query.type)).map((c) => componentView(c, project));
      },
    );

    app.post(
      '/orgs/:org/projects/:project/components',
      {
        schema: {
          tags: ['components'],
          summary: 'Create a component; answers with its overview',
          params: ProjectParams,
          body: Body({ type: ComponentTypeSchema, name: Slug, displayName: DisplayName, description: Type.Optional(Description) }),
          response: { 201: ComponentOverviewView },
        },
      },
      async (request, reply) => {
        const { org, user, project } = await projectAccess(store, request, request.params.org, request.params.project);
        const input: NewComponent = { ...request.body, displayName: displayNameOf(request.body.displayName) };
        try {
          const overview = await store.transaction(async (tx) => {
            const component = await createComponent(tx, org, project, user, input);
            return componentOverview(tx, org, project, component);
          });
          return reply.code(201).send(overview);
        } catch (error) {
          if (isUniqueViolation(error)) throw conflict(`A component named "${input.name}" already exists in project "${project.name}"`, { name: 'is taken' });
          throw error;
        }
      },
    );

    app.get(
      '/orgs/:org/projects/:project/components/:component',
      {
        schema: { tags: ['components'], summary: "A component's overview", params: ComponentParams, response: { 200: ComponentOverviewView } },
      },
      async (request) => {
        const { org, project } = await projectAccess(store, request, request.params.org, request.params.project);
        const component = await store.projects.component(org.id, project.id, request.params.component);
        if (!component) throw notFound('Component');
        return componentOverview(store, org, project, component);
      },
    );

    app.patch(
      '/orgs/:org/projects/:project/components/:component',
      {
        schema: {
          tags: ['components'],
          summary: "Change a component's display name or description; name and type are fixed. An external consumer only by an organization admin or its owner (403)",
          params: ComponentParams,
          body: Type.Object(
            { name: Type.Optional(Type.String()), type: Type.Optional(Type.String()), displayName: Type.Optional(DisplayName), description: Type.Optional(Description) },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: ComponentView },
        },
      },
      async (request) => {
        const access = await projectAccess(store, request, request.params.org, request.params.project);
        const { org, user, project } = access;
        const component = await store.projects.component(org.id, project.id, request.params.component);
        if (!component) throw notFound('Component');
        await checkCanChange(store, access, component);
        if (request.body.name !== undefined && request.body.name !== component.name) throw unprocessable("A component's name cannot be changed", { name: 'is immutable' });
        if (request.body.type !== undefined && request.body.type !== component.type) throw unprocessable("A component's type cannot be changed", { type: 'is immutable' });
        const patch = {
          ...(request.body.displayName !== undefined && { displayName: displayNameOf(request.body.displayName) }),
          ...(request.body.description !== undefined && { description: request.body.description }),
        };
        const updated = await store.transaction(async (tx) => {
          await tx.projects.updateComponent(org.id, component.id, patch);
          await tx.audit.record({
            orgId: org.id,
            ...actorOf(user),
            action: 'component.updated',
            targetType: 'component',
            targetId: component.id,
            details: { project: project.name, name: component.name, ...patch },
          });
          return tx.projects.componentById(org.id, component.id);
        });
        if (!updated) throw notFound('Component');
        return componentView(updated, project);
      },
    );

    app.delete(
      '/orgs/:org/projects/:project/components/:component',
      {
        schema: { tags: ['components'], summary: 'Delete a component; an external consumer only by an organization admin or its owner (403)', params: ComponentParams, response: { 204: Type.Null() } },
      },
      async (request, reply) => {
        const access = await projectAccess(store, request, request.params.org, request.params.project);
        const { org, user, project } = access;
        const component = await store.projects.component(org.id, project.id, request.params.component);
        if (!component) throw notFound('Component');
        await checkCanChange(store, access, component);
        await store.transaction(async (tx) => {
          await tx.projects.deleteComponent(org.id, component.id);
          await tx.audit.record({
            orgId: org.id,
            ...actorOf(user),
            action: 'component.deleted',
            targetType: 'component',
            targetId: component.id,
            details: { project: project.name, name: component.name, type: component.type },
          });
        });
        return reply.code(204).send(null);
      },
    );
  };
