import { constants, KeyObject, sign, type SignKeyObjectInput } from 'node:crypto';
import { errors, jwtVerify, type CryptoKey, type JWK, type JWTHeaderParameters } from 'jose';
import { isSigningAlg, type SigningAlg } from './algorithms.js';
import { importSigningKey, publicPart } from './keys.js';

/** JOSE `typ` of platform access tokens (RFC 9068 §2.1). */
const ACCESS_TOKEN_TYP = 'at+jwt';

/** The `aud` of tokens for one organization's environment: what that environment's gateways accept. */
export const gatewayAudience = (orgId: string, environment: string): string => `urn:drawbridge:${orgId}:${environment}`;

/** Claims of a platform access token (shared contract between the token service and the gateway). */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  /** Space-separated; absent when no scope was granted (RFC 9068 §2.2.3 with RFC 6749 §3.3). */
  scope?: string;
  iat: number;
  exp: number;
  jti: string;
  org_id: string;
  /** Environment name. */
  env: string;
  app_id: string;
  /** Token exchange: the name of the IdP that issued the subject token. */
  idp?: string;
}

/** How Node's `crypto.sign` makes each JWS algorithm's signature (RFC 7518 §3). */
const NODE_SIGNING: Readonly<Record<SigningAlg, { digest: string | null; options: Omit<SignKeyObjectInput, 'key'> }>> = {
  ES256: { digest: 'sha256', options: { dsaEncoding: 'ieee-p1363' } }, // JWS wants R || S, not DER
  RS256: { digest: 'sha256', options: { padding: constants.RSA_PKCS1_PADDING } },
  PS256: { digest: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  EdDSA: { digest: null, options: {} },
};

/**
 * Signs access tokens with one private key, imported once. The compact JWS
 * is assembled here (the protected header is encoded once per key) and
 * signed with Node's `crypto.sign` in its callback form, which runs on the
 * libuv thread pool like WebCrypto but without jose's and WebCrypto's
 * per-call argument handling: ≈ 35 % less CPU per token (docs/performance.md).
 * jose still generates, imports and verifies every key and token; the tests
 * verify what this signs with jose, for every algorithm.
 */
export class AccessTokenSigner {
  private readonly head: string;
  private readonly options: SignKeyObjectInput;
  private readonly digest: string | null;

  private constructor(
    readonly kid: string,
    readonly alg: SigningAlg,
    key: KeyObject,
  ) {
    this.head = Buffer.from(JSON.stringify({ alg, typ: ACCESS_TOKEN_TYP, kid })).toString('base64url') + '.';
    const how = NODE_SIGNING[alg];
    this.digest = how.digest;
    this.options = { key, ...how.options };
  }

  static async fromJwk(privateJwk: JWK, kid: string, alg: string): Promise<AccessTokenSigner> {
    if (!isSigningAlg(alg)) throw new Error(`unsupported signing algorithm ${alg}`);
    // jose checks the key fits the algorithm (curve, RSA modulus of at least 2048 bits).
    const key = KeyObject.from(await importSigningKey(privateJwk, alg));
    return new AccessTokenSigner(kid, alg, key);
  }

  sign(claims: AccessTokenClaims): Promise<string> {
    const input = this.head + Buffer.from(JSON.stringify(claims)).toString('base64url');
    return new Promise((resolve, reject) => {
      sign(this.digest, Buffer.from(input, 'latin1'), this.options, (error, signature) => {
        if (error) reject(error);
        else resolve(input + '.' + signature.toString('base64url'));
      });
    });
  }
}

/** Why a token was refused; `reason` is safe to show, never contains the token. */
export class AccessTokenInvalid extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AccessTokenInvalid';
  }
}

export interface VerifyOptions {
  /** Epoch milliseconds (from a Clock). */
  now: number;
  /** Required `aud` value (e.g. `gatewayAudience(org, env)`); omitted: any. */
  audience?: string;
  /** Seconds of skew tolerated on `exp`/`iat`; default 0 (same issuer, same clocks). */
  clockTolerance?: number;
}

/**
 * Verifies platform access tokens against a set of published public JWKs
 * (the token service's JWKS or a gateway snapshot's copy). Keys are imported
 * once per `kid`; the algorithm is pinned per key, so a token cannot choose
 * its own (`none`, HMAC with the public key, …).
 */
export class AccessTokenVerifier {
  private readonly keys = new Map<string, { jwk: JWK; imported?: Promise<CryptoKey> }>();

  constructor(
    readonly issuer: string,
    publicJwks: JWK[],
  ) {
    for (const jwk of publicJwks) if (jwk.kid && jwk.alg) this.keys.set(jwk.kid, { jwk: publicPart(jwk) });
  }

  kids(): string[] {
    return [...this.keys.keys()];
  }

  async verify(token: string, options: VerifyOptions): Promise<AccessTokenClaims> {
    try {
      const { payload } = await jwtVerify(token, (header: JWTHeaderParameters) => this.keyFor(header), {
        issuer: this.issuer,
        typ: ACCESS_TOKEN_TYP,
        currentDate: new Date(options.now),
        clockTolerance: options.clockTolerance ?? 0,
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id', 'org_id', 'env', 'aud'],
        ...(options.audience !== undefined && { audience: options.audience }),
      });
      return payload as unknown as AccessTokenClaims;
    } catch (error) {
      throw new AccessTokenInvalid(reasonOf(error));
    }
  }

  private keyFor(header: JWTHeaderParameters): Promise<CryptoKey> {
    const entry = header.kid === undefined ? undefined : this.keys.get(header.kid);
    if (!entry) return Promise.reject(new AccessTokenInvalid('the token was not signed by a published key'));
    if (header.alg !== entry.jwk.alg) return Promise.reject(new AccessTokenInvalid(`the key ${header.kid} signs with ${entry.jwk.alg}, not ${header.alg}`));
    if (header.crit !== undefined) return Promise.reject(new AccessTokenInvalid('the token has critical header parameters'));
    entry.imported ??= importSigningKey(entry.jwk, entry.jwk.alg as string);
    return entry.imported;
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof AccessTokenInvalid) return error.reason;
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim check failed: ${error.claim} (${error.reason})`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the signature is invalid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the algorithm is not allowed';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'the token is malformed';
  if (error instanceof errors.JOSEError) return `the token is invalid (${error.code})`;
  return 'the token is invalid';
}
