import type { RouteObject } from 'react-router';
import { ApiPage } from './apis/api-page';
import { ApisPage } from './apis/apis-page';
import { ApplicationPage } from './applications/application-page';
import { ApplicationsPage } from './applications/applications-page';

/** Pages of the developer portal, relative to `/portal/o/:org/`. */
export const routes: RouteObject[] = [
  { path: 'apis', element: <ApisPage /> },
  { path: 'apis/:api', element: <ApiPage /> },
  { path: 'applications', element: <ApplicationsPage /> },
  { path: 'applications/:app', element: <ApplicationPage /> },
];
