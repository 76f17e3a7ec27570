import type { Store } from '../../../store/index.js';
import type { Application } from '../../../store/repos/applications.js';
import type { OrgAccess } from '../../context.js';
import { mayManageApplication } from './service.js';

export async function applicationView(store: Store, access: OrgAccess, app: Application) {
  const [component, subscriptions, credentials, owner] = await Promise.all([
    app.componentId ? store.projects.componentById(access.org.id, app.componentId) : undefined,
    store.subscriptions.list(access.org.id, { applicationId: app.id }),
    store.credentials.forApplication(access.org.id, app.id),
    app.ownerUserId ? store.users.byId(app.ownerUserId) : undefined,
  ]);
  const environments = await store.orgs.environments(access.org.id);
  const project = component ? (await store.projects.list(access.org.id)).find((p) => p.id === component.projectId) : undefined;
  return {
    id: app.id,
    name: app.name,
    description: app.description,
    component: component && project ? `${project.name}/${component.name}` : null,
    owner: owner?.email ?? null,
    canManage: mayManageApplication(access, app),
    subscriptions: subscriptions.length,
    environmentsWithKeys: environments.filter((e) => credentials.some((c) => c.environmentId === e.id)).map((e) => e.name),
    createdAt: app.createdAt,
    updatedAt: app.updatedAt,
  };
}
