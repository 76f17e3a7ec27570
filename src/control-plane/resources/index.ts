import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ControlPlaneDeps } from '../context.js';
import { authRoutes } from './auth/routes.js';
import { organizationRoutes } from './organizations/routes.js';
import { auditRoutes } from './audit/routes.js';
import { componentRoutes } from './components/routes.js';
import { credentialRoutes } from './credentials/routes.js';
import { signingKeyRoutes } from './signing-keys/routes.js';
import { environmentRoutes } from './environments/routes.js';
import { identityProviderRoutes } from './identity-providers/routes.js';
import { externalKeyRoutes } from './external-keys/routes.js';
import { memberRoutes } from './members/routes.js';
import { projectRoutes } from './projects/routes.js';
import { apiDefinitionRoutes } from './apis/routes.js';
import { deploymentRoutes } from './deployments/routes.js';
import { policyRoutes } from './policies/routes.js';
import { subscriptionRoutes } from './subscriptions/routes.js';
import { portalRoutes } from './portal/routes.js';
import { portalApplicationRoutes } from './applications/routes.js';
import { portalSubscriptionRoutes } from './subscriptions/portal-routes.js';
import { portalKeyRoutes } from './credentials/portal-routes.js';
import { portalTryItRoutes } from './try-it/routes.js';
import { connectionRoutes } from './connections/routes.js';
import { gatewayNodeRoutes } from './gateway-nodes/routes.js';

/**
 * Every management API route module, mounted under /api/v1: the one place
 * that imports route modules (each resource's `routes.ts`, and the portal's
 * `portal-routes.ts`). Route modules call services, never each other
 * (test/architecture/route-imports.test.ts).
 */
export const apiRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    await app.register(authRoutes(deps));
    await app.register(organizationRoutes(deps));
    await app.register(memberRoutes(deps));
    await app.register(environmentRoutes(deps));
    await app.register(identityProviderRoutes(deps));
    await app.register(externalKeyRoutes(deps));
    await app.register(projectRoutes(deps));
    await app.register(componentRoutes(deps));
    await app.register(credentialRoutes(deps));
    await app.register(signingKeyRoutes(deps));
    await app.register(apiDefinitionRoutes(deps));
    await app.register(deploymentRoutes(deps));
    await app.register(subscriptionRoutes(deps));
    await app.register(portalRoutes(deps));
    await app.register(portalApplicationRoutes(deps));
    await app.register(portalSubscriptionRoutes(deps));
    await app.register(portalKeyRoutes(deps));
    await app.register(portalTryItRoutes(deps));
    await app.register(connectionRoutes(deps));
    await app.register(policyRoutes(deps));
    await app.register(auditRoutes(deps));
    await app.register(gatewayNodeRoutes(deps));
  };
