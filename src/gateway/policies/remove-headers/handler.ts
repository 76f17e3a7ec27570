import type { HeaderMap, PolicyHandler } from '../types.js';
import type { RemoveHeadersConfig } from './schema.js';

export function create(config: RemoveHeadersConfig): PolicyHandler {
  const names = [...config.headers];
  const apply = (headers: HeaderMap) => {
    for (const name of names) delete headers[name];
  };
  return {
    onRequest: (ctx) => apply(ctx.upstreamHeaders),
    onResponse: (ctx) => apply(ctx.responseHeaders),
  };
}
