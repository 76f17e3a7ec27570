import type { RouteObject } from 'react-router';
import { AuditPage } from './audit-page';
import { IdpListPage } from './idp-list-page';
import { IdpNewPage } from './idp-new-page';
import { IdpPage } from './idp-page';
import { MembersPage } from './members-page';

/** Pages of this area, relative to `/console/o/:org/`. */
export const routes: RouteObject[] = [
  { path: 'settings/identity-providers', element: <IdpListPage /> },
  { path: 'settings/identity-providers/new', element: <IdpNewPage /> },
  { path: 'settings/identity-providers/:idp', element: <IdpPage /> },
  { path: 'members', element: <MembersPage /> },
  { path: 'audit', element: <AuditPage /> },
];
