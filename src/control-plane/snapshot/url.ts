import { BACKEND_URL_RULE, backendUrlProblem } from '../../gateway/index.js';

/**
 * What a backend URL may be: the gateway's own rule (`backendUrlProblem`), so
 * whatever a definition or deploy accepts, the gateway serves. No query
 * string: the gateway appends the request's path and query to it.
 */
export const isBackendUrl = (value: string): boolean => backendUrlProblem(value) === undefined;
export { BACKEND_URL_RULE };
