import type { HeaderMap, PolicyHandler } from '../types.js';
import type { SetHeadersConfig } from './schema.js';

export function create(config: SetHeadersConfig): PolicyHandler {
  const entries = config.headers.map((h) => [h.name, h.value] as const);
  const apply = (headers: HeaderMap) => {
    for (const [name, value] of entries) headers[name] = value;
  };
  return {
    onRequest: (ctx) => apply(ctx.upstreamHeaders),
    onResponse: (ctx) => apply(ctx.responseHeaders),
  };
}
