import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ControlPlaneDeps } from '../context.js';
import { authRoutes } from './auth.js';
import { organizationRoutes } from './organizations.js';

/** Every management API route module, mounted under /api/v1. */
export const apiRoutes = (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox => async (app) => {
  await app.register(authRoutes(deps));
  await app.register(organizationRoutes(deps));
};
