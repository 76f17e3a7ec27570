/** The gateway data plane: public surface used by the platform wiring and the control plane. */
export { startGateway } from './server.js';
export { DEFAULT_DRAIN_MS, DEFAULT_LIMITS, OPS_PREFIX, type Gateway, type GatewayOptions, type GatewayLimits, type GatewayStatus, type SnapshotSource } from './options.js';
export type { ExternalTokenVerifier, Principal } from './tokens.js';
export * from './snapshot.js';
export { policyCatalogue, findPolicy, validatePolicyInstance, secretPaths, GATEWAY_OWNED_HEADERS } from './policies/index.js';
export type { PolicySchema, PolicyField, PolicyDefinition, PolicyHandler, PolicyPhase } from './policies/index.js';
export { compileSnapshot, type SkippedEntry } from './compile.js';
export { isCorsOrigin } from './compile-cors.js';
export { BACKEND_URL_RULE, backendUrlProblem } from './compile-api.js';
export { externalTokenVerifier, primeKeysFromSnapshot, snapshotIdpConfigs } from './external-verifier.js';
export { clientIdClaimsOf } from './tokens.js';
export { parsePathTemplate, pathTemplateProblem, routeShape, templateParameter, normalizeTarget } from './path.js';
