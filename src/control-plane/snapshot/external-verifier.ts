import type { JWTPayload } from 'jose';
import type { ExternalTokenVerifier, SnapshotIdentityProvider } from '../../gateway/index.js';
import { clientIdClaimsOf } from '../../gateway/tokens.js';
import type { Clock } from '../../shared/clock.js';
import type { IdpKeyCache } from '../../shared/idp-keys/cache.js';
import { MAX_TOKEN_AGE } from '../../shared/idp-keys/presets.js';
import type { IdpVerificationConfig } from '../../shared/idp-keys/types.js';
import { verifyIdpToken } from '../../shared/idp-keys/verify.js';
import { InvalidToken, TemporarilyUnavailable } from '../../shared/oauth-errors.js';

/**
 * Lets the gateway accept direct tokens from organizations' IdPs, using the
 * platform's shared IdP key cache and verifier. The IdP's full settings
 * (issuer template, subject claim, token typing, maximum age) come from the
 * last compiled snapshot's store read; a gateway that only has the snapshot
 * (database gone) verifies with the snapshot entry and preset defaults.
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

const fromSnapshot = (idp: SnapshotIdentityProvider): IdpVerificationConfig => ({
  id: idp.id, orgId: idp.orgId, name: idp.name,
  issuer: idp.issuerTemplate === undefined ? idp.issuer : null, issuerTemplate: idp.issuerTemplate ?? null, allowedTenantIds: idp.allowedTenantIds ?? [],
  jwksUri: idp.jwksUri, audiences: idp.audiences, clientIdClaims: clientIdClaimsOf(idp), subjectClaim: 'sub', clockSkew: idp.clockSkewSeconds,
  maxTokenAge: MAX_TOKEN_AGE.default, tokenTyping: 'none',
});
