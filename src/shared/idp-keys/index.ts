/** External identity providers' keys and token verification, shared by the token service and the gateway. */
export * from './cache.js';
export * from './keys.js';
export * from './presets.js';
export * from './types.js';
export * from './verify.js';
export * from './discovery.js';
export * from './runtime.js';
