import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { JsonWebKeySet } from './types.js';

/**
 * Public keys of an IdP with the algorithms each may verify, decided from the
 * key itself (`kty`, `crv`, `alg`), never from a token's header. Symmetric
 * keys, private keys and encryption keys are dropped, so `none` and HMAC can
 * never verify anything.
 */
export interface PinnedKey {
  kid: string | undefined;
  kty: string;
  crv: string | undefined;
  /** Algorithms this key may verify. */
  algs: ReadonlySet<string>;
  key: KeyObject;
  /** The public JWK as imported (no private members, no certificates): what may be persisted or shown. */
  jwk: Record<string, unknown>;
}

const RSA_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALG_BY_CURVE: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
/** Algorithms an IdP token may use at all. */
export const ASYMMETRIC_ALGS = new Set([...RSA_ALGS, 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
const MAX_KEYS = 100;
const MIN_RSA_BITS = 2048;

export interface ParsedKeySet {
  keys: PinnedKey[];
  /** Why each dropped key was dropped (for the `test` action). */
  skipped: string[];
}

function pinnedAlgs(jwk: Record<string, unknown>): string[] | string {
  const alg = typeof jwk.alg === 'string' ? jwk.alg : undefined;
  switch (jwk.kty) {
    case 'RSA':
      if (alg === undefined) return RSA_ALGS;
      return RSA_ALGS.includes(alg) ? [alg] : `RSA key with unsupported alg ${alg}`;
    case 'EC': {
      const byCurve = EC_ALG_BY_CURVE[String(jwk.crv)];
      if (!byCurve) return `EC key on unsupported curve ${String(jwk.crv)}`;
      if (alg !== undefined && alg !== byCurve) return `EC key on ${String(jwk.crv)} declares alg ${alg}`;
      return [byCurve];
    }
    case 'OKP':
      if (jwk.crv !== 'Ed25519') return `OKP key on unsupported curve ${String(jwk.crv)}`;
      if (alg !== undefined && alg !== 'EdDSA' && alg !== 'Ed25519') return `Ed25519 key declares alg ${alg}`;
      return ['EdDSA', 'Ed25519'];
    default:
      return `key type ${String(jwk.kty)} is not accepted (only RSA, EC and OKP public keys)`;
  }
}

const PUBLIC_MEMBERS: Record<string, string[]> = { RSA: ['kty', 'n', 'e'], EC: ['kty', 'crv', 'x', 'y'], OKP: ['kty', 'crv', 'x'] };

/** Turns a JWKS document into pinned verification keys; throws when it is not a JWKS at all. */
export function parseKeySet(doc: unknown): ParsedKeySet {
  const keys = (doc as JsonWebKeySet | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('the document has no "keys" array');
  const out: PinnedKey[] = [];
  const skipped: string[] = [];
  for (const [i, raw] of keys.slice(0, MAX_KEYS).entries()) {
    const name = `key ${typeof raw?.kid === 'string' ? JSON.stringify(raw.kid) : `#${i}`}`;
    if (raw === null || typeof raw !== 'object') {
      skipped.push(`${name}: not an object`);
      continue;
    }
    const jwk = raw as Record<string, unknown>;
    if (jwk.use !== undefined && jwk.use !== 'sig') {
      skipped.push(`${name}: use is ${String(jwk.use)}, not sig`);
      continue;
    }
    if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) {
      skipped.push(`${name}: key_ops does not include verify`);
      continue;
    }
    if ('d' in jwk || 'k' in jwk) {
      skipped.push(`${name}: private or symmetric key material is never used`);
      continue;
    }
    const algs = pinnedAlgs(jwk);
    if (typeof algs === 'string') {
      skipped.push(`${name}: ${algs}`);
      continue;
    }
    try {
      // Only the public members reach the importer: no x5c, no private parts.
      const members = Object.fromEntries((PUBLIC_MEMBERS[String(jwk.kty)] ?? []).map((m) => [m, jwk[m]]));
      const key = createPublicKey({ key: members as never, format: 'jwk' });
      if (jwk.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
        skipped.push(`${name}: RSA key shorter than ${MIN_RSA_BITS} bits`);
        continue;
      }
      const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
      const saved = { ...members, ...(kid !== undefined && { kid }), ...(typeof jwk.alg === 'string' && { alg: jwk.alg }), use: 'sig' };
      out.push({ kid, kty: String(jwk.kty), crv: typeof jwk.crv === 'string' ? jwk.crv : undefined, algs: new Set(algs), key, jwk: saved });
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message}`);
    }
  }
  if (keys.length > MAX_KEYS) skipped.push(`${keys.length - MAX_KEYS} keys beyond the first ${MAX_KEYS} ignored`);
  return { keys: out, skipped };
}

const HASH: Record<string, string> = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };
const EC_SIG_BYTES: Record<string, number> = { ES256: 64, ES384: 96, ES512: 132 };

/** Verifies a JWS signature over `signingInput` with a pinned key; `alg` must already be one of `key.algs`. */
export function verifySignature(alg: string, key: PinnedKey, signingInput: Buffer, signature: Buffer): boolean {
  if (!key.algs.has(alg)) return false;
  const family = alg.slice(0, 2);
  try {
    if (family === 'RS') return verify(HASH[alg.slice(2)]!, signingInput, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, signature);
    if (family === 'PS') return verify(HASH[alg.slice(2)]!, signingInput, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
    if (family === 'ES') return signature.length === EC_SIG_BYTES[alg] && verify(HASH[alg.slice(2)]!, signingInput, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
    return verify(null, signingInput, key.key, signature);
  } catch {
    return false;
  }
}
