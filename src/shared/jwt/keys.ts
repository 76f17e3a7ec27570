import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { SigningAlg } from './algorithms.js';

/** A freshly generated key pair as JWKs; `kid` is the RFC 7638 thumbprint of the public key. */
export interface GeneratedKey {
  kid: string;
  alg: SigningAlg;
  publicJwk: JWK;
  privateJwk: JWK;
}

export async function generateSigningKey(alg: SigningAlg): Promise<GeneratedKey> {
  const options = alg === 'EdDSA' ? { extractable: true, crv: 'Ed25519' } : alg === 'ES256' ? { extractable: true } : { extractable: true, modulusLength: 2048 };
  const { publicKey, privateKey } = await generateKeyPair(alg, options);
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  const publicJwk: JWK = { ...pub, kid, alg, use: 'sig' };
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg };
  return { kid, alg, publicJwk, privateJwk };
}

/** Imports a key once; callers keep the result (importing per signature would dominate its cost). */
export async function importSigningKey(jwk: JWK, alg: string): Promise<CryptoKey> {
  const key = await importJWK(jwk, alg);
  if (key instanceof Uint8Array) throw new Error('symmetric keys are not signing keys');
  return key;
}

/** The public half of a JWK: only the members a verifier needs. */
export function publicPart(jwk: JWK): JWK {
  const { kty, crv, x, y, n, e, kid, alg, use } = jwk;
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e, kid, alg, use }).filter(([, v]) => v !== undefined)) as JWK;
}
