/** Algorithms the token service may sign with (`DRAWBRIDGE_SIGNING_ALG`). ES256 is the default. */
export const SIGNING_ALGS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
export const DEFAULT_SIGNING_ALG: SigningAlg = 'ES256';

export const isSigningAlg = (value: string): value is SigningAlg => (SIGNING_ALGS as readonly string[]).includes(value);
