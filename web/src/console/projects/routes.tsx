import type { RouteObject } from 'react-router';

/** Pages of this area, relative to `/console/o/:org/`. */
export const routes: RouteObject[] = [];
