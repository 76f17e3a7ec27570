import { isIP, type BlockList } from 'node:net';
import type { Clock } from '../shared/clock.js';
import { sha256 } from '../shared/crypto.js';
import { OAuthError } from '../shared/oauth-errors.js';
import { MemoryWindowCounter, type WindowCounter } from '../shared/window-counter.js';

/**
 * Brute-force protection of client authentication (RFC 6749 §2.3.1: the
 * token endpoint MUST protect against it), shared by the token,
 * introspection and revocation endpoints.
 *
 * Failed authentications (unknown client, wrong secret) are counted in fixed
 * windows (aligned to the epoch, so every node agrees on them) under three
 * keys: the client ID, the source address, and the pair. Before the secret is
 * looked at:
 * - an address with `perAddress` failures in the window is refused for every
 *   client until the window ends;
 * - a client ID with `perClient` failures is refused from every address that
 *   has failed for it in the window; addresses that have not (the client's
 *   own servers) are still served, so an attacker cannot lock a client out
 *   from elsewhere.
 * Refusals are 429 with `Retry-After` and an RFC 6749 error body, decided
 * without checking the secret, so a guess made while refused teaches nothing.
 * A success writes nothing and waits for nothing beyond the counter reads
 * (in memory per node, or in Redis for the cluster: `FailureCounter`).
 */

/**
 * Where failures are counted: the in-memory counter per node, or the Redis
 * one (shared/redis/window-counter.ts) when the installation has Redis, which
 * makes the limits cluster-wide.
 */
export type FailureCounter = Pick<WindowCounter, 'add' | 'get'>;

/** Counts per node. */
export class MemoryFailureCounter extends MemoryWindowCounter {}

export interface ThrottleSettings {
  /** Failures of one client ID per window before addresses that failed for it are refused (0: off). */
  perClient: number;
  /** Failures from one address per window before it is refused for every client (0: off). */
  perAddress: number;
  windowSeconds: number;
}

/** 429: too many failed client authentications. The body is RFC 6749 §5.2's `invalid_client`. */
export class TooManyFailedAuthentications extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status = 429;

  constructor(
    readonly retryAfterSeconds: number,
    detail: string,
  ) {
    super(`Too many failed client authentications; try again in ${retryAfterSeconds} s`, detail);
  }
}

/** Client IDs are keys as they are when short, hashed when long (their length is the caller's choice). */
const clientKey = (clientId: string): string => (clientId.length <= 256 ? clientId : sha256(clientId));

export class ClientAuthThrottle {
  private readonly windowMs: number;

  constructor(
    private readonly settings: ThrottleSettings,
    private readonly clock: Clock,
    private readonly counter: FailureCounter = new MemoryFailureCounter(),
  ) {
    this.windowMs = settings.windowSeconds * 1000;
  }

  get enabled(): boolean {
    return this.settings.perClient > 0 || this.settings.perAddress > 0;
  }

  private keys(clientId: string, address: string): [string, string, string] {
    const client = clientKey(clientId);
    return [`c:${client}`, `a:${address}`, `p:${client}\n${address}`];
  }

  /** Throws `TooManyFailedAuthentications` when this client ID or address is held back; the secret is not looked at then. */
  async check(clientId: string, address: string): Promise<void> {
    if (!this.enabled) return;
    const { perClient, perAddress } = this.settings;
    const [client, from, pair] = await this.counter.get(this.keys(clientId, address), this.windowMs, this.clock.now());
    let held: string | undefined;
    if (perAddress > 0 && from!.count >= perAddress) held = `address ${address}: ${from!.count} failures`;
    else if (perClient > 0 && client!.count >= perClient && pair!.count > 0) held = `client ${clientId.slice(0, 64)}: ${client!.count} failures, ${pair!.count} from ${address}`;
    if (held) throw new TooManyFailedAuthentications(Math.max(1, Math.ceil(client!.resetInMs / 1000)), held);
  }

  /** Counts one failed authentication of `clientId` from `address`. */
  async failed(clientId: string, address: string): Promise<void> {
    if (!this.enabled) return;
    await this.counter.add(this.keys(clientId, address), this.windowMs, this.clock.now());
  }
}

/**
 * The address a request came from: the direct peer, or, when that peer is a
 * trusted proxy (`DRAWBRIDGE_TRUSTED_PROXIES`), the right-most address of
 * `X-Forwarded-For` that is not one (the last hop a trusted proxy saw).
 */
export function sourceAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: BlockList | undefined): string {
  const direct = peer ?? 'unknown';
  if (!trusted || !isTrusted(trusted, direct) || forwardedFor === undefined) return direct;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return direct; // a malformed chain: do not guess
    if (!isTrusted(trusted, hop)) return hop;
  }
  return hops[0] ?? direct;
}

function isTrusted(list: BlockList, address: string): boolean {
  const bare = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(bare);
  return family !== 0 && list.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}
