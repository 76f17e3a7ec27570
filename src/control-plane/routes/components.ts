import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, forbidden, notFound, unprocessable } from '../../shared/errors.js';
import { isUniqueViolation, type Store } from '../../store/index.js';
import type { Organization } from '../../store/repos/organizations.js';
import type { Component, ComponentType, Project } from '../../store/repos/projects.js';
import type { User } from '../../store/repos/users.js';
import { actorOf, type ControlPlaneDeps, type OrgAccess } from '../context.js';
import { Body, Description, DisplayName, Slug } from '../schemas.js';
import { displayNameOf, ProjectParams, projectAccess } from './projects.js';
import { AuthenticationView, componentAuthentication, createComponentApplication } from './credentials.js';

export const ComponentTypeSchema = Type.Enum(['external-consumer', 'api-proxy']);

export const ComponentView = Type.Object({
  id: Type.String(), project: Type.String(), type: Type.String(), name: Type.String(), displayName: Type.String(), description: Type.String(),
  createdAt: Type.String(), updatedAt: Type.String(),
});

/**
 * One environment as seen from a component. Features that attach
 * per-environment configuration to components (authentication of external
 * consumers, backends of API proxies) add their properties here and in
 * `componentOverview`.
 */
export const ComponentEnvironmentView = Type.Object({ name: Type.String(), displayName: Type.String(), position: Type.Integer(), authentication: Type.Optional(AuthenticationView) });

export const ComponentOverviewView = Type.Object({
  ...ComponentView.properties,
  environments: Type.Array(ComponentEnvironmentView, { description: 'Environments in promotion order' }),
});

const ComponentParams = Type.Object({ org: Type.String(), project: Type.String(), component: Type.String() });

export const componentView = (c: Component, project: Project) => ({
  id: c.id, project: project.name, type: c.type, name: c.name, displayName: c.displayName, description: c.description, createdAt: c.createdAt, updatedAt: c.updatedAt,
});

/**
 * The overview of a component: the component itself plus, per environment in
 * promotion order, what that environment holds for it. The one place that
 * builds it; creation and `GET` both answer with it.
 */
export async function componentOverview(store: Store, org: Organization, project: Project, component: Component) {
  const environments = await store.orgs.environments(org.id);
  const authentication = await componentAuthentication(store, org.id, component.id);
  return {
    ...componentView(component, project),
    environments: environments.map((e) => ({ name: e.name, displayName: e.displayName, position: e.position, ...(authentication.has(e.name) && { authentication: authentication.get(e.name) }) })),
  };
}

export interface NewComponent { type: ComponentType; name: string; displayName: string; description?: string }

/**
 * Creates a component and everything that belongs to it, on the caller's
 * transaction. Records the audit event; nothing secret goes into it.
 */
export async function createComponent(tx: Store, org: Organization, project: Project, actor: User, input: NewComponent): Promise<Component> {
  if (await tx.projects.component(org.id, project.id, input.name)) {
    throw conflict(`A component named "${input.name}" already exists in project "${project.name}"`, { name: 'is taken' });
  }
  const component = await tx.projects.createComponent({ orgId: org.id, projectId: project.id, ...input });
  if (component.type === 'external-consumer') await createComponentApplication(tx, component, actor.id);
  await tx.audit.record({
    orgId: org.id, ...actorOf(actor), action: 'component.created', targetType: 'component', targetId: component.id,
    details: { project: project.name, name: component.name, type: component.type },
  });
  return component;
}

/**
 * An external consumer is changed or deleted only by an organization admin or
 * its owner (the member who created it), the same rule as for its keys: a
 * deletion revokes them. Any member changes other components.
 */
async function checkCanChange(store: Store, access: OrgAccess, component: Component): Promise<void> {
  if (component.type !== 'external-consumer' || access.role === 'admin') return;
  const application = await store.applications.byComponent(access.org.id, component.id);
  if (application?.ownerUserId !== access.user.id) throw forbidden('Only organization admins and the consumer\'s owner can change or delete it');
}

export const componentRoutes = (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { store } = deps;

  app.get('/orgs/:org/projects/:project/components', {
    schema: {
      tags: ['components'],
      summary: 'Components of a project',
      params: ProjectParams,
      querystring: Type.Object({ type: Type.Optional(ComponentTypeSchema) }, { additionalProperties: false }),
      response: { 200: Type.Array(ComponentView) },
    },
  }, async (request) => {
    const { org, project } = await projectAccess(store, request, request.params.org, request.params.project);
    return (await store.projects.components(org.id, project.id, request.query.type)).map((c) => componentView(c, project));
  });

  app.post('/orgs/:org/projects/:project/components', {
    schema: {
      tags: ['components'],
      summary: 'Create a component; answers with its overview',
      params: ProjectParams,
      body: Body({ type: ComponentTypeSchema, name: Slug, displayName: DisplayName, description: Type.Optional(Description) }),
      response: { 201: ComponentOverviewView },
    },
  }, async (request, reply) => {
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
  });

  app.get('/orgs/:org/projects/:project/components/:component', {
    schema: { tags: ['components'], summary: 'A component\'s overview', params: ComponentParams, response: { 200: ComponentOverviewView } },
  }, async (request) => {
    const { org, project } = await projectAccess(store, request, request.params.org, request.params.project);
    const component = await store.projects.component(org.id, project.id, request.params.component);
    if (!component) throw notFound('Component');
    return componentOverview(store, org, project, component);
  });

  app.patch('/orgs/:org/projects/:project/components/:component', {
    schema: {
      tags: ['components'],
      summary: 'Change a component\'s display name or description; name and type are fixed. An external consumer only by an organization admin or its owner (403)',
      params: ComponentParams,
      body: Type.Object({ name: Type.Optional(Type.String()), type: Type.Optional(Type.String()), displayName: Type.Optional(DisplayName), description: Type.Optional(Description) }, { additionalProperties: false, minProperties: 1 }),
      response: { 200: ComponentView },
    },
  }, async (request) => {
    const access = await projectAccess(store, request, request.params.org, request.params.project);
    const { org, user, project } = access;
    const component = await store.projects.component(org.id, project.id, request.params.component);
    if (!component) throw notFound('Component');
    await checkCanChange(store, access, component);
    if (request.body.name !== undefined && request.body.name !== component.name) throw unprocessable('A component\'s name cannot be changed', { name: 'is immutable' });
    if (request.body.type !== undefined && request.body.type !== component.type) throw unprocessable('A component\'s type cannot be changed', { type: 'is immutable' });
    const patch = {
      ...(request.body.displayName !== undefined && { displayName: displayNameOf(request.body.displayName) }),
      ...(request.body.description !== undefined && { description: request.body.description }),
    };
    const updated = await store.transaction(async (tx) => {
      await tx.projects.updateComponent(org.id, component.id, patch);
      await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'component.updated', targetType: 'component', targetId: component.id, details: { project: project.name, name: component.name, ...patch } });
      return tx.projects.componentById(org.id, component.id);
    });
    if (!updated) throw notFound('Component');
    return componentView(updated, project);
  });

  app.delete('/orgs/:org/projects/:project/components/:component', {
    schema: { tags: ['components'], summary: 'Delete a component; an external consumer only by an organization admin or its owner (403)', params: ComponentParams, response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const access = await projectAccess(store, request, request.params.org, request.params.project);
    const { org, user, project } = access;
    const component = await store.projects.component(org.id, project.id, request.params.component);
    if (!component) throw notFound('Component');
    await checkCanChange(store, access, component);
    await store.transaction(async (tx) => {
      await tx.projects.deleteComponent(org.id, component.id);
      await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'component.deleted', targetType: 'component', targetId: component.id, details: { project: project.name, name: component.name, type: component.type } });
    });
    deps.onRuntimeChange?.(org.id);
    return reply.code(204).send(null);
  });
};
