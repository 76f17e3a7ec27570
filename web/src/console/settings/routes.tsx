import type { RouteObject } from 'react-router';
import { AuditPage } from './audit-page';
import { IdpListPage } from './idp-list-page';
import { IdpNewPage } from './idp-new-page';
import { IdpPage } from './idp-page';
import { MembersPage } from './members-page';

/** Pages of this area, relative to `/console/o/:org/`. */
export const routes: RouteObject[] = [
  { path: 'settings/identity-providers', element: <IdpListPage /> },
  // Not under identity-providers/: a provider may well be named "new".
  { path: 'settings/add-identity-provider', element: <IdpNewPage /> },
  { path: 'settings/identity-providers/:idp', element: <IdpPage /> },
  { path: 'members', element: <MembersPage /> },
  { path: 'audit', element: <AuditPage /> },
];
