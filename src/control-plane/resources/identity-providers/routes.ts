import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { ApiError, conflict, notFound, unprocessable } from '../../../shared/errors.js';
import type { IdpKeyCache } from '../../../shared/idp-keys/cache.js';
import { discoverProvider, type DiscoveredProvider } from '../../../shared/idp-keys/discovery.js';
import { CLOCK_SKEW, IDP_KINDS, IDP_PRESETS, MAX_TOKEN_AGE, TENANT_PLACEHOLDER, TOKEN_TYPINGS, type IdpKind, type TokenTyping } from '../../../shared/idp-keys/presets.js';
import { createIdpKeyCache } from '../../../shared/idp-keys/runtime.js';
import { verifyIdpToken, type ExpectedTokenType } from '../../../shared/idp-keys/verify.js';
import { checkFetchTarget, SafeFetchError, type SafeFetchErrorCode } from '../../../shared/safe-fetch.js';
import { isUniqueViolation, type Store } from '../../../store/index.js';
import type { IdentityProvider, IdentityProviderPatch } from '../../../store/repos/identity-providers.js';
import type { Organization } from '../../../store/repos/organizations.js';
import { actorOf, orgAccess, type ControlPlaneDeps } from '../../context.js';
import { sendApiError } from '../../errors.js';
import { Body, Description, HttpUrl, OrgParams, Slug } from '../../schemas.js';

/**
 * Organization identity providers (`/orgs/:org/identity-providers`). Admins
 * manage them; developers may list and read them and ask `explain`.
 */

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Kind = literals(IDP_KINDS);
const Typing = literals(TOKEN_TYPINGS);
const ClaimName = Type.String({ pattern: '^[A-Za-z0-9_.:/-]{1,100}$', description: 'a JWT claim name' });
const Audience = Type.String({ minLength: 1, maxLength: 500 });
const Issuer = Type.String({ minLength: 1, maxLength: 2000, description: `issuer URL; Microsoft multi-tenant: a template containing ${TENANT_PLACEHOLDER}` });
const TenantId = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });

const settable = {
  description: Type.Optional(Description),
  wellKnownUrl: Type.Optional(HttpUrl),
  issuer: Type.Optional(Issuer),
  issuerOverride: Type.Optional(Type.Boolean({ description: 'accept an issuer that differs from the one the well-known URL was built from (RFC 8414 §3.3)' })),
  tokenEndpoint: Type.Optional(HttpUrl),
  jwksUri: Type.Optional(HttpUrl),
  audiences: Type.Optional(Type.Array(Audience, { minItems: 1, maxItems: 50 })),
  allowedTenantIds: Type.Optional(Type.Array(TenantId, { maxItems: 200 })),
  clientIdClaims: Type.Optional(Type.Array(ClaimName, { minItems: 1, maxItems: 5, description: 'claims that carry the client ID, first present wins' })),
  subjectClaim: Type.Optional(ClaimName),
  tokenTyping: Type.Optional(Typing),
  clockSkew: Type.Optional(Type.Integer({ minimum: 0, maximum: CLOCK_SKEW.max })),
  maxTokenAge: Type.Optional(Type.Integer({ minimum: MAX_TOKEN_AGE.min, maximum: MAX_TOKEN_AGE.max })),
};

const CreateBody = Body({ name: Slug, kind: Kind, ...settable, audiences: Type.Array(Audience, { minItems: 1, maxItems: 50 }) });
const UpdateBody = Body({ name: Type.Optional(Type.String({ maxLength: 100, description: 'immutable: only the current name is accepted' })), kind: Type.Optional(Kind), ...settable });
const IdpParams = Type.Object({ org: Type.String(), idp: Type.String() });

const KeyStatus = Type.Object({
  fetchedAt: Type.Union([Type.String(), Type.Null()]),
  keyIds: Type.Array(Type.Union([Type.String(), Type.Null()])),
  lastError: Type.Union([Type.String(), Type.Null()]),
});
export const IdentityProviderView = Type.Object({
  id: Type.String(), name: Type.String(), description: Type.String(), kind: Type.String(),
  wellKnownUrl: Type.Union([Type.String(), Type.Null()]), issuer: Type.String(), allowedTenantIds: Type.Array(Type.String()),
  tokenEndpoint: Type.Union([Type.String(), Type.Null()]), jwksUri: Type.String(), audiences: Type.Array(Type.String()),
  clientIdClaims: Type.Array(Type.String()), subjectClaim: Type.String(), tokenTyping: Type.String(),
  clockSkew: Type.Integer(), maxTokenAge: Type.Integer(), createdAt: Type.String(), updatedAt: Type.String(),
  keys: KeyStatus,
});
const DiscoveryView = Type.Object({
  wellKnownUrl: Type.String(), issuer: Type.String(), expectedIssuer: Type.Union([Type.String(), Type.Null()]), issuerMatches: Type.Boolean(),
  tokenEndpoint: Type.Union([Type.String(), Type.Null()]), jwksUri: Type.String(), signingAlgs: Type.Union([Type.Array(Type.String()), Type.Null()]),
});
const TestView = Type.Object({
  ok: Type.Boolean(), jwksUri: Type.String(),
  keys: Type.Array(Type.Object({ kid: Type.Union([Type.String(), Type.Null()]), kty: Type.String(), crv: Type.Union([Type.String(), Type.Null()]), algorithms: Type.Array(Type.String()) })),
  skipped: Type.Array(Type.String()), fetchedAt: Type.Union([Type.String(), Type.Null()]), error: Type.Union([Type.String(), Type.Null()]),
});
const StepView = Type.Object({ step: Type.String(), ok: Type.Boolean(), code: Type.Optional(Type.String()), message: Type.String() });
const ExplainView = Type.Object({
  valid: Type.Boolean(), steps: Type.Array(StepView),
  subject: Type.Union([Type.String(), Type.Null()]), clientId: Type.Union([Type.String(), Type.Null()]), tokenKind: Type.Union([Type.String(), Type.Null()]),
});

type CreateInput = Static<typeof CreateBody>;
type UpdateInput = Static<typeof UpdateBody>;

// --- steps -----------------------------------------------------------------

/** Refusals that describe the URL the admin typed (422) versus a remote that misbehaved (502). */
const INPUT_REFUSALS: readonly SafeFetchErrorCode[] = ['invalid_url', 'scheme_not_allowed', 'credentials_in_url', 'address_not_allowed'];

/**
 * A remote IdP that misbehaved while we fetched from it (too many redirects,
 * a body too large, a timeout, …): an expected failure of someone else's
 * server, answered 502 and logged at `warn` with the stable code and the
 * host, not at `error` with a stack trace (see `sendIdpRouteError`).
 */
class UpstreamFetchFailed extends ApiError {
  constructor(message: string, fields: Record<string, string>, readonly fetchCode: SafeFetchErrorCode, readonly host: string | undefined) {
    super('bad_gateway', message, fields);
  }
}

const hostOf = (url: string | undefined): string | undefined => {
  try { return url === undefined ? undefined : new URL(url).host; } catch { return undefined; }
};

function fetchRefusal(error: unknown, field: string, what: string, url?: string): never {
  if (!(error instanceof SafeFetchError)) throw error;
  const message = `${what} failed [${error.code}]: ${error.message}`;
  if (INPUT_REFUSALS.includes(error.code)) throw new ApiError('unprocessable', message, { [field]: error.message });
  throw new UpstreamFetchFailed(message, { [field]: error.message }, error.code, hostOf(error.url ?? url));
}

/** This module's error renderer: the management API's, except that an upstream IdP failure is a `warn` line. */
function sendIdpRouteError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!(error instanceof UpstreamFetchFailed)) return sendApiError(error, request, reply);
  request.log.warn({ code: error.fetchCode, host: error.host }, 'identity provider fetch failed');
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.toJSON());
}

async function discover(deps: ControlPlaneDeps, wellKnownUrl: string): Promise<DiscoveredProvider> {
  try {
    return await discoverProvider(wellKnownUrl, { allowPrivate: deps.config.allowPrivateIdpUrls });
  } catch (error) {
    return fetchRefusal(error, 'wellKnownUrl', 'Discovery', wellKnownUrl);
  }
}

interface Endpoints { issuer: string; tokenEndpoint: string | null; jwksUri: string }

/** Issuer, token endpoint and JWKS URI: discovered, each overridable by the caller; the issuer must match (RFC 8414 §3.3) unless overridden explicitly. */
function mergeEndpoints(input: { issuer?: string; tokenEndpoint?: string; jwksUri?: string; issuerOverride?: boolean }, discovered: DiscoveredProvider | undefined, current?: Endpoints): Endpoints {
  if (discovered) {
    const issuer = input.issuer ?? discovered.issuer;
    if (!input.issuerOverride) {
      if (!discovered.issuerMatches) {
        const expected = discovered.expectedIssuer
          ? `it was fetched for issuer ${JSON.stringify(discovered.expectedIssuer)}`
          : 'the well-known URL does not have a standard form to derive the issuer from';
        throw unprocessable(`The discovery document names issuer ${JSON.stringify(discovered.issuer)}, but ${expected} (RFC 8414 §3.3). Set issuerOverride: true to accept it anyway.`, { issuer: 'does not match the well-known URL' });
      }
      if (issuer !== discovered.issuer) {
        throw unprocessable(`The issuer ${JSON.stringify(issuer)} differs from the discovered ${JSON.stringify(discovered.issuer)}. Set issuerOverride: true to use it anyway.`, { issuer: 'differs from the discovered issuer' });
      }
    }
    return { issuer, tokenEndpoint: input.tokenEndpoint ?? discovered.tokenEndpoint ?? null, jwksUri: input.jwksUri ?? discovered.jwksUri };
  }
  const issuer = input.issuer ?? current?.issuer;
  const jwksUri = input.jwksUri ?? current?.jwksUri;
  const missing = { ...(!issuer && { issuer: 'is required without wellKnownUrl' }), ...(!jwksUri && { jwksUri: 'is required without wellKnownUrl' }) };
  if (!issuer || !jwksUri) throw unprocessable('Give a wellKnownUrl to discover the provider, or both issuer and jwksUri', missing);
  return { issuer, jwksUri, tokenEndpoint: input.tokenEndpoint ?? current?.tokenEndpoint ?? null };
}

/** https only, unless the installation allows private IdP URLs (then http on loopback too, enforced when fetching). */
function checkUrlSchemes(deps: ControlPlaneDeps, urls: Record<string, string | null | undefined>): void {
  const fields: Record<string, string> = {};
  for (const [field, url] of Object.entries(urls)) {
    if (url && !url.startsWith('https://') && !deps.config.allowPrivateIdpUrls) fields[field] = 'must be an https:// URL';
  }
  if (Object.keys(fields).length) throw unprocessable(`Identity provider URLs must use https:// (${Object.keys(fields).join(', ')})`, fields);
}

/**
 * The JWKS URI is fetched by the server, so it is held to the fetch rules
 * before it is saved: a URL that could never be fetched (private or
 * link-local address, http:// where not allowed) is the admin's input, a 422
 * naming the field, whether it was typed or came from discovery.
 */
async function checkJwksUri(deps: ControlPlaneDeps, jwksUri: string): Promise<void> {
  const refused = await checkFetchTarget(jwksUri, { allowPrivate: deps.config.allowPrivateIdpUrls });
  if (refused && INPUT_REFUSALS.includes(refused.code)) fetchRefusal(refused, 'jwksUri', 'The JWKS URI check', jwksUri);
}

/** `{tenantid}` issuers are templates and need their allowed tenants; exact issuers take none. */
function issuerShape(issuer: string, allowedTenantIds: string[]): { issuer: string | null; issuerTemplate: string | null; allowedTenantIds: string[] } {
  if (issuer.includes(TENANT_PLACEHOLDER)) {
    if (issuer.split(TENANT_PLACEHOLDER).length !== 2) throw unprocessable(`An issuer template contains ${TENANT_PLACEHOLDER} exactly once`, { issuer: `contains ${TENANT_PLACEHOLDER} more than once` });
    if (allowedTenantIds.length === 0) throw unprocessable(`An issuer with ${TENANT_PLACEHOLDER} (multi-tenant) needs allowedTenantIds: the tenants whose tokens are accepted`, { allowedTenantIds: 'is required for an issuer template' });
    return { issuer: null, issuerTemplate: issuer, allowedTenantIds };
  }
  if (allowedTenantIds.length) throw unprocessable(`allowedTenantIds only applies to an issuer template with ${TENANT_PLACEHOLDER}`, { allowedTenantIds: 'needs an issuer template' });
  return { issuer, issuerTemplate: null, allowedTenantIds: [] };
}

/**
 * Two IdPs of one organization may not accept the same token issuer for
 * overlapping audiences: the same exact issuer or template, or an exact
 * issuer that another's `{tenantid}` template accepts with one of its
 * allowed tenants (checked both ways).
 */
async function checkIssuerConflict(store: Store, orgId: string, shape: { issuer: string | null; issuerTemplate: string | null; allowedTenantIds: string[] }, audiences: string[], selfId?: string): Promise<void> {
  const others = (await store.identityProviders.sameIssuer(orgId, shape)).filter((o) => o.idp.id !== selfId);
  for (const { idp: other, issuer } of others) {
    const shared = other.audiences.filter((a) => audiences.includes(a));
    if (shared.length) {
      throw conflict(`Identity provider "${other.name}" already accepts issuer ${JSON.stringify(issuer)} for audience ${shared.map((a) => JSON.stringify(a)).join(', ')}; use distinct audiences or edit that provider`, { audiences: 'overlap with another provider of the same issuer' });
    }
  }
}

/**
 * An (issuer, audience) pair belongs to one organization of the installation
 * (unless `DRAWBRIDGE_IDP_SHARED_AUDIENCES` is on): otherwise an admin of
 * another organization could register the same issuer with the same audience
 * and exchange, or call its gateway APIs with, tokens meant for this one. The
 * 409 names the pair, never the organization that holds it.
 */
async function checkClaimedElsewhere(deps: ControlPlaneDeps, store: Store, orgId: string, shape: { issuer: string | null; issuerTemplate: string | null; allowedTenantIds: string[] }, audiences: string[]): Promise<void> {
  if (deps.config.idpSharedAudiences) return;
  const claimed = await store.identityProviders.claimedElsewhere(orgId, shape, audiences);
  if (!claimed) return;
  throw conflict(
    `Issuer ${JSON.stringify(claimed.issuer)} with audience ${JSON.stringify(claimed.audience)} is already registered by another organization of this installation; an audience must be unique per issuer across the installation. Use an audience that only this organization's tokens carry (at the identity provider: a dedicated API or resource identifier).`,
    { audiences: `${JSON.stringify(claimed.audience)} is already claimed for this issuer by another organization` },
  );
}

async function findIdp(store: Store, org: Organization, name: string): Promise<IdentityProvider> {
  const idp = await store.identityProviders.byName(org.id, name);
  if (!idp) throw notFound('Identity provider');
  return idp;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function view(idp: IdentityProvider, keys: IdpKeyCache) {
  const status = keys.status(idp.id);
  return {
    id: idp.id, name: idp.name, description: idp.description, kind: idp.kind, wellKnownUrl: idp.wellKnownUrl,
    issuer: (idp.issuerTemplate ?? idp.issuer)!, allowedTenantIds: idp.allowedTenantIds, tokenEndpoint: idp.tokenEndpoint, jwksUri: idp.jwksUri,
    audiences: idp.audiences, clientIdClaims: idp.clientIdClaims, subjectClaim: idp.subjectClaim, tokenTyping: idp.tokenTyping,
    clockSkew: idp.clockSkew, maxTokenAge: idp.maxTokenAge, createdAt: idp.createdAt, updatedAt: idp.updatedAt,
    keys: status && status.jwksUri === idp.jwksUri
      ? { fetchedAt: iso(status.fetchedAt), keyIds: status.keyIds.map((k) => k ?? null), lastError: status.lastError ?? null }
      : { fetchedAt: null, keyIds: [], lastError: null },
  };
}

/** What the audit log keeps: configuration, never tokens. */
const auditDetails = (idp: IdentityProvider) => ({ name: idp.name, kind: idp.kind, issuer: idp.issuerTemplate ?? idp.issuer, audiences: idp.audiences, jwksUri: idp.jwksUri });

// --- routes ----------------------------------------------------------------

export const identityProviderRoutes = (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { store } = deps;
  const keys = deps.idpKeys ?? createIdpKeyCache({ allowPrivate: deps.config.allowPrivateIdpUrls, clock: deps.clock, persistence: store.identityProviders, logger: deps.logger });
  const base = '/orgs/:org/identity-providers';
  app.setErrorHandler((error, request, reply) => sendIdpRouteError(error, request, reply));

  app.get(base, {
    schema: { tags: ['identity-providers'], summary: 'Identity providers of the organization', params: OrgParams, response: { 200: Type.Array(IdentityProviderView) } },
  }, async (request) => {
    const { org } = await orgAccess(store, request, request.params.org);
    return (await store.identityProviders.list(org.id)).map((idp) => view(idp, keys));
  });

  app.get(`${base}/:idp`, {
    schema: { tags: ['identity-providers'], params: IdpParams, response: { 200: IdentityProviderView } },
  }, async (request) => {
    const { org } = await orgAccess(store, request, request.params.org);
    return view(await findIdp(store, org, request.params.idp), keys);
  });

  app.post(`${base}/discover`, {
    schema: {
      tags: ['identity-providers'],
      summary: 'Fetch a discovery document and return what it says; saves nothing (admin only)',
      params: OrgParams, body: Body({ wellKnownUrl: HttpUrl }), response: { 200: DiscoveryView },
    },
  }, async (request) => {
    await orgAccess(store, request, request.params.org, 'admin');
    const d = await discover(deps, request.body.wellKnownUrl);
    return { ...d, expectedIssuer: d.expectedIssuer ?? null, tokenEndpoint: d.tokenEndpoint ?? null, signingAlgs: d.signingAlgs ?? null };
  });

  app.post(base, {
    schema: {
      tags: ['identity-providers'],
      summary: 'Connect an identity provider (admin only)',
      description: 'With `wellKnownUrl`, issuer, token endpoint and JWKS URI are discovered; each may be overridden. The signing keys are fetched at once.',
      params: OrgParams, body: CreateBody, response: { 201: IdentityProviderView },
    },
  }, async (request, reply) => {
    const { org, user } = await orgAccess(store, request, request.params.org, 'admin');
    const body: CreateInput = request.body;
    if (await store.identityProviders.byName(org.id, body.name)) throw conflict(`An identity provider named "${body.name}" already exists`, { name: 'is taken' });
    const discovered = body.wellKnownUrl ? await discover(deps, body.wellKnownUrl) : undefined;
    const endpoints = mergeEndpoints(body, discovered);
    checkUrlSchemes(deps, { jwksUri: endpoints.jwksUri, tokenEndpoint: endpoints.tokenEndpoint, issuer: endpoints.issuer });
    await checkJwksUri(deps, endpoints.jwksUri);
    const shape = issuerShape(endpoints.issuer, body.allowedTenantIds ?? []);
    const preset = IDP_PRESETS[body.kind as IdpKind];
    try {
      const idp = await store.transaction(async (tx) => {
        await checkIssuerConflict(tx, org.id, shape, body.audiences);
        await checkClaimedElsewhere(deps, tx, org.id, shape, body.audiences);
        const created = await tx.identityProviders.create({
          orgId: org.id, name: body.name, description: body.description ?? '', kind: body.kind as IdpKind, wellKnownUrl: body.wellKnownUrl ?? null,
          ...shape, tokenEndpoint: endpoints.tokenEndpoint, jwksUri: endpoints.jwksUri, audiences: [...new Set(body.audiences)],
          clientIdClaims: body.clientIdClaims ?? preset.clientIdClaims, subjectClaim: body.subjectClaim ?? preset.subjectClaim,
          tokenTyping: (body.tokenTyping as TokenTyping | undefined) ?? preset.tokenTyping, clockSkew: body.clockSkew ?? CLOCK_SKEW.default, maxTokenAge: body.maxTokenAge ?? MAX_TOKEN_AGE.default,
        });
        await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'identity-provider.created', targetType: 'identity-provider', targetId: created.id, details: auditDetails(created) });
        return created;
      });
      await keys.refresh(idp);
      return reply.code(201).send(view(idp, keys));
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`An identity provider named "${body.name}" already exists`, { name: 'is taken' });
      throw error;
    }
  });

  app.patch(`${base}/:idp`, {
    schema: {
      tags: ['identity-providers'],
      summary: 'Change an identity provider (admin only); its name is immutable',
      description: 'A new `wellKnownUrl` is discovered again. Fields not given keep their values.',
      params: IdpParams, body: UpdateBody, response: { 200: IdentityProviderView },
    },
  }, async (request) => {
    const { org, user } = await orgAccess(store, request, request.params.org, 'admin');
    const current = await findIdp(store, org, request.params.idp);
    const body: UpdateInput = request.body;
    if (body.name !== undefined && body.name !== current.name) {
      throw unprocessable(`The name of an identity provider cannot be changed (it is "${current.name}"); create a new provider instead`, { name: 'is immutable' });
    }
    const discovered = body.wellKnownUrl ? await discover(deps, body.wellKnownUrl) : undefined;
    const endpoints = mergeEndpoints(body, discovered, { issuer: (current.issuerTemplate ?? current.issuer)!, tokenEndpoint: current.tokenEndpoint, jwksUri: current.jwksUri });
    checkUrlSchemes(deps, { jwksUri: endpoints.jwksUri, tokenEndpoint: endpoints.tokenEndpoint, issuer: endpoints.issuer });
    if (endpoints.jwksUri !== current.jwksUri) await checkJwksUri(deps, endpoints.jwksUri);
    const shape = issuerShape(endpoints.issuer, body.allowedTenantIds ?? current.allowedTenantIds);
    const audiences = body.audiences ? [...new Set(body.audiences)] : current.audiences;
    const patch: IdentityProviderPatch = {
      ...shape, tokenEndpoint: endpoints.tokenEndpoint, jwksUri: endpoints.jwksUri, audiences,
      ...(body.description !== undefined && { description: body.description }),
      ...(body.kind !== undefined && { kind: body.kind as IdpKind }),
      ...(body.wellKnownUrl !== undefined && { wellKnownUrl: body.wellKnownUrl }),
      ...(body.clientIdClaims !== undefined && { clientIdClaims: body.clientIdClaims }),
      ...(body.subjectClaim !== undefined && { subjectClaim: body.subjectClaim }),
      ...(body.tokenTyping !== undefined && { tokenTyping: body.tokenTyping as TokenTyping }),
      ...(body.clockSkew !== undefined && { clockSkew: body.clockSkew }),
      ...(body.maxTokenAge !== undefined && { maxTokenAge: body.maxTokenAge }),
    };
    const updated = await store.transaction(async (tx) => {
      await checkIssuerConflict(tx, org.id, shape, audiences, current.id);
      // Only a change of what the provider accepts is checked: an edit of its description still works for a pair claimed twice before this rule.
      const accepts = (x: { issuer: string | null; issuerTemplate: string | null; allowedTenantIds: string[]; audiences: string[] }) => JSON.stringify([x.issuer, x.issuerTemplate, x.allowedTenantIds, x.audiences]);
      if (accepts({ ...shape, audiences }) !== accepts(current)) await checkClaimedElsewhere(deps, tx, org.id, shape, audiences);
      await tx.identityProviders.update(org.id, current.id, patch);
      const after = (await tx.identityProviders.byId(org.id, current.id))!;
      await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'identity-provider.updated', targetType: 'identity-provider', targetId: current.id, details: { ...auditDetails(after), changed: Object.keys(body).filter((k) => k !== 'name') } });
      return after;
    });
    if (updated.jwksUri !== current.jwksUri || keys.status(updated.id) === undefined) await keys.refresh(updated);
    return view(updated, keys);
  });

  app.delete(`${base}/:idp`, {
    schema: { tags: ['identity-providers'], summary: 'Remove an identity provider (admin only)', params: IdpParams, response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const { org, user } = await orgAccess(store, request, request.params.org, 'admin');
    const idp = await findIdp(store, org, request.params.idp);
    await store.transaction(async (tx) => {
      const linked = await tx.credentials.countForIdp(org.id, idp.id);
      if (linked > 0) throw conflict(`Identity provider "${idp.name}" is used by ${linked} external credential${linked === 1 ? '' : 's'}; remove those first`);
      await tx.identityProviders.delete(org.id, idp.id);
      await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'identity-provider.deleted', targetType: 'identity-provider', targetId: idp.id, details: auditDetails(idp) });
    });
    keys.forget(idp.id);
    return reply.code(204).send(null);
  });

  app.post(`${base}/:idp/test`, {
    schema: { tags: ['identity-providers'], summary: 'Fetch the JWKS now and report the keys found, or the error (admin only)', params: IdpParams, response: { 200: TestView } },
  }, async (request) => {
    const { org } = await orgAccess(store, request, request.params.org, 'admin');
    const idp = await findIdp(store, org, request.params.idp);
    const outcome = await keys.refresh(idp);
    return {
      ok: outcome.ok, jwksUri: idp.jwksUri,
      keys: outcome.keys.map((k) => ({ kid: k.kid ?? null, kty: k.kty, crv: k.crv ?? null, algorithms: [...k.algs] })),
      skipped: outcome.skipped, fetchedAt: iso(outcome.fetchedAt), error: outcome.error ?? null,
    };
  });

  app.post(`${base}/:idp/explain`, {
    schema: {
      tags: ['identity-providers'],
      summary: 'Check a token against this provider step by step; the token is neither stored nor echoed',
      params: IdpParams,
      body: Body({ token: Type.String({ minLength: 1, maxLength: 65_536 }), expectedType: Type.Optional(literals(['access_token', 'id_token', 'jwt'] as const)) }),
      response: { 200: ExplainView },
    },
  }, async (request) => {
    const { org } = await orgAccess(store, request, request.params.org);
    const idp = await findIdp(store, org, request.params.idp);
    const result = await verifyIdpToken(idp, request.body.token, { keys, clock: deps.clock, expectedType: request.body.expectedType as ExpectedTokenType | undefined, allSteps: true });
    return {
      valid: result.ok, steps: result.steps,
      subject: result.ok ? result.token.subject : null, clientId: result.ok ? result.token.clientId ?? null : null, tokenKind: result.ok ? result.token.kind : null,
    };
  });
};
