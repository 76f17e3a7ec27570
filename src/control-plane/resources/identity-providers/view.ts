import type { IdpKeyCache, RefreshOutcome } from '../../../shared/idp-keys/cache.js';
import type { DiscoveredProvider } from '../../../shared/idp-keys/discovery.js';
import type { IdpTokenResult } from '../../../shared/idp-keys/verify.js';
import type { IdentityProvider } from '../../../store/repos/identity-providers.js';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** An identity provider as the API shows it, with the state of its signing keys (none when they were fetched for another JWKS URI). */
export function identityProviderView(idp: IdentityProvider, keys: IdpKeyCache) {
  const status = keys.status(idp.id);
  return {
    id: idp.id,
    name: idp.name,
    description: idp.description,
    kind: idp.kind,
    wellKnownUrl: idp.wellKnownUrl,
    issuer: (idp.issuerTemplate ?? idp.issuer)!,
    allowedTenantIds: idp.allowedTenantIds,
    tokenEndpoint: idp.tokenEndpoint,
    jwksUri: idp.jwksUri,
    audiences: idp.audiences,
    clientIdClaims: idp.clientIdClaims,
    subjectClaim: idp.subjectClaim,
    tokenTyping: idp.tokenTyping,
    clockSkew: idp.clockSkew,
    maxTokenAge: idp.maxTokenAge,
    createdAt: idp.createdAt,
    updatedAt: idp.updatedAt,
    keys:
      status && status.jwksUri === idp.jwksUri
        ? { fetchedAt: iso(status.fetchedAt), keyIds: status.keyIds.map((k) => k ?? null), lastError: status.lastError ?? null }
        : { fetchedAt: null, keyIds: [], lastError: null },
  };
}

export const discoveryView = (d: DiscoveredProvider) => ({ ...d, expectedIssuer: d.expectedIssuer ?? null, tokenEndpoint: d.tokenEndpoint ?? null, signingAlgs: d.signingAlgs ?? null });

export const keyTestView = (idp: IdentityProvider, outcome: RefreshOutcome) => ({
  ok: outcome.ok,
  jwksUri: idp.jwksUri,
  keys: outcome.keys.map((k) => ({ kid: k.kid ?? null, kty: k.kty, crv: k.crv ?? null, algorithms: [...k.algs] })),
  skipped: outcome.skipped,
  fetchedAt: iso(outcome.fetchedAt),
  error: outcome.error ?? null,
});

export const explainView = (result: IdpTokenResult) => ({
  valid: result.ok,
  steps: result.steps,
  subject: result.ok ? result.token.subject : null,
  clientId: result.ok ? (result.token.clientId ?? null) : null,
  tokenKind: result.ok ? result.token.kind : null,
});
