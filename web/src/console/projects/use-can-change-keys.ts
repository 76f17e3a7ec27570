import { useSession } from '../../auth/session';
import { useCurrentOrg } from '../../orgs/orgs';
import type { ConsumerApplication } from './queries';

/**
 * Organization admins and the application's owner (the member who created the
 * consumer) change its keys; every member sees them. Mirrors the API's rule.
 * Undefined while the application or the member's organizations load: render
 * neither the actions nor the read-only note until it is known.
 */
export function useCanChangeKeys(application: ConsumerApplication | undefined): boolean | undefined {
  const org = useCurrentOrg();
  const { user } = useSession();
  if (!application || !org) return undefined;
  return org.isAdmin || application.ownerUserId === user.id;
}
