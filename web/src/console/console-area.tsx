import { Navigate, useRoutes, type RouteObject } from 'react-router';
import { NotFoundPage } from '../ui/route-error';
import { RequireSession } from '../auth/session';
import { CreateOrgPage } from '../orgs/create-org-page';
import { OrgIndex } from '../orgs/org-index';
import { Shell, type NavItem } from '../shell/app-shell';
import { routes as apiRoutes } from './apis/routes';
import { routes as projectRoutes } from './projects/routes';
import { routes as settingsRoutes } from './settings/routes';

const nav: NavItem[] = [
  { label: 'Projects', to: 'projects' },
  { label: 'API Management', to: 'settings/identity-providers', section: 'settings/' },
  { label: 'Members', to: 'members' },
  { label: 'Audit', to: 'audit' },
];

/** The web console (`/console/`), for the platform team. Loaded on demand. */
export const consoleRoutes: RouteObject[] = [
  {
    element: (
      <RequireSession area="console">
        <Shell area="console" title="Console" nav={nav} other={{ label: 'Developer portal', to: '/portal/' }} />
      </RequireSession>
    ),
    children: [
      { index: true, element: <OrgIndex area="console" /> },
      { path: '*', element: <NotFoundPage /> },
      { path: 'new-org', element: <CreateOrgPage area="console" /> },
      {
        path: 'o/:org',
        // A new organization's work starts in its default project.
        children: [{ index: true, element: <Navigate to="projects/default" replace /> }, ...projectRoutes, ...apiRoutes, ...settingsRoutes],
      },
    ],
  },
];

export function ConsoleArea() {
  return useRoutes(consoleRoutes);
}
