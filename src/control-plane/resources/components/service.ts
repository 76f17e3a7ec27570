import { conflict, forbidden } from '../../../shared/errors.js';
import type { Store } from '../../../store/index.js';
import type { Organization } from '../../../store/repos/organizations.js';
import type { Component, ComponentType, Project } from '../../../store/repos/projects.js';
import type { User } from '../../../store/repos/users.js';
import { createComponentApplication } from '../../../token-service/credentials.js';
import { actorOf, type OrgAccess } from '../../context.js';

export interface NewComponent {
  type: ComponentType;
  name: string;
  displayName: string;
  description?: string;
}

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
    orgId: org.id,
    ...actorOf(actor),
    action: 'component.created',
    targetType: 'component',
    targetId: component.id,
    details: { project: project.name, name: component.name, type: component.type },
  });
  return component;
}

/**
 * An external consumer is changed or deleted only by an organization admin or
 * its owner (the member who created it), the same rule as for its keys: a
 * deletion revokes them. Any member changes other components.
 */
export async function checkCanChange(store: Store, access: OrgAccess, component: Component): Promise<void> {
  if (component.type !== 'external-consumer' || access.role === 'admin') return;
  const application = await store.applications.byComponent(access.org.id, component.id);
  if (application?.ownerUserId !== access.user.id) throw forbidden("Only organization admins and the consumer's owner can change or delete it");
}
