import type { Store } from '../../../store/index.js';
import type { Api } from '../../../store/repos/apis.js';
import type { Organization } from '../../../store/repos/organizations.js';
import type { Component, Project } from '../../../store/repos/projects.js';
import { endpointUrl } from './service.js';

export async function apiView(store: Store, org: Organization, project: Project, component: Component, api: Api) {
  const [environments, active, document] = await Promise.all([store.orgs.environments(org.id), store.deployments.activeForApi(org.id, api.id), store.apis.document(org.id, api.id)]);
  return {
    id: api.id,
    project: project.name,
    component: component.name,
    displayName: component.displayName,
    contextPath: api.contextPath,
    version: api.version,
    visibility: api.visibility,
    lifecycle: api.lifecycle,
    resources: api.resources,
    policies: api.policies,
    cors: api.cors,
    limits: api.limits,
    backendUrls: api.backendUrls,
    endpoints: environments.map((e) => ({ environment: e.name, url: endpointUrl(e, org, api), deployedRevision: active.find((d) => d.environmentId === e.id)?.revisionNumber ?? null })),
    document: document
      ? { source: 'imported' as const, mediaType: document.mediaType, sourceUrl: document.sourceUrl, importedAt: document.importedAt }
      : { source: 'generated' as const, mediaType: 'application/json', sourceUrl: null, importedAt: null },
    createdAt: api.createdAt,
    updatedAt: api.updatedAt,
  };
}
