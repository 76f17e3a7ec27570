import { useSession } from '../../auth/session';
import { useCurrentOrg } from '../../orgs/orgs';
import type { ConsumerApplication } from './queries';

/**
 * Organization admins and the application's owner (the member who created the
 * consumer) change its keys; every member sees them. Mirrors the API's rule.
 */
export function useCanChangeKeys(application: ConsumerApplication | undefined): boolean {
  const org = useCurrentOrg();
  const { user } = useSession();
  if (!application || !org) return false;
  return org.isAdmin || application.ownerUserId === user.id;
}
