/** The JWT/JWKS module shared by the token service and the gateway. */
export * from './algorithms.js';
export * from './keys.js';
export * from './access-token.js';
