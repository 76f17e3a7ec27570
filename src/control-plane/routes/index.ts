import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ControlPlaneDeps } from '../context.js';
import { authRoutes } from './auth.js';
import { organizationRoutes } from './organizations.js';
import { auditRoutes } from './audit.js';
import { componentRoutes } from './components.js';
import { environmentRoutes } from './environments.js';
import { identityProviderRoutes } from './identity-providers.js';
import { memberRoutes } from './members.js';
import { projectRoutes } from './projects.js';
import { apiDefinitionRoutes } from './apis.js';
import { deploymentRoutes } from './deployments.js';
import { policyRoutes } from './policies.js';
import { subscriptionRoutes } from './subscriptions.js';
import { portalRoutes } from './portal.js';
import { connectionRoutes } from './connections.js';

/** Every management API route module, mounted under /api/v1. */
export const apiRoutes = (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox => async (app) => {
  await app.register(authRoutes(deps));
  await app.register(organizationRoutes(deps));
  await app.register(memberRoutes(deps));
  await app.register(environmentRoutes(deps));
  await app.register(identityProviderRoutes(deps));
  await app.register(projectRoutes(deps));
  await app.register(componentRoutes(deps));
  await app.register(apiDefinitionRoutes(deps));
  await app.register(deploymentRoutes(deps));
  await app.register(subscriptionRoutes(deps));
  await app.register(portalRoutes(deps));
  await app.register(connectionRoutes(deps));
  await app.register(policyRoutes(deps));
  await app.register(auditRoutes(deps));
};
