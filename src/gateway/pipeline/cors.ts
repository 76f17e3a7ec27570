import type { Exchange } from '../exchange.js';

/** CORS headers for an actual request from an allowed origin (errors carry them too, so browsers can read them). */
export function cors(ex: Exchange): void {
  const c = ex.apiRoute.cors;
  const origin = ex.req.headers.origin;
  if (!c || origin === undefined || (!c.anyOrigin && !c.origins.has(origin))) return;
  ex.extraHeaders['access-control-allow-origin'] = c.anyOrigin ? '*' : origin;
  ex.extraHeaders.vary = 'Origin';
  if (c.allowCredentials) ex.extraHeaders['access-control-allow-credentials'] = 'true';
  if (c.exposeHeaders) ex.extraHeaders['access-control-expose-headers'] = c.exposeHeaders;
}
