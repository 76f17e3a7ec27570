import type { JWTPayload } from 'jose';
import type { GatewaySnapshot, SnapshotIdentityProvider } from './snapshot.js';
import { clientIdClaimsOf, type ExternalTokenVerifier } from './tokens.js';
import type { Clock } from '../shared/clock.js';
import type { IdpKeyCache } from '../shared/idp-keys/cache.js';
import { MAX_TOKEN_AGE, TOKEN_TYPINGS } from '../shared/idp-keys/presets.js';
import type { IdpVerificationConfig } from '../shared/idp-keys/types.js';
import { verifyIdpToken } from '../shared/idp-keys/verify.js';
import { InvalidToken, TemporarilyUnavailable } from '../shared/oauth-errors.js';

/**
 * Lets the gateway accept direct tokens from organizations' IdPs, using the
 * platform's shared IdP key cache and verifier. The IdP's full settings come
 * from the last compiled snapshot's store read (`lookup`); a gateway that
 * only has the snapshot (database gone) verifies with the snapshot entry,
 * which carries the issuer template, tenants, client-ID claims, subject
 * claim, token typing, maximum age and the last good keys. Only snapshots
 * written before those fields existed fall back to defaults (`sub`, 86400 s,
 * no token typing).
 */
export function externalTokenVerifier(keys: IdpKeyCache, clock: Clock, lookup: (idpId: string) => IdpVerificationConfig | undefined): ExternalTokenVerifier {
  return {
    async verify(token: string, idp: SnapshotIdentityProvider): Promise<JWTPayload> {
      const config = lookup(idp.id) ?? fromSnapshot(idp);
      const result = await verifyIdpToken(config, token, { keys, clock, requireClientId: true });
      if (result.ok) return result.token.claims as JWTPayload;
      const { code, message } = result.failure;
      if (code === 'keys_unavailable') throw new TemporarilyUnavailable(`The keys of identity provider ${idp.name} cannot be fetched right now`, message);
      throw new InvalidToken(message);
    },
  };
}

/** Verification settings of a snapshot IdP entry. */
const fromSnapshot = (idp: SnapshotIdentityProvider): IdpVerificationConfig => ({
  id: idp.id,
  orgId: idp.orgId,
  name: idp.name,
  issuer: idp.issuerTemplate === undefined ? idp.issuer : null,
  issuerTemplate: idp.issuerTemplate ?? null,
  allowedTenantIds: idp.allowedTenantIds ?? [],
  jwksUri: idp.jwksUri,
  audiences: idp.audiences,
  clientIdClaims: clientIdClaimsOf(idp),
  subjectClaim: typeof idp.subjectClaim === 'string' && idp.subjectClaim !== '' ? idp.subjectClaim : 'sub',
  clockSkew: idp.clockSkewSeconds,
  maxTokenAge: Number.isInteger(idp.maxTokenAge) && idp.maxTokenAge! > 0 ? idp.maxTokenAge! : MAX_TOKEN_AGE.default,
  tokenTyping: idp.tokenTyping !== undefined && TOKEN_TYPINGS.includes(idp.tokenTyping) ? idp.tokenTyping : 'none',
});

/**
 * Settings of every IdP in a snapshot as read from JSON (e.g. the copy on
 * disk), for a gateway that has no store to ask. Malformed entries are left
 * out (the gateway's own loader refuses them anyway).
 */
export function snapshotIdpConfigs(snapshot: GatewaySnapshot): Map<string, IdpVerificationConfig> {
  const out = new Map<string, IdpVerificationConfig>();
  for (const idp of Array.isArray(snapshot.identityProviders) ? snapshot.identityProviders : []) {
    if (typeof idp?.id !== 'string' || typeof idp.jwksUri !== 'string' || !Array.isArray(idp.audiences)) continue;
    out.set(idp.id, fromSnapshot(idp));
  }
  return out;
}

/**
 * Loads the last good keys a snapshot carries into the key cache (no fetch),
 * so a gateway started from its disk snapshot verifies while the IdP is
 * unreachable. Fresher keys already in the cache win. Returns how many IdPs
 * were primed.
 */
export function primeKeysFromSnapshot(keys: IdpKeyCache, snapshot: GatewaySnapshot): number {
  let primed = 0;
  for (const idp of Array.isArray(snapshot.identityProviders) ? snapshot.identityProviders : []) {
    const fetchedAt = Date.parse(idp?.jwks?.fetchedAt ?? '');
    if (typeof idp?.id !== 'string' || typeof idp.jwksUri !== 'string' || !Array.isArray(idp.jwks?.keys) || Number.isNaN(fetchedAt)) continue;
    keys.prime({ id: idp.id, name: idp.name, jwksUri: idp.jwksUri }, { jwks: { keys: idp.jwks.keys }, fetchedAt });
    primed++;
  }
  return primed;
}
