import type { FastifyRequest } from 'fastify';
import { invalid, notFound } from '../../../shared/errors.js';
import type { Store } from '../../../store/index.js';
import type { Project } from '../../../store/repos/projects.js';
import { orgAccess, type OrgAccess } from '../../context.js';

export interface ProjectAccess extends OrgAccess {
  project: Project;
}

/** Resolves `:org/projects/:project` for a member of the organization; 404 for anything else. */
export async function projectAccess(store: Store, request: FastifyRequest, handle: string, projectName: string): Promise<ProjectAccess> {
  const access = await orgAccess(store, request, handle);
  const project = await store.projects.byName(access.org.id, projectName);
  if (!project) throw notFound('Project');
  return { ...access, project };
}

/** Trims a display name and refuses a blank one. */
export function displayNameOf(value: string): string {
  const trimmed = value.trim();
  if (!trimmed) throw invalid('The display name must not be blank', { displayName: 'must not be blank' });
  return trimmed;
}
