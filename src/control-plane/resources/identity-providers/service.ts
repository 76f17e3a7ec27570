import { conflict, notFound, unprocessable } from '../../../shared/errors.js';
import type { IdpKeyCache } from '../../../shared/idp-keys/cache.js';
import { discoverProvider, type DiscoveredProvider } from '../../../shared/idp-keys/discovery.js';
import { CLOCK_SKEW, IDP_PRESETS, MAX_TOKEN_AGE, TENANT_PLACEHOLDER, type IdpKind, type TokenTyping } from '../../../shared/idp-keys/presets.js';
import { verifyIdpToken, type ExpectedTokenType, type IdpTokenResult } from '../../../shared/idp-keys/verify.js';
import { checkFetchTarget } from '../../../shared/safe-fetch.js';
import { isUniqueViolation, type Store } from '../../../store/index.js';
import type { IdentityProvider, IdentityProviderPatch } from '../../../store/repos/identity-providers.js';
import type { Organization } from '../../../store/repos/organizations.js';
import type { User } from '../../../store/repos/users.js';
import { actorOf, type ControlPlaneDeps } from '../../context.js';
import { fetchRefusal, INPUT_REFUSALS } from './fetch-errors.js';
import type { CreateInput, UpdateInput } from './schema.js';

/**
 * Organization identity providers: connecting one (discovery, the checks of
 * its URLs and of the issuer and audiences it accepts), changing, removing
 * it, and checking a token against it.
 */

export async function discover(deps: ControlPlaneDeps, wellKnownUrl: string): Promise<DiscoveredProvider> {
  try {
    return await discoverProvider(wellKnownUrl, { allowPrivate: deps.config.allowPrivateIdpUrls });
  } catch (error) {
    return fetchRefusal(error, 'wellKnownUrl', 'Discovery', wellKnownUrl);
  }
}

interface Endpoints {
  issuer: string;
  tokenEndpoint: string | null;
  jwksUri: string;
}

/** Issuer, token endpoint and JWKS URI: discovered, each overridable by the caller; the issuer must match (RFC 8414 §3.3) unless overridden explicitly. */
function mergeEndpoints(input: { issuer?: string; tokenEndpoint?: string; jwksUri?: string; issuerOverride?: boolean }, discovered: DiscoveredProvider | undefined, current?: Endpoints): Endpoints {
  if (discovered) {
    const issuer = input.issuer ?? discovered.issuer;
    if (!input.issuerOverride) {
      if (!discovered.issuerMatches) {
        const expected = discovered.expectedIssuer
          ? `it was fetched for issuer ${JSON.stringify(discovered.expectedIssuer)}`
          : 'the well-known URL does not have a standard form to derive the issuer from';
        throw unprocessable(`The discovery document names issuer ${JSON.stringify(discovered.issuer)}, but ${expected} (RFC 8414 §3.3). Set issuerOverride: true to accept it anyway.`, {
          issuer: 'does not match the well-known URL',
        });
      }
      if (issuer !== discovered.issuer) {
        throw unprocessable(`The issuer ${JSON.stringify(issuer)} differs from the discovered ${JSON.stringify(discovered.issuer)}. Set issuerOverride: true to use it anyway.`, {
          issuer: 'differs from the discovered issuer',
        });
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
    if (issuer.split(TENANT_PLACEHOLDER).length !== 2)
      throw unprocessable(`An issuer template contains ${TENANT_PLACEHOLDER} exactly once`, { issuer: `contains ${TENANT_PLACEHOLDER} more than once` });
    if (allowedTenantIds.length === 0)
      throw unprocessable(`An issuer with ${TENANT_PLACEHOLDER} (multi-tenant) needs allowedTenantIds: the tenants whose tokens are accepted`, {
        allowedTenantIds: 'is required for an issuer template',
      });
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
async function checkIssuerConflict(
  store: Store,
  orgId: string,
  shape: { issuer: string | null; issuerTemplate: string | null; allowedTenantIds: string[] },
  audiences: string[],
  selfId?: string,
): Promise<void> {
  const others = (await store.identityProviders.sameIssuer(orgId, shape)).filter((o) => o.idp.id !== selfId);
  for (const { idp: other, issuer } of others) {
    const shared = other.audiences.filter((a) => audiences.includes(a));
    if (shared.length) {
      throw conflict(
        `Identity provider "${other.name}" already accepts issuer ${JSON.stringify(issuer)} for audience ${shared.map((a) => JSON.stringify(a)).join(', ')}; use distinct audiences or edit that provider`,
        { audiences: 'overlap with another provider of the same issuer' },
      );
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
async function checkClaimedElsewhere(
  deps: ControlPlaneDeps,
  store: Store,
  orgId: string,
  shape: { issuer: string | null; issuerTemplate: string | null; allowedTenantIds: string[] },
  audiences: string[],
): Promise<void> {
  if (deps.config.idpSharedAudiences) return;
  const claimed = await store.identityProviders.claimedElsewhere(orgId, shape, audiences);
  if (!claimed) return;
  throw conflict(
    `Issuer ${JSON.stringify(claimed.issuer)} with audience ${JSON.stringify(claimed.audience)} is already registered by another organization of this installation; an audience must be unique per issuer across the installation. Use an audience that only this organization's tokens carry (at the identity provider: a dedicated API or resource identifier).`,
    { audiences: `${JSON.stringify(claimed.audience)} is already claimed for this issuer by another organization` },
  );
}

export async function findIdp(store: Store, org: Organization, name: string): Promise<IdentityProvider> {
  const idp = await store.identityProviders.byName(org.id, name);
  if (!idp) throw notFound('Identity provider');
  return idp;
}

/** What the audit log keeps: configuration, never tokens. */
const auditDetails = (idp: IdentityProvider) => ({ name: idp.name, kind: idp.kind, issuer: idp.issuerTemplate ?? idp.issuer, audiences: idp.audiences, jwksUri: idp.jwksUri });

/** Connects an identity provider and fetches its signing keys at once. */
export async function createIdentityProvider(deps: ControlPlaneDeps, keys: IdpKeyCache, org: Organization, user: User, body: CreateInput): Promise<IdentityProvider> {
  const { store } = deps;
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
        orgId: org.id,
        name: body.name,
        description: body.description ?? '',
        kind: body.kind as IdpKind,
        wellKnownUrl: body.wellKnownUrl ?? null,
        ...shape,
        tokenEndpoint: endpoints.tokenEndpoint,
        jwksUri: endpoints.jwksUri,
        audiences: [...new Set(body.audiences)],
        clientIdClaims: body.clientIdClaims ?? preset.clientIdClaims,
        subjectClaim: body.subjectClaim ?? preset.subjectClaim,
        tokenTyping: (body.tokenTyping as TokenTyping | undefined) ?? preset.tokenTyping,
        clockSkew: body.clockSkew ?? CLOCK_SKEW.default,
        maxTokenAge: body.maxTokenAge ?? MAX_TOKEN_AGE.default,
      });
      await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'identity-provider.created', targetType: 'identity-provider', targetId: created.id, details: auditDetails(created) });
      return created;
    });
    await keys.refresh(idp);
    return idp;
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`An identity provider named "${body.name}" already exists`, { name: 'is taken' });
    throw error;
  }
}

/** Changes an identity provider (its name is immutable); a new `wellKnownUrl` is discovered again, a new JWKS URI fetched. */
export async function updateIdentityProvider(deps: ControlPlaneDeps, keys: IdpKeyCache, org: Organization, user: User, current: IdentityProvider, body: UpdateInput): Promise<IdentityProvider> {
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
    ...shape,
    tokenEndpoint: endpoints.tokenEndpoint,
    jwksUri: endpoints.jwksUri,
    audiences,
    ...(body.description !== undefined && { description: body.description }),
    ...(body.kind !== undefined && { kind: body.kind as IdpKind }),
    ...(body.wellKnownUrl !== undefined && { wellKnownUrl: body.wellKnownUrl }),
    ...(body.clientIdClaims !== undefined && { clientIdClaims: body.clientIdClaims }),
    ...(body.subjectClaim !== undefined && { subjectClaim: body.subjectClaim }),
    ...(body.tokenTyping !== undefined && { tokenTyping: body.tokenTyping as TokenTyping }),
    ...(body.clockSkew !== undefined && { clockSkew: body.clockSkew }),
    ...(body.maxTokenAge !== undefined && { maxTokenAge: body.maxTokenAge }),
  };
  const updated = await deps.store.transaction(async (tx) => {
    await checkIssuerConflict(tx, org.id, shape, audiences, current.id);
    // Only a change of what the provider accepts is checked: an edit of its description still works for a pair claimed twice before this rule.
    const accepts = (x: { issuer: string | null; issuerTemplate: string | null; allowedTenantIds: string[]; audiences: string[] }) =>
      JSON.stringify([x.issuer, x.issuerTemplate, x.allowedTenantIds, x.audiences]);
    if (accepts({ ...shape, audiences }) !== accepts(current)) await checkClaimedElsewhere(deps, tx, org.id, shape, audiences);
    await tx.identityProviders.update(org.id, current.id, patch);
    const after = (await tx.identityProviders.byId(org.id, current.id))!;
    await tx.audit.record({
      orgId: org.id,
      ...actorOf(user),
      action: 'identity-provider.updated',
      targetType: 'identity-provider',
      targetId: current.id,
      details: { ...auditDetails(after), changed: Object.keys(body).filter((k) => k !== 'name') },
    });
    return after;
  });
  if (updated.jwksUri !== current.jwksUri || keys.status(updated.id) === undefined) await keys.refresh(updated);
  return updated;
}

/** Removes an identity provider no external credential uses (409 otherwise). */
export async function deleteIdentityProvider(store: Store, keys: IdpKeyCache, org: Organization, user: User, idp: IdentityProvider): Promise<void> {
  await store.transaction(async (tx) => {
    const linked = await tx.credentials.countForIdp(org.id, idp.id);
    if (linked > 0) throw conflict(`Identity provider "${idp.name}" is used by ${linked} external credential${linked === 1 ? '' : 's'}; remove those first`);
    await tx.identityProviders.delete(org.id, idp.id);
    await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'identity-provider.deleted', targetType: 'identity-provider', targetId: idp.id, details: auditDetails(idp) });
  });
  keys.forget(idp.id);
}

/** Checks a token against a provider, every step reported; the token is neither stored nor echoed. */
export const explainToken = (deps: ControlPlaneDeps, keys: IdpKeyCache, idp: IdentityProvider, token: string, expectedType: ExpectedTokenType | undefined): Promise<IdpTokenResult> =>
  verifyIdpToken(idp, token, { keys, clock: deps.clock, expectedType, allSteps: true });
