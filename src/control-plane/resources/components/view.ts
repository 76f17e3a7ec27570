import type { Store } from '../../../store/index.js';
import type { Organization } from '../../../store/repos/organizations.js';
import type { Component, Project } from '../../../store/repos/projects.js';
import { componentAuthentication } from '../credentials/view.js';

export const componentView = (c: Component, project: Project) => ({
  id: c.id,
  project: project.name,
  type: c.type,
  name: c.name,
  displayName: c.displayName,
  description: c.description,
  createdAt: c.createdAt,
  updatedAt: c.updatedAt,
});

/**
 * The overview of a component: the component itself plus, per environment in
 * promotion order, what that environment holds for it. The one place that
 * builds it; creation and `GET` both answer with it.
 */
export async function componentOverview(store: Store, org: Organization, project: Project, component: Component) {
  const environments = await store.orgs.environments(org.id);
  const authentication = await componentAuthentication(store, org.id, component.id);
  return {
    ...componentView(component, project),
    environments: environments.map((e) => ({ name: e.name, displayName: e.displayName, position: e.position, ...(authentication.has(e.name) && { authentication: authentication.get(e.name) }) })),
  };
}
