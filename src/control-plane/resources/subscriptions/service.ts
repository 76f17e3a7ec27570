import { conflict, notFound } from '../../../shared/errors.js';
import { isUniqueViolation, type Store } from '../../../store/index.js';
import type { Api } from '../../../store/repos/apis.js';
import type { Organization } from '../../../store/repos/organizations.js';
import type { Subscription } from '../../../store/repos/subscriptions.js';
import type { User } from '../../../store/repos/users.js';
import { actorOf, type OrgAccess } from '../../context.js';
import { findApiRef, visibleApi } from '../portal/service.js';

/**
 * The API a member may subscribe an application to, by the portal's rules: a
 * developer names only APIs they see in the portal (public published or
 * deprecated ones, private ones they are allowed), anything else is 404 as if
 * it did not exist. Admins see every API of the organization, so they get
 * `subscribe`'s 409 for one that is not published.
 */
export async function subscribableApi(store: Store, access: OrgAccess, ref: string): Promise<Api> {
  if (access.role !== 'admin') return visibleApi(store, access, ref);
  const api = await findApiRef(store, access.org.id, ref);
  if (!api) throw notFound('API');
  return api;
}

/**
 * Subscribes an application to a published API, on the caller's transaction
 * (connections make it with the connection). Returns the existing
 * subscription when there is one. The one place that creates subscriptions.
 */
export async function subscribe(store: Store, org: Organization, user: User, applicationId: string, api: Api): Promise<{ subscription: Subscription; created: boolean }> {
  if (api.lifecycle !== 'published') {
    throw conflict(`The API is ${api.lifecycle}; only published APIs accept new subscriptions`, { api: `is ${api.lifecycle}, not published` });
  }
  const existing = await store.subscriptions.find(org.id, applicationId, api.id);
  if (existing) return { subscription: existing, created: false };
  const subscription = await store.subscriptions.create({ orgId: org.id, applicationId, apiId: api.id, createdBy: user.email });
  await store.audit.record({ orgId: org.id, ...actorOf(user), action: 'subscription.created', targetType: 'subscription', targetId: subscription.id, details: { applicationId, apiId: api.id } });
  return { subscription, created: true };
}

/**
 * Removes a subscription, on the caller's transaction; the caller has checked
 * that they may manage its application. Refused (409) while a connection
 * relies on it: deleting the connection removes it instead.
 */
export async function unsubscribe(tx: Store, access: OrgAccess, subscription: Subscription): Promise<void> {
  const { org, user } = access;
  const connections = await tx.connections.forSubscription(org.id, subscription.applicationId, subscription.apiId);
  if (connections.length)
    throw conflict(`Connection(s) ${connections.map((c) => `"${c.name}"`).join(', ')} rely on this subscription; delete them instead`, { subscription: 'is used by a connection' });
  if (!(await tx.subscriptions.delete(org.id, subscription.id))) throw notFound('Subscription');
  await tx.audit.record({
    orgId: org.id,
    ...actorOf(user),
    action: 'subscription.deleted',
    targetType: 'subscription',
    targetId: subscription.id,
    details: { applicationId: subscription.applicationId, apiId: subscription.apiId },
  });
}

/**
 * `subscribe` on its own transaction, for the subscription routes of the
 * management API and the portal: a concurrent request that made the same
 * subscription first is answered with it (not created).
 */
export async function subscribeApplication(store: Store, org: Organization, user: User, applicationId: string, api: Api): Promise<{ subscription: Subscription; created: boolean }> {
  try {
    return await store.transaction((tx) => subscribe(tx, org, user, applicationId, api));
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return { subscription: (await store.subscriptions.find(org.id, applicationId, api.id))!, created: false };
  }
}
