import { createPublicKey, hash } from 'node:crypto';
import { errors as joseErrors, type JWK, type JWTPayload } from 'jose';
import { AccessTokenInvalid, AccessTokenVerifier, type AccessTokenClaims } from '../shared/jwt/index.js';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import { InvalidToken, OAuthError } from '../shared/oauth-errors.js';
import type { SnapshotIdentityProvider, SnapshotJwk } from './snapshot.js';

/** Who called, as established by a verified token. Cached until the token expires. */
export interface Principal {
  kind: 'platform' | 'external';
  /** For external tokens: the IdP that vouched for it. */
  idpId?: string;
  subject: string;
  clientId: string;
  /** Platform tokens: the `app_id` claim (checked against the snapshot's client map). */
  appId?: string;
  scopes: ReadonlySet<string>;
  audiences: readonly string[];
  jti?: string;
  /** Expiry, epoch milliseconds. */
  expMs: number;
  claims: JWTPayload;
}

/**
 * Verifies tokens issued by an organization's own IdP (implemented by the
 * external-IdP key cache). Must check the signature against the IdP's JWKS
 * (algorithm pinned per key), `iss` = `idp.issuer` (or, with `idp.issuerTemplate`,
 * an allowed tenant's issuer agreeing with `tid`), `exp`/`nbf`/`iat` within
 * `idp.clockSkewSeconds`, and `aud` ∈ `idp.audiences`; throws `InvalidToken`
 * (or another `OAuthError`, e.g. `TemporarilyUnavailable`) when it does not hold.
 */
export interface ExternalTokenVerifier {
  verify(token: string, idp: SnapshotIdentityProvider): Promise<JWTPayload>;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const ASYMMETRIC_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

export interface PlatformKeys {
  /** The verifier shared with the token service (`src/shared/jwt`): algorithm pinned per key. */
  verifier: AccessTokenVerifier;
  /** Identifies issuer + key set: verification results are reusable while it is unchanged. */
  fingerprint: string;
}

/** Checks the snapshot's public keys when it is loaded (each must import); a private or symmetric key is a config error. */
export function importPlatformKeys(issuer: string, jwks: readonly SnapshotJwk[], path = 'keys'): PlatformKeys {
  const kids = new Set<string>();
  jwks.forEach((jwk, i) => {
    const at = `${path}[${i}]`;
    if (typeof jwk !== 'object' || jwk === null) throw new ConfigError(at, 'must be a JWK object');
    if (typeof jwk.kid !== 'string' || jwk.kid === '') throw new ConfigError(`${at}.kid`, 'is required');
    if (typeof jwk.alg !== 'string' || !ASYMMETRIC_ALGS.has(jwk.alg)) throw new ConfigError(`${at}.alg`, 'must be an asymmetric JWS algorithm (RS*, PS*, ES*, EdDSA)');
    for (const m of PRIVATE_MEMBERS) if (m in jwk) throw new ConfigError(`${at}.${m}`, 'private or symmetric key material is not allowed in a snapshot');
    if (kids.has(jwk.kid)) throw new ConfigError(`${at}.kid`, `duplicate kid ${JSON.stringify(jwk.kid)}`);
    try {
      createPublicKey({ key: jwk as unknown as import('node:crypto').JsonWebKey, format: 'jwk' });
    } catch (e) {
      throw new ConfigError(at, `not a usable public key: ${(e as Error).message}`);
    }
    kids.add(jwk.kid);
  });
  const fingerprint = hash('sha256', JSON.stringify([issuer, jwks]), 'base64url');
  return { verifier: new AccessTokenVerifier(issuer, jwks as unknown as JWK[]), fingerprint };
}

export const tokenHash = (token: string): string => hash('sha256', token, 'base64url');

/** Reads `iss` without verifying anything: only to choose which verifier applies. */
export function unverifiedIssuer(token: string): string | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 1 || second < 0) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8')) as unknown;
    const iss = (payload as { iss?: unknown } | null)?.iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

/** Reads `aud` (a string or an array of strings) without verifying anything: only to choose among IdPs sharing an issuer. */
export function unverifiedAudiences(token: string): string[] {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 1 || second < 0) return [];
  try {
    const aud = (JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8')) as { aud?: unknown } | null)?.aud;
    return typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
  } catch {
    return [];
  }
}

function scopesOf(claims: JWTPayload): Set<string> {
  const raw = claims.scope ?? claims.scp;
  if (typeof raw === 'string') return new Set(raw.split(' ').filter(Boolean));
  if (Array.isArray(raw)) return new Set(raw.filter((s): s is string => typeof s === 'string'));
  return new Set();
}

const audiencesOf = (claims: JWTPayload): string[] => (typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : []);

/** Public messages for verification failures; the jose reason goes to `detail` (logs only). */
function invalid(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof joseErrors.JWTExpired) return new InvalidToken('The access token expired', error.message);
  if (error instanceof joseErrors.JWTClaimValidationFailed) return new InvalidToken(`The access token's ${error.claim} claim is not valid`, error.message);
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new InvalidToken('The access token signature is not valid', error.message);
  return new InvalidToken('The access token is malformed or not signed by a trusted key', (error as Error)?.message);
}

export async function verifyPlatformToken(token: string, keys: PlatformKeys, clock: Clock): Promise<Principal> {
  let claims: AccessTokenClaims;
  try {
    claims = await keys.verifier.verify(token, { now: clock.now() });
  } catch (error) {
    if (error instanceof AccessTokenInvalid) throw new InvalidToken(`The access token is not valid: ${error.reason}`);
    throw invalid(error);
  }
  if (typeof claims.client_id !== 'string' || typeof claims.jti !== 'string' || typeof claims.sub !== 'string') {
    throw new InvalidToken('The access token is not valid: required claims are missing', 'client_id/jti/sub not strings');
  }
  const payload = claims as unknown as JWTPayload;
  return {
    kind: 'platform',
    subject: claims.sub,
    clientId: claims.client_id,
    appId: typeof claims.app_id === 'string' ? claims.app_id : undefined,
    scopes: scopesOf(payload),
    audiences: audiencesOf(payload),
    jti: claims.jti,
    expMs: claims.exp * 1000,
    claims: payload,
  };
}

/** The IdP's client-ID claims in order; snapshots written before the list existed carry only the first. */
export const clientIdClaimsOf = (idp: SnapshotIdentityProvider): string[] => idp.clientIdClaims ?? [idp.clientIdClaim];

export async function verifyExternalToken(token: string, idp: SnapshotIdentityProvider, verifier: ExternalTokenVerifier): Promise<Principal> {
  let payload: JWTPayload;
  try {
    payload = await verifier.verify(token, idp);
  } catch (error) {
    throw invalid(error);
  }
  const claimNames = clientIdClaimsOf(idp);
  // First present wins, as in the shared IdP verifier (Entra: `azp`, else `appid`).
  const claimName = claimNames.find((c) => typeof payload[c] === 'string' && payload[c] !== '');
  if (claimName === undefined) {
    throw new InvalidToken(`The access token has no ${claimNames.join(' or ')} claim identifying the client`);
  }
  const clientId = payload[claimName] as string;
  if (typeof payload.exp !== 'number') throw new InvalidToken('The access token has no expiry');
  return {
    kind: 'external',
    idpId: idp.id,
    subject: typeof payload.sub === 'string' ? payload.sub : clientId,
    clientId,
    scopes: scopesOf(payload),
    audiences: audiencesOf(payload),
    jti: typeof payload.jti === 'string' ? payload.jti : undefined,
    expMs: payload.exp * 1000,
    claims: payload,
  };
}

/**
 * Verified principals keyed by a hash of the token (plus the verifying party),
 * kept until the token's own expiry, bounded in size (oldest entries go first).
 * Only signature/claims verification is cached: subscription, audience,
 * scopes and revocation are checked against the current snapshot per request.
 */
export class TokenCache {
  private readonly entries = new Map<string, Principal>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries = 100_000,
  ) {}

  get(key: string): Principal | undefined {
    const p = this.entries.get(key);
    if (p && p.expMs <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return p;
  }

  set(key: string, principal: Principal): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, principal);
  }

  get size(): number {
    return this.entries.size;
  }
}
