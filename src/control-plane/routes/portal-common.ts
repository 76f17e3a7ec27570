import { Type } from 'typebox';
import { conflict, forbidden, notFound } from '../../shared/errors.js';
import type { Store } from '../../store/index.js';
import type { Api } from '../../store/repos/apis.js';
import type { Application } from '../../store/repos/applications.js';
import type { Environment, Organization } from '../../store/repos/organizations.js';
import type { OrgAccess } from '../context.js';
import { endpointUrl } from './apis.js';

/**
 * What the developer portal and connections share: which APIs a member may
 * see, which applications they may manage, environments by name, and the
 * portal's view of an API.
 *
 * Visibility of a published API in the portal:
 * - `public`: every member of the organization;
 * - `private`: the organization's admins and the users on the API's portal
 *   allow-list (`/portal/apis/:api/access`, managed by admins).
 * An API one may not see is answered exactly like one that does not exist (404).
 */

/** Lifecycle states the portal shows; only `published` accepts new subscriptions. */
const LISTED = new Set(['published', 'deprecated']);

export async function canSeeApi(store: Store, access: OrgAccess, api: Api): Promise<boolean> {
  if (!LISTED.has(api.lifecycle)) return false;
  if (api.visibility === 'public' || access.role === 'admin') return true;
  return store.portalAccess.isAllowed(access.org.id, api.id, access.user.id);
}

/** The APIs of the organization this member sees in the portal. */
export async function visibleApis(store: Store, access: OrgAccess): Promise<Api[]> {
  const [apis, allowed] = await Promise.all([store.apis.list(access.org.id), store.portalAccess.apisFor(access.org.id, access.user.id)]);
  return apis.filter((api) => LISTED.has(api.lifecycle) && (api.visibility === 'public' || access.role === 'admin' || allowed.has(api.id)));
}

/** One API by id or `project/component`, or 404 when it does not exist or this member may not see it. */
export async function visibleApi(store: Store, access: OrgAccess, ref: string): Promise<Api> {
  const api = await findApiRef(store, access.org.id, ref);
  if (!api || !(await canSeeApi(store, access, api))) throw notFound('API');
  return api;
}

/** An API by id or `project/component`, whatever its visibility or lifecycle. */
export async function findApiRef(store: Store, orgId: string, ref: string): Promise<Api | undefined> {
  const slash = ref.indexOf('/');
  if (slash < 0) return store.apis.get(orgId, ref);
  const project = await store.projects.byName(orgId, ref.slice(0, slash));
  const component = project && (await store.projects.component(orgId, project.id, ref.slice(slash + 1)));
  return component ? store.apis.get(orgId, component.id) : undefined;
}

// --- applications -------------------------------------------------------------

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
  if (need === 'manage' && !mayManageApplication(access, app)) throw forbidden('Only the application\'s owner or an organization admin can change it');
  return app;
}

/** Application names are unique in an organization (case-insensitive) so that people and the CLI can name them. */
export async function checkApplicationName(store: Store, orgId: string, name: string, exceptId?: string): Promise<void> {
  const taken = (await store.applications.list(orgId)).some((a) => a.id !== exceptId && a.name.toLowerCase() === name.toLowerCase());
  if (taken) throw conflict(`An application named "${name}" already exists in this organization`, { name: 'is taken' });
}

// --- environments ----------------------------------------------------------------

export async function environmentByName(store: Store, orgId: string, name: string): Promise<Environment> {
  const env = await store.orgs.environment(orgId, name);
  if (!env) throw notFound(`Environment "${name}"`);
  return env;
}

/** How the portal labels an environment's keys: production's are the "Production Keys". */
export const keysLabel = (env: Environment): string => `${env.name === 'production' ? 'Production' : env.displayName} Keys`;

// --- the portal's view of an API ---------------------------------------------------

const PortalResource = Type.Object({
  method: Type.String(), path: Type.String(), summary: Type.Optional(Type.String()), oauth2: Type.Boolean(), scopes: Type.Array(Type.String()),
});
export const PortalApiView = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'display name of the API component' }),
  ref: Type.String({ description: '`project/component`: how the CLI and subscriptions name the API' }),
  description: Type.String(),
  contextPath: Type.String(), version: Type.String(), visibility: Type.String(), lifecycle: Type.String(),
  resources: Type.Array(PortalResource),
  versions: Type.Array(Type.Object({ id: Type.String(), version: Type.String(), lifecycle: Type.String() }), { description: 'versions of the same context path this member sees, this one included' }),
  endpoints: Type.Array(Type.Object({ environment: Type.String(), displayName: Type.String(), url: Type.String(), revision: Type.Integer() }), { description: 'environments where the API is deployed, in promotion order' }),
});

export async function portalApiView(store: Store, org: Organization, api: Api, siblings: Api[]) {
  const [component, projects, environments, active] = await Promise.all([
    store.projects.componentById(org.id, api.id), store.projects.list(org.id), store.orgs.environments(org.id), store.deployments.activeForApi(org.id, api.id),
  ]);
  const project = projects.find((p) => p.id === component?.projectId);
  return {
    id: api.id,
    name: component?.displayName ?? '',
    ref: project && component ? `${project.name}/${component.name}` : api.id,
    description: component?.description ?? '',
    contextPath: api.contextPath, version: api.version, visibility: api.visibility, lifecycle: api.lifecycle,
    resources: api.resources.map((r) => ({ method: r.method, path: r.path, ...(r.summary !== undefined && { summary: r.summary }), oauth2: r.security.oauth2, scopes: r.security.scopes })),
    versions: siblings.filter((s) => s.contextPath === api.contextPath).map((s) => ({ id: s.id, version: s.version, lifecycle: s.lifecycle })),
    endpoints: environments.flatMap((e) => {
      const deployment = active.find((d) => d.environmentId === e.id);
      return deployment ? [{ environment: e.name, displayName: e.displayName, url: endpointUrl(e, org, api), revision: deployment.revisionNumber }] : [];
    }),
  };
}
