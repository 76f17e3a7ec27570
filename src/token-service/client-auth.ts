import type { FastifyRequest } from 'fastify';
import type { Clock } from '../shared/clock.js';
import { digestEquals, randomToken, sha256 } from '../shared/crypto.js';
import { InvalidClient, InvalidRequest } from '../shared/oauth-errors.js';
import type { Store } from '../store/index.js';
import type { ClientRecord, CredentialSecrets } from '../store/repos/credentials.js';
import { decodeFormComponent, type FormParams } from './form.js';
import type { AuthenticatedClient } from './grants/grant.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

export interface PresentedClient {
  clientId: string;
  secret: string;
  method: ClientAuthMethod;
}

/** Compared against when the client does not exist, so both paths do the same work. */
const DUMMY_HASH = sha256(randomToken(32));

/**
 * `Authorization: Basic base64(form-urlencode(id) ":" form-urlencode(secret))`
 * (RFC 6749 §2.3.1). Anything malformed is `invalid_request`.
 */
export function parseBasic(header: string): { clientId: string; secret: string } {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match?.[1]) throw new InvalidRequest('The Authorization header is not valid Basic credentials');
  const decoded = Buffer.from(match[1], 'base64');
  if (decoded.toString('base64').replace(/=+$/, '') !== match[1].replace(/=+$/, '')) {
    throw new InvalidRequest('The Authorization header is not valid Basic credentials');
  }
  const text = decoded.toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) throw new InvalidRequest('The Basic credentials must be "client_id:client_secret"');
  try {
    return { clientId: decodeFormComponent(text.slice(0, colon)), secret: decodeFormComponent(text.slice(colon + 1)) };
  } catch {
    throw new InvalidRequest('The Basic credentials are not valid form-urlencoded (RFC 6749 §2.3.1)');
  }
}

/**
 * Which client credentials the request presents, refusing ambiguity: exactly
 * one method (RFC 6749 §2.3: "MUST NOT use more than one authentication method").
 */
export function presentedClient(request: FastifyRequest, params: FormParams): PresentedClient {
  const header = request.headers.authorization;
  const inBody = params.has('client_secret');
  if (header !== undefined) {
    // Two methods is a malformed request whatever the header's scheme (400 before 401).
    if (inBody) throw new InvalidRequest('Use one client authentication method: both an Authorization header and client_secret were sent');
    if (!/^Basic(?: |$)/i.test(header)) throw new InvalidClient('Authenticate the client with HTTP Basic (client_secret_basic) or client_secret_post');
    const basic = parseBasic(header);
    const bodyId = params.get('client_id');
    if (bodyId !== undefined && bodyId !== basic.clientId) throw new InvalidRequest('client_id in the body does not match the Authorization header');
    return { ...basic, method: 'client_secret_basic' };
  }
  const clientId = params.get('client_id');
  if (inBody) {
    if (clientId === undefined) throw new InvalidRequest('The client_id parameter is required with client_secret');
    return { clientId, secret: params.require('client_secret'), method: 'client_secret_post' };
  }
  throw new InvalidClient('Client authentication is required (client_secret_basic or client_secret_post)');
}

/** Compares in constant time against the current and (during a grace period) the previous secret. */
function secretMatches(secrets: CredentialSecrets | undefined, presentedHash: string, nowIso: string): boolean {
  const current = digestEquals(presentedHash, secrets?.secretHash ?? DUMMY_HASH);
  const previous = digestEquals(presentedHash, secrets?.previousSecretHash ?? DUMMY_HASH);
  const previousValid = previous && secrets?.previousSecretExpiresAt != null && secrets.previousSecretExpiresAt > nowIso;
  return secrets !== undefined && (current || previousValid);
}

/** How long a node reuses a client record it read (ms). Changes made through this node apply at once. */
const CLIENT_CACHE_MS = 1000;
const MAX_CACHED_CLIENTS = 10_000;

/**
 * A short-lived cache of client records, so a busy client does not cost a
 * database query per token. Entries live CLIENT_CACHE_MS of real (monotonic)
 * time: a secret regenerated on another node stops working here within a
 * second. Unknown clients are not cached (random IDs must not fill memory).
 */
export class ClientCache {
  private readonly entries = new Map<string, { record: ClientRecord; at: number }>();
  /** Moves on every change notice; a record read before a notice is used once but not cached. */
  private generation = 0;
  private readonly unsubscribe: () => void;

  constructor(private readonly store: Store) {
    // Any committed secret or settings change, here or on another node, empties the cache (changes are rare).
    this.unsubscribe = store.changes.subscribe(({ changes }) => {
      if (!changes.some((c) => c.kind === 'credentials' || c.kind === 'everything')) return;
      this.generation++;
      this.entries.clear();
    });
  }

  async lookup(clientId: string): Promise<ClientRecord | undefined> {
    const now = performance.now();
    const hit = this.entries.get(clientId);
    if (hit && now - hit.at < CLIENT_CACHE_MS) return hit.record;
    const generation = this.generation;
    const record = await this.store.credentials.forClientAuth(clientId);
    if (!record) {
      this.entries.delete(clientId);
      return undefined;
    }
    // A change noticed while the query ran may postdate what it read: do not keep that.
    if (generation !== this.generation) return record;
    if (this.entries.size >= MAX_CACHED_CLIENTS) this.entries.clear();
    this.entries.set(clientId, { record, at: now });
    return record;
  }

  close(): void {
    this.unsubscribe();
    this.entries.clear();
  }
}

/**
 * Resolves a presented client to its credential. Unknown client and wrong
 * secret fail the same way, after the same comparisons.
 */
export async function authenticateClient(clients: ClientCache, clock: Clock, presented: PresentedClient): Promise<AuthenticatedClient> {
  const record = presented.clientId.length <= 256 ? await clients.lookup(presented.clientId) : undefined;
  const hash = sha256(presented.secret);
  if (!secretMatches(record?.secrets, hash, new Date(clock.now()).toISOString()) || !record) {
    throw new InvalidClient('Client authentication failed', record ? `wrong secret for ${presented.clientId}` : 'unknown client');
  }
  return { clientId: presented.clientId, credential: record.credential, application: record.application, org: record.org, environment: record.environment };
}
