/**
 * Identity-provider kinds and their defaults, in one table. A kind only
 * supplies defaults at creation time; every value stays editable per IdP.
 */
export type IdpKind = 'okta' | 'microsoft' | 'auth0' | 'keycloak' | 'generic-oidc';

/**
 * How an IdP tells access tokens from ID tokens:
 * - `at+jwt`: access tokens carry the header `typ: at+jwt` (RFC 9068); other JWTs are not access tokens.
 * - `claim`: a payload claim `typ` says `Bearer` (access token) or `ID` (ID token), as Keycloak does.
 * - `none`: the IdP does not mark types; only an explicit `typ: at+jwt` is held against an ID-token declaration.
 */
export type TokenTyping = 'at+jwt' | 'claim' | 'none';
export const TOKEN_TYPINGS: readonly TokenTyping[] = ['at+jwt', 'claim', 'none'];

export interface IdpPreset {
  label: string;
  /** Claims that carry the client ID, first present wins. */
  clientIdClaims: string[];
  subjectClaim: string;
  tokenTyping: TokenTyping;
}

export const IDP_PRESETS: Readonly<Record<IdpKind, IdpPreset>> = {
  okta: { label: 'Okta', clientIdClaims: ['cid'], subjectClaim: 'sub', tokenTyping: 'none' },
  microsoft: { label: 'Microsoft Entra ID', clientIdClaims: ['azp', 'appid'], subjectClaim: 'sub', tokenTyping: 'none' },
  auth0: { label: 'Auth0', clientIdClaims: ['azp'], subjectClaim: 'sub', tokenTyping: 'none' },
  keycloak: { label: 'Keycloak', clientIdClaims: ['azp'], subjectClaim: 'sub', tokenTyping: 'claim' },
  'generic-oidc': { label: 'Any OpenID Connect provider', clientIdClaims: ['client_id'], subjectClaim: 'sub', tokenTyping: 'none' },
};

export const IDP_KINDS = Object.keys(IDP_PRESETS) as IdpKind[];

export const CLOCK_SKEW = { default: 60, max: 300 } as const;
/** Oldest token accepted (now − iat) and furthest `exp` accepted (exp − now), in seconds. */
export const MAX_TOKEN_AGE = { default: 86_400, min: 60, max: 7 * 86_400 } as const;

/** Placeholder of a multi-tenant (Microsoft `common`/`organizations`) issuer template. */
export const TENANT_PLACEHOLDER = '{tenantid}';
