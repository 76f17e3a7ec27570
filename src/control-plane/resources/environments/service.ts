import { notFound } from '../../../shared/errors.js';
import type { Store } from '../../../store/index.js';
import type { Environment } from '../../../store/repos/organizations.js';

export async function environmentByName(store: Store, orgId: string, name: string): Promise<Environment> {
  const env = await store.orgs.environment(orgId, name);
  if (!env) throw notFound(`Environment "${name}"`);
  return env;
}
