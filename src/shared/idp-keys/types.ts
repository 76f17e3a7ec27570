import type { TokenTyping } from './presets.js';

/**
 * What verification needs to know about one identity provider. The store's
 * `IdentityProvider` record satisfies it; so can a gateway snapshot entry.
 */
export interface IdpVerificationConfig {
  id: string;
  orgId: string;
  name: string;
  /** Exact issuer; null when `issuerTemplate` is used. */
  issuer: string | null;
  /** Multi-tenant issuer with `{tenantid}` (Microsoft); null otherwise. */
  issuerTemplate: string | null;
  /** Tenants accepted by `issuerTemplate`; the token's `tid` must agree with its issuer. */
  allowedTenantIds: string[];
  jwksUri: string;
  /** The token's `aud` must contain one of these (at least one entry). */
  audiences: string[];
  /** Claims that carry the client ID, first present wins. */
  clientIdClaims: string[];
  subjectClaim: string;
  /** Seconds of tolerance for `exp`, `nbf` and `iat`. */
  clockSkew: number;
  /** Seconds: oldest `iat` accepted, and furthest `exp` accepted. */
  maxTokenAge: number;
  tokenTyping: TokenTyping;
}

export interface JsonWebKeySet {
  keys: Record<string, unknown>[];
}

/** What the key cache persists so the last good keys survive a restart. */
export interface PersistedKeys {
  jwks: JsonWebKeySet;
  /** Epoch milliseconds of the successful fetch. */
  fetchedAt: number;
}
