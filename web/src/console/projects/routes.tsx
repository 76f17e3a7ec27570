import type { RouteObject } from 'react-router';
import { ConfigureAuthenticationPage } from './configure-authentication-page';
import { ConsumerPage } from './consumer-page';
import { ProjectHomePage } from './project-home-page';
import { ProjectsPage } from './projects-page';

/** Pages of this area, relative to `/console/o/:org/`. */
export const routes: RouteObject[] = [
  { path: 'projects', element: <ProjectsPage /> },
  { path: 'projects/:project', element: <ProjectHomePage /> },
  { path: 'projects/:project/consumers/:component', element: <ConsumerPage /> },
  { path: 'projects/:project/consumers/:component/authentication/:env', element: <ConfigureAuthenticationPage /> },
];
