import { conflict } from '../../../shared/errors.js';
import type { Store } from '../../../store/index.js';
import type { Organization } from '../../../store/repos/organizations.js';
import type { Component, ComponentType, Project } from '../../../store/repos/projects.js';
import type { User } from '../../../store/repos/users.js';
import { createComponentApplication } from '../../../token-service/credentials.js';
import { actorOf } from '../../context.js';

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
