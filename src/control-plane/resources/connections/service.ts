import { forbidden, notFound, unprocessable } from '../../../shared/errors.js';
import type { Store } from '../../../store/index.js';
import type { Application } from '../../../store/repos/applications.js';
import type { Connection } from '../../../store/repos/connections.js';
import type { Organization } from '../../../store/repos/organizations.js';
import type { Component, Project } from '../../../store/repos/projects.js';
import { createComponentApplication } from '../../../token-service/credentials.js';
import type { OrgAccess } from '../../context.js';
import { mayManageApplication } from '../applications/service.js';

export async function consumerComponent(store: Store, org: Organization, project: Project, name: string): Promise<Component> {
  const component = await store.projects.component(org.id, project.id, name);
  if (!component) throw notFound('Component');
  if (component.type !== 'external-consumer')
    throw unprocessable(`Component "${name}" is an ${component.type}; connections start from an external consumer`, { component: 'is not an external consumer' });
  return component;
}

/**
 * The consumer's application: the component's own (every external consumer
 * has one), or the project's shared one for project-level connections (made
 * by the first of them and recorded on the project, so it outlives its
 * connections: the same application and keys come back with the next one).
 * Connecting it subscribes it, and may make its keys, so only its owner or an
 * organization admin may (403 otherwise, as in the portal); a new one is the
 * caller's.
 */
export async function consumerApplication(tx: Store, access: OrgAccess, project: Project, component: Component | undefined): Promise<Application> {
  const { org, user } = access;
  let application: Application | undefined;
  if (component) {
    application = await tx.applications.byComponent(org.id, component.id);
    if (!application) return createComponentApplication(tx, component, user.id);
  } else {
    const shared = await tx.connections.projectApplicationId(org.id, project.id);
    application = shared ? await tx.applications.byId(org.id, shared) : undefined;
    if (!application) {
      application = await tx.applications.create({
        orgId: org.id,
        name: `${project.name} (project connections)`,
        description: `Shared by the project-level connections of ${project.name}`,
        ownerUserId: user.id,
      });
      await tx.connections.setProjectApplication(org.id, project.id, application.id);
      return application;
    }
  }
  if (!mayManageApplication(access, application)) throw forbidden(`Only the owner of application "${application.name}" or an organization admin can connect it or remove its connections`);
  return application;
}

export async function loadConnection(store: Store, orgId: string, project: Project, name: string): Promise<Connection> {
  const connection = await store.connections.byName(orgId, project.id, name);
  if (!connection) throw notFound('Connection');
  return connection;
}
