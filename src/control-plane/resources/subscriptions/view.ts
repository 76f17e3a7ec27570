import type { Store } from '../../../store/index.js';
import type { Subscription } from '../../../store/repos/subscriptions.js';
import type { OrgAccess } from '../../context.js';

export async function subscriptionView(store: Store, orgId: string, s: Subscription) {
  const [app, api, component] = await Promise.all([store.applications.byId(orgId, s.applicationId), store.apis.get(orgId, s.apiId), store.projects.componentById(orgId, s.apiId)]);
  const projects = component ? await store.projects.list(orgId) : [];
  const project = projects.find((p) => p.id === component?.projectId);
  return {
    id: s.id,
    applicationId: s.applicationId,
    applicationName: app?.name ?? '',
    apiId: s.apiId,
    api: project && component ? `${project.name}/${component.name}` : '',
    contextPath: api?.contextPath ?? '',
    version: api?.version ?? '',
    createdBy: s.createdBy,
    createdAt: s.createdAt,
  };
}

export async function portalSubscriptionView(store: Store, access: OrgAccess, s: Subscription) {
  const [api, component, connections] = await Promise.all([
    store.apis.get(access.org.id, s.apiId),
    store.projects.componentById(access.org.id, s.apiId),
    store.connections.forSubscription(access.org.id, s.applicationId, s.apiId),
  ]);
  const project = component ? (await store.projects.list(access.org.id)).find((p) => p.id === component.projectId) : undefined;
  return {
    id: s.id,
    applicationId: s.applicationId,
    apiId: s.apiId,
    api: project && component ? `${project.name}/${component.name}` : s.apiId,
    apiName: component?.displayName ?? '',
    contextPath: api?.contextPath ?? '',
    version: api?.version ?? '',
    lifecycle: api?.lifecycle ?? '',
    connections: connections.map((c) => c.name),
    createdBy: s.createdBy,
    createdAt: s.createdAt,
  };
}
