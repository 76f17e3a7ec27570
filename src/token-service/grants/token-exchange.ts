import type { IdpKeyCache } from '../../shared/idp-keys/cache.js';
import { createIdpKeyCache } from '../../shared/idp-keys/runtime.js';
import { decodeJwt, unverifiedAudiences, unverifiedIssuer, type DecodedJwt } from '../../shared/idp-keys/jwt-decode.js';
import { acceptsIssuer, issuerCandidates, verifyIdpToken, type ExpectedTokenType, type StepResult, type VerifiedIdpToken } from '../../shared/idp-keys/verify.js';
import { gatewayAudience } from '../../shared/jwt/index.js';
import { InvalidRequest, InvalidTarget, TemporarilyUnavailable } from '../../shared/oauth-errors.js';
import type { Store } from '../../store/index.js';
import type { IdentityProvider } from '../../store/repos/identity-providers.js';
import type { AuthenticatedClient, GrantContext, GrantDeps, GrantFactory } from './grant.js';
import { TOKEN_EXCHANGE } from './grant-types.js';

/**
 * RFC 8693 token exchange: a client trades a JWT from one of ITS
 * organization's identity providers for a platform access token for the
 * same end user (`sub` from the subject token, `idp` = the provider's name).
 *
 * Errors (RFC 8693 §2.2.2): a subject token that fails any check is
 * `invalid_request`, an `audience`/`resource` the service will not issue
 * for is `invalid_target`; the description names the failed check and never
 * contains the token. Keys that cannot be fetched (or are stale) are a
 * server-side condition: `temporarily_unavailable`.
 */
const TOKEN_TYPE = {
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
} as const;

const SUBJECT_TOKEN_TYPES: Readonly<Record<string, ExpectedTokenType>> = {
  [TOKEN_TYPE.jwt]: 'jwt',
  [TOKEN_TYPE.accessToken]: 'access_token',
  [TOKEN_TYPE.idToken]: 'id_token',
};

/** The grant may be given the platform's shared key cache; otherwise it keeps its own. */
export type TokenExchangeDeps = GrantDeps & { idpKeys?: IdpKeyCache };

// --- steps -----------------------------------------------------------------

function checkRequestedType(ctx: GrantContext): void {
  const requested = ctx.params.get('requested_token_type');
  if (requested !== undefined && requested !== TOKEN_TYPE.accessToken) {
    throw new InvalidRequest(`requested_token_type ${JSON.stringify(requested.slice(0, 100))} cannot be issued; only ${TOKEN_TYPE.accessToken} is supported`);
  }
}

function checkActor(ctx: GrantContext): void {
  const token = ctx.params.has('actor_token');
  const type = ctx.params.has('actor_token_type');
  if (token && !type) throw new InvalidRequest('actor_token_type is required when actor_token is present');
  if (type && !token) throw new InvalidRequest('actor_token_type must not be sent without actor_token');
  if (token) throw new InvalidRequest('Delegation (actor_token) is not supported; send only the subject token');
}

function subjectTokenType(ctx: GrantContext): ExpectedTokenType {
  const declared = ctx.params.require('subject_token_type');
  const expected = SUBJECT_TOKEN_TYPES[declared];
  if (!expected) throw new InvalidRequest(`subject_token_type must be one of ${Object.keys(SUBJECT_TOKEN_TYPES).join(', ')}`);
  return expected;
}

/**
 * Every `audience` (RFC 8693 allows several, repeats included) must name this
 * environment's gateway audience; every `resource` must be an absolute URI
 * without a fragment (RFC 8693 §2.1) under this organization's path on the
 * environment's gateway: `<gateway URL>/<org handle>/…`, where its APIs are
 * served. The gateway root and other organizations' paths are not targets.
 */
function checkTarget(ctx: GrantContext): void {
  const { client } = ctx;
  const expected = gatewayAudience(client.org.id, client.environment.name);
  for (const audience of ctx.params.all('audience')) {
    if (audience !== expected) throw new InvalidTarget(`Tokens can only be issued for audience ${expected} (this client's environment "${client.environment.name}")`);
  }
  const resources = ctx.params.all('resource');
  if (resources.length === 0) return;
  const gateway = new URL(client.environment.gatewayUrl);
  const orgPath = `${gateway.pathname.replace(/\/+$/, '')}/${client.org.handle}`;
  const shown = `${gateway.origin}${orgPath}/`;
  for (const resource of resources) {
    if (resource.includes('#')) throw new InvalidTarget('The resource parameter must not contain a fragment (RFC 8693 §2.1)');
    let url: URL;
    try {
      url = new URL(resource);
    } catch {
      throw new InvalidTarget('The resource parameter must be an absolute URI (RFC 8693 §2.1)');
    }
    // Compared parsed: `..` segments are resolved and the host is lower-cased before the prefix test.
    const under = url.origin === gateway.origin && !url.username && !url.password && (url.pathname === orgPath || url.pathname.startsWith(`${orgPath}/`));
    if (!under) throw new InvalidTarget(`Tokens can only be issued for resources of this organization's APIs on the ${client.environment.name} gateway (${shown}…)`);
  }
}

function decodeSubject(ctx: GrantContext): DecodedJwt {
  const decoded = decodeJwt(ctx.params.require('subject_token'));
  if ('step' in decoded) throw new InvalidRequest(`The subject token was refused (format): ${decoded.message}`);
  return decoded;
}

/** How long a node reuses an organization's IdP list (ms). Changes made through this node apply at once. */
const IDP_LIST_CACHE_MS = 1000;
const MAX_CACHED_ORGS = 10_000;

/**
 * Each organization's identity providers, held for IDP_LIST_CACHE_MS of real
 * (monotonic) time like the client cache, so the exchange path does no
 * database query per request: a busy organization costs one IdP list read
 * per second per node. Any committed IdP change (the store's change feed,
 * which carries other nodes' changes too) drops every list at once; should a
 * notice be late, a change applies within a second. Concurrent misses of
 * one organization share one read.
 */
class IdpListCache {
  private readonly entries = new Map<string, { idps: Promise<IdentityProvider[]>; at: number; generation: number }>();

  /** Moves on every committed IdP change (the store's change feed). */
  private generation = 0;

  constructor(private readonly store: Store) {
    store.changes.subscribe(({ changes }) => {
      if (changes.some((c) => c.kind === 'identityProviders' || c.kind === 'everything')) this.generation++;
    });
  }

  list(orgId: string): Promise<IdentityProvider[]> {
    const now = performance.now();
    const generation = this.generation;
    const hit = this.entries.get(orgId);
    if (hit && hit.generation === generation && now - hit.at < IDP_LIST_CACHE_MS) return hit.idps;
    if (this.entries.size >= MAX_CACHED_ORGS) this.entries.clear();
    const idps = this.store.identityProviders.list(orgId);
    const entry = { idps, at: now, generation };
    this.entries.set(orgId, entry);
    // A failed read is not kept.
    idps.catch(() => {
      if (this.entries.get(orgId) === entry) this.entries.delete(orgId);
    });
    return idps;
  }
}

/**
 * The IdP of the CLIENT's organization with the token's issuer, matched in
 * memory against the cached list. Among several, the one that accepts this
 * exact issuer (a template only with an allowed tenant) and one of the
 * token's audiences, then any with a matching audience, then the first.
 */
async function findIdp(idpLists: IdpListCache, client: AuthenticatedClient, decoded: DecodedJwt): Promise<IdentityProvider> {
  const iss = unverifiedIssuer(decoded);
  if (iss === undefined) throw new InvalidRequest('The subject token was refused (issuer): it has no "iss" claim');
  const candidates = issuerCandidates(await idpLists.list(client.org.id), iss);
  if (candidates.length === 0) {
    throw new InvalidRequest(`The subject token was refused (issuer): ${JSON.stringify(iss.slice(0, 200))} is not the issuer of any identity provider of this organization`);
  }
  if (candidates.length === 1) return candidates[0]!;
  const auds = unverifiedAudiences(decoded);
  const audienceMatch = (idp: IdentityProvider) => idp.audiences.some((a) => auds.includes(a));
  return candidates.find((idp) => acceptsIssuer(idp, iss) && audienceMatch(idp)) ?? candidates.find(audienceMatch) ?? candidates[0]!;
}

function refusal(failure: StepResult): Error {
  if (failure.code === 'keys_stale' || failure.code === 'keys_unavailable') return new TemporarilyUnavailable(failure.message, failure.code);
  return new InvalidRequest(`The subject token was refused (${failure.step}): ${failure.message}`, failure.code);
}

async function verifySubject(keys: IdpKeyCache, deps: GrantDeps, idp: IdentityProvider, decoded: DecodedJwt, expected: ExpectedTokenType): Promise<VerifiedIdpToken> {
  const result = await verifyIdpToken(idp, decoded, { keys, clock: deps.clock, expectedType: expected });
  if (!result.ok) throw refusal(result.failure);
  return result.token;
}

/**
 * Seconds the subject token has left. Verification tolerates `exp` up to the
 * IdP's clock skew in the past; a token that has expired by our clock is
 * still refused here, since the issued token may never outlive it.
 */
function remainingLife(subject: VerifiedIdpToken, nowMs: number): number {
  const remaining = Math.floor(subject.expiresAt - nowMs / 1000);
  if (remaining <= 0) {
    throw new InvalidRequest(
      `The subject token was refused (expiry): it expired at ${new Date(subject.expiresAt * 1000).toISOString()}; a token can only be exchanged while it is still valid`,
      'expired',
    );
  }
  return remaining;
}

// --- the grant: a flat list of the steps above ------------------------------

export const tokenExchangeGrant: GrantFactory = (grantDeps) => {
  const deps = grantDeps as TokenExchangeDeps;
  const keys =
    deps.idpKeys ??
    createIdpKeyCache({
      allowPrivate: deps.config.allowPrivateIdpUrls,
      clock: deps.clock,
      persistence: deps.store.identityProviders,
      logger: deps.logger,
    });
  const idpLists = new IdpListCache(deps.store);
  return {
    type: TOKEN_EXCHANGE,
    async handle(ctx) {
      checkRequestedType(ctx);
      checkActor(ctx);
      const expected = subjectTokenType(ctx);
      checkTarget(ctx);
      const decoded = decodeSubject(ctx);
      const idp = await findIdp(idpLists, ctx.client, decoded);
      const subject = await verifySubject(keys, deps, idp, decoded, expected);
      const remaining = remainingLife(subject, deps.clock.now());
      const scope = ctx.resolveScope(ctx.params.get('scope'));
      const issued = await ctx.issueAccessToken({ subject: subject.subject, scope, maxLifetime: remaining, idp: idp.name });
      return { access_token: issued.token, issued_token_type: TOKEN_TYPE.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope };
    },
  };
};
