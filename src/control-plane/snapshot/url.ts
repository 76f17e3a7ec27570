import { BACKEND_URL_RULE, backendUrlProblem } from '../../gateway/index.js';

/** Absolute http(s) URL with a host and without credentials or fragment (e.g. a CORS origin). */
export function isHttpUrlValue(value: string): boolean {
  // WHATWG parsing forgives `https:///host` and `http:\\host`; an address the user meant must be written plainly.
  if (!/^https?:\/\/[^/\\\s?#@]/i.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && !url.hash && !!url.hostname;
}

/**
 * What a backend URL may be: the gateway's own rule (`backendUrlProblem`), so
 * whatever a definition or deploy accepts, the gateway serves. No query
 * string: the gateway appends the request's path and query to it.
 */
export const isBackendUrl = (value: string): boolean => backendUrlProblem(value) === undefined;
export { BACKEND_URL_RULE };
