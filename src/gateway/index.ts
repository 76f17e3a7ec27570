/** The gateway data plane: public surface used by the platform wiring and the control plane. */
export { startGateway } from './server.js';
export type { Gateway } from './options.js';
export * from './snapshot.js';
export { policyCatalogue, findPolicy, validatePolicyInstance, secretPaths } from './policies/index.js';
export type { PolicySchema, PolicyField, PolicyPhase } from './policies/index.js';
export { compileSnapshot, type SkippedEntry } from './compile.js';
export { isCorsOrigin } from './compile-cors.js';
export { BACKEND_URL_RULE, backendUrlProblem } from './compile-api.js';
export { externalTokenVerifier, primeKeysFromSnapshot, snapshotIdpConfigs } from './external-verifier.js';
export { pathTemplateProblem, routeShape, templateParameter, normalizeTarget } from './path.js';
