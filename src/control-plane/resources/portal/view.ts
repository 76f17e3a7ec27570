import { Type } from 'typebox';
import type { Store } from '../../../store/index.js';
import type { Api } from '../../../store/repos/apis.js';
import type { Organization } from '../../../store/repos/organizations.js';
import { endpointUrl } from '../apis/service.js';

/** The portal's view of an API. */
const PortalResource = Type.Object({
  method: Type.String(),
  path: Type.String(),
  summary: Type.Optional(Type.String()),
  oauth2: Type.Boolean(),
  scopes: Type.Array(Type.String()),
});
export const PortalApiView = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'display name of the API component' }),
  ref: Type.String({ description: '`project/component`: how the CLI and subscriptions name the API' }),
  description: Type.String(),
  contextPath: Type.String(),
  version: Type.String(),
  visibility: Type.String(),
  lifecycle: Type.String(),
  resources: Type.Array(PortalResource),
  versions: Type.Array(Type.Object({ id: Type.String(), version: Type.String(), lifecycle: Type.String() }), { description: 'versions of the same context path this member sees, this one included' }),
  endpoints: Type.Array(Type.Object({ environment: Type.String(), displayName: Type.String(), url: Type.String(), revision: Type.Integer() }), {
    description: 'environments where the API is deployed, in promotion order',
  }),
});

export async function portalApiView(store: Store, org: Organization, api: Api, siblings: Api[]) {
  const [component, projects, environments, active] = await Promise.all([
    store.projects.componentById(org.id, api.id),
    store.projects.list(org.id),
    store.orgs.environments(org.id),
    store.deployments.activeForApi(org.id, api.id),
  ]);
  const project = projects.find((p) => p.id === component?.projectId);
  return {
    id: api.id,
    name: component?.displayName ?? '',
    ref: project && component ? `${project.name}/${component.name}` : api.id,
    description: component?.description ?? '',
    contextPath: api.contextPath,
    version: api.version,
    visibility: api.visibility,
    lifecycle: api.lifecycle,
    resources: api.resources.map((r) => ({ method: r.method, path: r.path, ...(r.summary !== undefined && { summary: r.summary }), oauth2: r.security.oauth2, scopes: r.security.scopes })),
    versions: siblings.filter((s) => s.contextPath === api.contextPath).map((s) => ({ id: s.id, version: s.version, lifecycle: s.lifecycle })),
    endpoints: environments.flatMap((e) => {
      const deployment = active.find((d) => d.environmentId === e.id);
      return deployment ? [{ environment: e.name, displayName: e.displayName, url: endpointUrl(e, org, api), revision: deployment.revisionNumber }] : [];
    }),
  };
}
