import type { RouteObject } from 'react-router';

/** Pages of the developer portal, relative to `/portal/o/:org/`. */
export const routes: RouteObject[] = [];
