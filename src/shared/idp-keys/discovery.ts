import { safeFetchJson, SafeFetchError, type SafeFetchOptions } from '../safe-fetch.js';

/**
 * OpenID Connect discovery / RFC 8414 metadata of an external IdP: what the
 * control plane needs to fill in an identity provider from its well-known URL.
 */
export interface DiscoveredProvider {
  /** The URL the document was fetched from (before redirects). */
  wellKnownUrl: string;
  /** `issuer` from the document. */
  issuer: string;
  /**
   * The issuer the well-known URL was built from (RFC 8414 §3.3 / OIDC
   * Discovery §4.3), or undefined when the URL has no recognizable
   * `.well-known` form.
   */
  expectedIssuer: string | undefined;
  /** The document's issuer is exactly the expected one. */
  issuerMatches: boolean;
  tokenEndpoint: string | undefined;
  jwksUri: string;
  signingAlgs: string[] | undefined;
}

const OIDC_SUFFIX = '/.well-known/openid-configuration';
const RFC8414_PREFIXES = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

/** The issuer that a well-known URL was derived from, both the OIDC (suffix) and RFC 8414 (inserted) forms. */
function expectedIssuerFor(wellKnownUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(wellKnownUrl);
  } catch {
    return undefined;
  }
  if (url.search || url.hash) return undefined;
  if (url.pathname.endsWith(OIDC_SUFFIX)) return url.origin + url.pathname.slice(0, -OIDC_SUFFIX.length);
  for (const prefix of RFC8414_PREFIXES) {
    if (url.pathname.startsWith(prefix + '/')) return url.origin + url.pathname.slice(prefix.length);
  }
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Fetches and reads a discovery document; refusals are `SafeFetchError`s (`code: 'invalid_metadata'` for a bad document). */
export async function discoverProvider(wellKnownUrl: string, fetchOptions: SafeFetchOptions): Promise<DiscoveredProvider> {
  const { json } = await safeFetchJson(wellKnownUrl, fetchOptions);
  const issuer = str(json.issuer);
  const jwksUri = str(json.jwks_uri);
  if (!issuer) throw new SafeFetchError('invalid_json', 'The discovery document has no "issuer"', wellKnownUrl);
  if (!jwksUri) throw new SafeFetchError('invalid_json', 'The discovery document has no "jwks_uri"', wellKnownUrl);
  const expectedIssuer = expectedIssuerFor(wellKnownUrl);
  const algs = json.id_token_signing_alg_values_supported;
  return {
    wellKnownUrl,
    issuer,
    expectedIssuer,
    issuerMatches: expectedIssuer === issuer,
    tokenEndpoint: str(json.token_endpoint),
    jwksUri,
    signingAlgs: Array.isArray(algs) ? algs.filter((a): a is string => typeof a === 'string') : undefined,
  };
}

/** The JWKS fetcher the key cache uses, under the installation's private-URL policy. */
export const jwksFetcher =
  (options: { allowPrivate: boolean }) =>
  async (jwksUri: string): Promise<unknown> =>
    (await safeFetchJson(jwksUri, { allowPrivate: options.allowPrivate, headers: { accept: 'application/jwk-set+json, application/json' } })).json;
