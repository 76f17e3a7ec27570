import type { Config } from '../../../shared/config.js';
import type { Store } from '../../../store/index.js';
import type { Organization } from '../../../store/repos/organizations.js';
import type { User } from '../../../store/repos/users.js';
import { actorOf } from '../../context.js';

const DEFAULT_ENVIRONMENTS = [
  { name: 'development', displayName: 'Development' },
  { name: 'production', displayName: 'Production' },
];

/** The base URL a new environment's gateway serves: the configured listener's port on the public host. */
function defaultGatewayUrl(config: Config, environment: string): string {
  const listener = config.gateways.find((g) => g.environment === environment);
  const base = new URL(config.publicUrl);
  if (listener) base.port = String(listener.port);
  return base.origin;
}

/** Creates an organization with its creator as admin, a default project and the default promotion chain, atomically. */
export async function createOrganization(store: Store, config: Config, user: User, input: { name: string; handle: string }): Promise<Organization> {
  return store.transaction(async (tx) => {
    const org = await tx.orgs.create(input);
    await tx.orgs.addMember(org.id, user.id, 'admin');
    for (const env of DEFAULT_ENVIRONMENTS) {
      await tx.orgs.addEnvironment({ orgId: org.id, name: env.name, displayName: env.displayName, gatewayUrl: defaultGatewayUrl(config, env.name) });
    }
    await tx.projects.create({ orgId: org.id, name: 'default', displayName: 'Default project', isDefault: true });
    await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'organization.created', targetType: 'organization', targetId: org.id, details: { name: org.name, handle: org.handle } });
    return org;
  });
}
