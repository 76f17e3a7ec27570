import { CLIENT_AUTH_METHODS } from './client-auth.js';

/** Paths of the token service's endpoints, relative to the issuer. */
export const PATHS = {
  token: '/oauth2/token',
  jwks: '/oauth2/jwks',
  introspect: '/oauth2/introspect',
  revoke: '/oauth2/revoke',
} as const;

/**
 * Authorization server metadata (RFC 8414), also served as OpenID discovery.
 * The token service is an OAuth server for machine clients: no authorization
 * endpoint, no ID tokens.
 */
export function serverMetadata(issuer: string, grantTypes: string[], signingAlgs: readonly string[]) {
  return {
    issuer,
    token_endpoint: issuer + PATHS.token,
    jwks_uri: issuer + PATHS.jwks,
    introspection_endpoint: issuer + PATHS.introspect,
    revocation_endpoint: issuer + PATHS.revoke,
    grant_types_supported: grantTypes,
    response_types_supported: [] as string[],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    introspection_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    // Every algorithm a published key signs with (a rotation to another algorithm publishes both).
    access_token_signing_alg_values_supported: [...signingAlgs],
  };
}
