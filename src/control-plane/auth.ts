import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../shared/clock.js';
import { digestEquals, sha256 } from '../shared/crypto.js';
import { ApiError } from '../shared/errors.js';
import type { ControlPlaneDeps } from './context.js';

export const SESSION_COOKIE = 'drawbridge_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Personal API tokens carry this prefix so secret scanners can find leaked ones. */
export const API_TOKEN_PREFIX = 'dbp_';
/** Header that carries the session's CSRF token on every state-changing request made with the session cookie. */
export const CSRF_HEADER = 'x-csrf-token';

/**
 * The CSRF token of a session: derived from the session token (which only the cookie
 * holds), so nothing more is stored and it dies with the session. The prefix keeps it
 * distinct from the session's stored hash.
 */
export const csrfTokenFor = (sessionToken: string): string => sha256(`drawbridge-csrf:${sessionToken}`);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Resolves the caller from a personal API token or the console's session cookie. */
export function authenticate(deps: ControlPlaneDeps) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      // The scheme name is case-insensitive (RFC 7235 section 2.1; RFC 6750 uses "Bearer").
      const match = /^bearer +([A-Za-z0-9_-]+)$/i.exec(header);
      const user = match?.[1] && (await deps.store.users.userByApiToken(match[1]));
      if (!user) throw new ApiError('unauthenticated', 'The API token is invalid or revoked');
      request.user = user;
      return;
    }
    const session = request.cookies?.[SESSION_COOKIE];
    if (session) request.user = (await deps.store.users.userBySession(session)) ?? null;
    // The cookie is SameSite=Strict; the header is the second line of defence (a cross-site
    // page can neither read the token nor set a custom header without a CORS preflight).
    if (request.user && session && !SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !digestEquals(sent, csrfTokenFor(session))) {
        throw new ApiError('forbidden', `A request signed in with the session cookie must send the session's CSRF token in the ${CSRF_HEADER} header`);
      }
    }
    if (!request.user && !request.routeOptions.config.public) {
      throw new ApiError('unauthenticated', 'Sign in or send a personal API token as "Authorization: Bearer <token>"');
    }
  };
}

interface Attempts {
  failures: number;
  lockedUntil: number;
  last: number;
}

const FORGET_AFTER_MS = 60 * 60 * 1000;
const MAX_LOCK_MS = 15 * 60 * 1000;

/** One reserved attempt; settle it with `fail()` or `succeed()`. `release()` gives the reservation back uncounted (no-op once settled). */
export interface ThrottledAttempt {
  fail(): void;
  succeed(): void;
  release(): void;
}

/**
 * Slows password guessing: after a few failures for the same account or the
 * same client address, further attempts are refused for a period that doubles
 * with every failure (capped at 15 minutes). Kept in memory per node.
 *
 * An attempt is reserved before the password is checked and counts as a
 * pending failure until it is settled, so guesses sent in parallel are limited
 * exactly like guesses sent one after the other.
 */
export class LoginThrottle {
  private readonly entries = new Map<string, Attempts>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly freeFailures = 5,
  ) {}

  /**
   * Reserves an attempt for every key. Returns `{ retryAfterMs }` (nothing reserved) when
   * a key is locked, or would be once the attempts already in flight for it failed.
   */
  begin(keys: string[]): { attempt: ThrottledAttempt } | { retryAfterMs: number } {
    const now = this.clock.now();
    let wait = 0;
    for (const key of keys) {
      const e = this.entries.get(key);
      wait = Math.max(wait, (e?.lockedUntil ?? 0) - now);
      const pending = this.inFlight.get(key) ?? 0;
      if (pending > 0) {
        const failures = e && now - e.last <= FORGET_AFTER_MS ? e.failures : 0;
        const lock = this.lockFor(failures + pending);
        if (lock > 0) wait = Math.max(wait, lock);
      }
    }
    if (wait > 0) return { retryAfterMs: wait };
    for (const key of keys) this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    let settled = false;
    const settle = (then: () => void) => {
      if (settled) return;
      settled = true;
      for (const key of keys) {
        const left = (this.inFlight.get(key) ?? 1) - 1;
        if (left > 0) this.inFlight.set(key, left);
        else this.inFlight.delete(key);
      }
      then();
    };
    return {
      attempt: {
        fail: () => settle(() => this.recordFailure(keys)),
        succeed: () =>
          settle(() => {
            for (const key of keys) this.entries.delete(key);
          }),
        release: () => settle(() => {}),
      },
    };
  }

  /** How long `failures` failures in a row lock the key (0: still free). */
  private lockFor(failures: number): number {
    const over = failures - this.freeFailures;
    return over > 0 ? Math.min(MAX_LOCK_MS, 1000 * 2 ** (over - 1)) : 0;
  }

  private recordFailure(keys: string[]): void {
    const now = this.clock.now();
    for (const key of keys) {
      const e = this.entries.get(key);
      const fresh = !e || now - e.last > FORGET_AFTER_MS;
      const failures = fresh ? 1 : e.failures + 1;
      const lock = this.lockFor(failures);
      this.entries.set(key, { failures, lockedUntil: lock > 0 ? now + lock : 0, last: now });
    }
    if (this.entries.size > 100_000) this.prune(now);
  }

  private prune(now: number): void {
    for (const [key, e] of this.entries) if (now - e.last > FORGET_AFTER_MS) this.entries.delete(key);
  }
}
