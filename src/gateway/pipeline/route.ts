import { ApiError } from '../../shared/errors.js';
import type { Exchange } from '../exchange.js';

/** Method + normalized path → resource (HEAD falls back to GET). */
export function route(ex: Exchange): void {
  const methods = ex.snap.router.find(ex.path);
  if (!methods) throw new ApiError('not_found', `No API resource is deployed at ${ex.path} in ${ex.gw.environment}`);
  ex.methods = methods;
  const method = ex.method;
  const entry = methods.get(method) ?? (method === 'HEAD' ? methods.get('GET') : undefined);
  if (entry) {
    ex.route = entry;
    const rest = ex.path.slice(entry.api.basePath.length);
    ex.upstreamPath = entry.api.backendPath + rest || '/';
    return;
  }
  if (method === 'OPTIONS' && ex.req.headers.origin !== undefined && ex.req.headers['access-control-request-method'] !== undefined) return; // a preflight: next step
  const allowed = [...methods.keys()];
  if (methods.has('GET') && !methods.has('HEAD')) allowed.push('HEAD');
  ex.extraHeaders.allow = allowed.join(', ');
  throw new ApiError('method_not_allowed', `${method} is not allowed on ${ex.path}; allowed: ${allowed.join(', ')}`);
}
