import type { Exchange } from '../exchange.js';
import { logRefusal } from '../failure-log.js';
import { discard, upstreamFailure } from '../proxy.js';

/**
 * Streams the backend's answer to the consumer. Plain `pipe` (not
 * `stream.pipeline`, which allocates an AbortController and an AbortError per
 * call); `account` destroys the backend body if the consumer leaves early.
 */
export function relay(ex: Exchange): void {
  const headers = ex.responseHeaders;
  for (const name in ex.extraHeaders) headers[name] = ex.extraHeaders[name];
  const { res } = ex;
  const body = ex.upstream!.body;
  if (res.destroyed) {
    // the consumer left while the backend was answering: free the backend connection
    discard(body);
    return;
  }
  res.writeHead(ex.status, headers as Record<string, string | string[]>);
  body.once('error', (error) => {
    if (res.destroyed) return; // the consumer left first: not a backend failure
    const failure = upstreamFailure(error);
    ex.gw.metrics.upstreamErrors.inc({ environment: ex.gw.environment, api: ex.apiRoute.basePath, kind: failure.kind });
    ex.errorCode = failure.error.code;
    logRefusal(ex, failure.error);
    res.destroy();
  });
  body.pipe(res);
}
