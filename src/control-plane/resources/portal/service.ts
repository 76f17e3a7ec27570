import { notFound } from '../../../shared/errors.js';
import type { Store } from '../../../store/index.js';
import type { Api } from '../../../store/repos/apis.js';
import type { OrgAccess } from '../../context.js';

/**
 * Which APIs a member may see in the developer portal (used by the portal,
 * subscriptions, connections and Try it).
 *
 * Visibility of a published API in the portal:
 * - `public`: every member of the organization;
 * - `private`: the organization's admins and the users on the API's portal
 *   allow-list (`/portal/apis/:api/access`, managed by admins).
 * An API one may not see is answered exactly like one that does not exist (404).
 */

/** Lifecycle states the portal shows; only `published` accepts new subscriptions. */
const LISTED = new Set(['published', 'deprecated']);

async function canSeeApi(store: Store, access: OrgAccess, api: Api): Promise<boolean> {
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
