/** Every request of a listener enters here: ops endpoints, or an exchange through the pipeline, then its accounting. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Exchange } from './exchange.js';
import { ops } from './ops.js';
import { OPS_PREFIX } from './options.js';
import { run } from './pipeline/index.js';
import { discard } from './proxy.js';
import type { GatewayState } from './state.js';

export function handle(gw: GatewayState, req: IncomingMessage, res: ServerResponse): void {
  if (req.url?.startsWith(OPS_PREFIX)) {
    ops(gw, req, res).catch((error: Error) => {
      gw.logger.error({ err: { message: error.message } }, 'operations endpoint failed');
      res.destroy();
    });
    return;
  }
  const ex = new Exchange(gw, req, res);
  res.once('close', () => account(ex));
  run(ex, 0);
}

/** When the answer is done (or the consumer left): metrics and the access line. */
function account(ex: Exchange): void {
  const { gw, res } = ex;
  const body = ex.upstream?.body;
  if (body !== undefined && !body.readableEnded) discard(body);
  const seconds = (performance.now() - ex.started) / 1000;
  const api = ex.route?.api.basePath ?? 'none';
  const status = res.writableFinished ? res.statusCode : 499;
  gw.metrics.requests.record(api, status, seconds);
  if (gw.accessLog.enabled)
    gw.accessLog.write({
      reqId: ex.requestId,
      method: ex.req.method,
      path: ex.path || undefined,
      status,
      ms: Math.round(seconds * 100_000) / 100,
      api: ex.route?.api.basePath,
      app: ex.appId,
      error: ex.errorCode,
    });
}
