import type { FastifyRequest } from 'fastify';
import type { Clock } from '../shared/clock.js';
import type { Config } from '../shared/config.js';
import type { MasterKey } from '../shared/crypto.js';
import { ApiError, forbidden, notFound } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Store } from '../store/index.js';
import type { Organization, Role } from '../store/repos/organizations.js';
import type { User } from '../store/repos/users.js';

/** What every control-plane route may use. Built once by the platform. */
export interface ControlPlaneDeps {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  masterKey: MasterKey;
  /** External identity providers' key cache, shared with the token service and the gateway (created by the platform). */
  idpKeys?: import('../shared/idp-keys/cache.js').IdpKeyCache;
  /** Base URL of this node's own gateway listener for an environment, if it runs one (the portal's Try it calls only these). */
  localGatewayUrl?: (environment: string) => string | undefined;
  /** The shared Redis when the installation has one (`DRAWBRIDGE_REDIS_URL`): throttles count for the whole cluster. */
  redis?: import('../shared/redis/link.js').RedisLink;
  /** The sign-in throttle (default: one per node, in memory). */
  signInThrottle?: import('./shared-login-throttle.js').SignInThrottle;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
  }
  interface FastifyContextConfig {
    /** Route answers without an authenticated user. */
    public?: boolean;
  }
}

export function requireUser(request: FastifyRequest): User {
  if (!request.user) throw new ApiError('unauthenticated', 'Sign in or send a personal API token as "Authorization: Bearer <token>"');
  return request.user;
}

/**
 * The installation administrator: the bootstrap user, whose login is `admin`
 * (created by `bootstrapAdmin` in src/platform.ts). No other user can have that
 * name (invited users need an email address), and there is no installation
 * role in the data model. Installation-wide things (signing keys, the
 * installation audit log) are for this user only.
 */
export const INSTALLATION_ADMIN = 'admin';

/** Refuses (403, with `message`) anyone but the installation administrator. */
export function requireInstallationAdmin(user: User, message: string): User {
  if (user.email !== INSTALLATION_ADMIN) throw forbidden(message);
  return user;
}

export interface OrgAccess {
  user: User;
  org: Organization;
  role: Role;
}

/**
 * Resolves an organization by handle for the current user. Non-members get a
 * 404, the same as for an organization that does not exist, so handles of
 * other tenants cannot be probed.
 */
export async function orgAccess(store: Store, request: FastifyRequest, handle: string, need: Role | 'member' = 'member'): Promise<OrgAccess> {
  const user = requireUser(request);
  const org = await store.orgs.byHandle(handle);
  const role = org && (await store.orgs.membership(org.id, user.id));
  if (!org || !role) throw notFound('Organization');
  if (need === 'admin' && role !== 'admin') throw forbidden('Only organization admins can do this');
  return { user, org, role };
}

/** The audit actor label for a user. */
export const actorOf = (user: User) => ({ actorId: user.id, actor: user.email });
