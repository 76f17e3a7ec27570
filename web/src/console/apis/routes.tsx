import { Navigate, type RouteObject } from 'react-router';
import { ApiLayout } from './api-layout';
import { ConnectionsPage } from './connections-page';
import { DeployPage } from './deploy-page';
import { OverviewPage } from './overview-page';
import { PoliciesPage } from './policies-page';

/** Pages of this area, relative to `/console/o/:org/`. */
export const routes: RouteObject[] = [
  {
    path: 'projects/:project/apis/:component',
    element: <ApiLayout />,
    children: [
      { index: true, element: <OverviewPage /> },
      { path: 'develop', element: <Navigate to="policies" replace /> },
      { path: 'develop/policies', element: <PoliciesPage /> },
      { path: 'deploy', element: <DeployPage /> },
    ],
  },
  { path: 'projects/:project/connections', element: <ConnectionsPage /> },
];
