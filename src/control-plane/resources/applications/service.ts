import { conflict, forbidden, notFound } from '../../../shared/errors.js';
import type { Store } from '../../../store/index.js';
import type { Application } from '../../../store/repos/applications.js';
import type { OrgAccess } from '../../context.js';

/**
 * Every member reads the organization's applications. Changing one (keys,
 * subscriptions, settings) is for its owner and the organization's admins,
 * the same rule as the token service's credential routes.
 */
export function mayManageApplication(access: OrgAccess, app: Application): boolean {
  return access.role === 'admin' || app.ownerUserId === access.user.id;
}

export async function loadApplication(store: Store, access: OrgAccess, id: string, need: 'read' | 'manage'): Promise<Application> {
  const app = await store.applications.byId(access.org.id, id);
  if (!app) throw notFound('Application');
  if (need === 'manage' && !mayManageApplication(access, app)) throw forbidden("Only the application's owner or an organization admin can change it");
  return app;
}

/** Application names are unique in an organization (case-insensitive) so that people and the CLI can name them. */
export async function checkApplicationName(store: Store, orgId: string, name: string, exceptId?: string): Promise<void> {
  const taken = (await store.applications.list(orgId)).some((a) => a.id !== exceptId && a.name.toLowerCase() === name.toLowerCase());
  if (taken) throw conflict(`An application named "${name}" already exists in this organization`, { name: 'is taken' });
}
