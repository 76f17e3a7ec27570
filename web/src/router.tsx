import { createBrowserRouter, Navigate } from 'react-router';
import { SignInPage } from './auth/sign-in-page';
import { PageLoader } from './ui/page-state';
import { NotFoundPage, RouteError } from './ui/route-error';

/** Both areas in one app; each area's pages load as their own chunk on its first visit. */
export const router = createBrowserRouter([
  {
    path: '/',
    errorElement: <RouteError />,
    hydrateFallbackElement: <PageLoader />,
    children: [
      { index: true, element: <Navigate to="/console/" replace /> },
      { path: 'console/login', element: <SignInPage area="console" /> },
      { path: 'portal/login', element: <SignInPage area="portal" /> },
      { path: 'console/*', lazy: async () => ({ Component: (await import('./console/console-area')).ConsoleArea }) },
      { path: 'portal/*', lazy: async () => ({ Component: (await import('./portal/portal-area')).PortalArea }) },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);
