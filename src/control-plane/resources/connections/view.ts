import { notFound } from '../../../shared/errors.js';
import type { Store } from '../../../store/index.js';
import type { Api } from '../../../store/repos/apis.js';
import type { Connection } from '../../../store/repos/connections.js';
import type { Organization } from '../../../store/repos/organizations.js';
import type { Project } from '../../../store/repos/projects.js';
import type { ControlPlaneDeps } from '../../context.js';
import { endpointUrl } from '../apis/service.js';
import { tokenEndpointUrl } from '../credentials/service.js';

async function apiRef(store: Store, orgId: string, api: Api) {
  const component = await store.projects.componentById(orgId, api.id);
  const project = component && (await store.projects.list(orgId)).find((p) => p.id === component.projectId);
  return { id: api.id, ref: project && component ? `${project.name}/${component.name}` : api.id, name: component?.displayName ?? '', contextPath: api.contextPath, version: api.version };
}

export async function connectionView(store: Store, deps: ControlPlaneDeps, org: Organization, project: Project, c: Connection, secrets: Map<string, string> = new Map()) {
  const api = await store.apis.get(org.id, c.apiId);
  if (!api) throw notFound('API');
  const [environments, credentials, active, component, idps] = await Promise.all([
    store.orgs.environments(org.id),
    store.credentials.forApplication(org.id, c.applicationId),
    store.deployments.activeForApi(org.id, api.id),
    c.componentId ? store.projects.componentById(org.id, c.componentId) : undefined,
    store.identityProviders.list(org.id),
  ]);
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    project: project.name,
    level: c.componentId ? ('component' as const) : ('project' as const),
    component: component?.name ?? null,
    applicationId: c.applicationId,
    api: await apiRef(store, org.id, api),
    environments: environments.map((e) => {
      const credential = credentials.find((k) => k.environmentId === e.id);
      const secret = secrets.get(e.id);
      // Keys from an external identity provider: the consumer gets its tokens there, with the client ID registered there.
      const idp = credential?.kind === 'external' ? idps.find((i) => i.id === credential.idpId) : undefined;
      const tokenUrl = credential?.kind === 'external' ? idp?.tokenEndpoint : tokenEndpointUrl(deps.config.publicUrl);
      const consumerKey = credential?.kind === 'external' ? credential.externalClientId : credential?.clientId;
      return {
        environment: e.name,
        displayName: e.displayName,
        deployed: active.some((d) => d.environmentId === e.id),
        keysCreated: secret !== undefined,
        params: {
          ServiceURL: endpointUrl(e, org, api),
          ...(tokenUrl && { TokenURL: tokenUrl }),
          ...(consumerKey && { ConsumerKey: consumerKey }),
          ...(secret !== undefined && { ConsumerSecret: secret }),
        },
      };
    }),
    createdBy: c.createdBy,
    createdAt: c.createdAt,
  };
}
