import { ApiError } from '../../shared/errors.js';
import type { Exchange } from '../exchange.js';

/** Answers a CORS preflight without a token, from the API's CORS settings. */
export function preflight(ex: Exchange): boolean {
  if (ex.method !== 'OPTIONS') return false;
  const requested = ex.req.headers['access-control-request-method'];
  const origin = ex.req.headers.origin;
  if (requested === undefined || origin === undefined) return false;
  const entry = ex.methods!.get(requested) ?? ex.methods!.values().next().value!;
  const cors = entry.api.cors;
  if (!cors) {
    if (ex.route) return false; // an OPTIONS resource of an API without CORS: route it
    throw new ApiError('method_not_allowed', `OPTIONS is not allowed on ${ex.path}`);
  }
  if (!cors.anyOrigin && !cors.origins.has(origin)) throw new ApiError('forbidden', `Origin ${origin} is not allowed to call this API`);
  if (!ex.methods!.has(requested) && !(requested === 'HEAD' && ex.methods!.has('GET'))) {
    throw new ApiError('method_not_allowed', `${requested} is not allowed on ${ex.path}`);
  }
  const headers: Record<string, string> = {
    ...ex.extraHeaders,
    'access-control-allow-origin': cors.anyOrigin ? '*' : origin,
    'access-control-allow-methods': cors.allowMethods,
    'access-control-max-age': cors.maxAge,
    vary: 'Origin',
    'content-length': '0',
  };
  if (cors.allowHeaders) headers['access-control-allow-headers'] = cors.allowHeaders;
  if (cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
  ex.res.writeHead(204, headers);
  ex.res.end();
  return true;
}
