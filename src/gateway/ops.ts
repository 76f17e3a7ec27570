/** The gateway's own endpoints under `/_drawbridge/`: health, readiness and metrics. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OPS_PREFIX, type GatewayStatus } from './options.js';
import { peerTrusted, type GatewayState } from './state.js';

export function statusOf(gw: GatewayState): GatewayStatus {
  const held = gw.holder.current;
  return {
    environment: gw.environment,
    ready: held !== undefined,
    snapshot: held ? { version: held.compiled.version, generatedAt: held.compiled.raw.generatedAt, source: held.origin, loadedAt: held.loadedAt, apis: held.compiled.apis.length } : null,
  };
}

function json(gw: GatewayState, res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' };
  if (gw.workerId !== undefined) headers['x-drawbridge-worker'] = gw.workerId;
  res.writeHead(status, headers);
  res.end(text);
}

export async function ops(gw: GatewayState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url!.split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(gw, res, 405, { code: 'method_not_allowed', message: 'Operations endpoints answer GET only' });
  switch (path) {
    case `${OPS_PREFIX}healthz`:
      return json(gw, res, 200, { status: 'ok', ...statusOf(gw) });
    case `${OPS_PREFIX}readyz`: {
      const status = statusOf(gw);
      return json(gw, res, status.ready ? 200 : 503, status);
    }
    case `${OPS_PREFIX}metrics`: {
      // Request counts per API say what an installation runs: only for the scrapers' networks.
      if (gw.metricsAllowed && !peerTrusted(gw.metricsAllowed, req.socket.remoteAddress)) return json(gw, res, 404, { code: 'not_found', message: `No operations endpoint at ${path}` });
      const text = await gw.metrics.registry.metrics();
      const headers: Record<string, string> = { 'content-type': gw.metrics.registry.contentType, 'cache-control': 'no-store' };
      if (gw.workerId !== undefined) headers['x-drawbridge-worker'] = gw.workerId;
      res.writeHead(200, headers);
      res.end(text);
      return;
    }
    default:
      return json(gw, res, 404, { code: 'not_found', message: `No operations endpoint at ${path}` });
  }
}
