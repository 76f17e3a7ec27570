import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../shared/clock.js';
import { ApiError } from '../shared/errors.js';
import type { ControlPlaneDeps } from './context.js';

export const SESSION_COOKIE = 'drawbridge_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Personal API tokens carry this prefix so secret scanners can find leaked ones. */
export const API_TOKEN_PREFIX = 'dbp_';

/** Resolves the caller from a personal API token or the console's session cookie. */
export function authenticate(deps: ControlPlaneDeps) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header);
      const user = match?.[1] && (await deps.store.users.userByApiToken(match[1]));
      if (!user) throw new ApiError('unauthenticated', 'The API token is invalid or revoked');
      request.user = user;
      return;
    }
    const session = request.cookies?.[SESSION_COOKIE];
    if (session) request.user = (await deps.store.users.userBySession(session)) ?? null;
    if (!request.user && !request.routeOptions.config.public) {
      throw new ApiError('unauthenticated', 'Sign in or send a personal API token as "Authorization: Bearer <token>"');
    }
  };
}

interface Attempts { failures: number; lockedUntil: number; last: number }

/**
 * Slows password guessing: after a few failures for the same account or the
 * same client address, further attempts are refused for a period that doubles
 * with every failure (capped at 15 minutes). Kept in memory per node.
 */
export class LoginThrottle {
  private readonly entries = new Map<string, Attempts>();

  constructor(private readonly clock: Clock, private readonly freeFailures = 5) {}

  /** Milliseconds to wait before the next attempt for any of the keys; 0 when allowed. */
  retryAfter(keys: string[]): number {
    const now = this.clock.now();
    return Math.max(0, ...keys.map((k) => (this.entries.get(k)?.lockedUntil ?? 0) - now));
  }

  fail(keys: string[]): void {
    const now = this.clock.now();
    for (const key of keys) {
      const e = this.entries.get(key);
      const fresh = !e || now - e.last > 60 * 60 * 1000;
      const failures = fresh ? 1 : e.failures + 1;
      const over = failures - this.freeFailures;
      const lockedUntil = over > 0 ? now + Math.min(15 * 60 * 1000, 1000 * 2 ** (over - 1)) : 0;
      this.entries.set(key, { failures, lockedUntil, last: now });
    }
    if (this.entries.size > 100_000) this.prune(now);
  }

  succeed(keys: string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  private prune(now: number): void {
    for (const [key, e] of this.entries) if (now - e.last > 60 * 60 * 1000) this.entries.delete(key);
  }
}
