import { Navigate, useRoutes, type RouteObject } from 'react-router';
import { NotFoundPage } from '../ui/route-error';
import { RequireSession } from '../auth/session';
import { CreateOrgPage } from '../orgs/create-org-page';
import { OrgIndex } from '../orgs/org-index';
import { Shell, type NavItem } from '../shell/app-shell';
import { routes } from './routes';

const nav: NavItem[] = [
  { label: 'APIs', to: 'apis' },
  { label: 'Applications', to: 'applications' },
];

/** The developer portal (`/portal/`), for the people who build clients. Loaded on demand. */
export const portalRoutes: RouteObject[] = [
  {
    element: (
      <RequireSession area="portal">
        <Shell area="portal" title="Developer portal" nav={nav} other={{ label: 'Console', to: '/console/' }} />
      </RequireSession>
    ),
    children: [
      { index: true, element: <OrgIndex area="portal" /> },
      { path: '*', element: <NotFoundPage /> },
      { path: 'new-org', element: <CreateOrgPage area="portal" /> },
      { path: 'o/:org', children: [{ index: true, element: <Navigate to="apis" replace /> }, ...routes] },
    ],
  },
];

export function PortalArea() {
  return useRoutes(portalRoutes);
}
