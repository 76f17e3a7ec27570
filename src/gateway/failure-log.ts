import { OAuthError } from '../shared/oauth-errors.js';
import type { RenderableError } from './errors.js';
import type { Exchange } from './exchange.js';

const FAILURE_LOG_INTERVAL_MS = 1_000;

/**
 * The private `detail` of a failure (the socket error, the jose reason), for
 * operators: 502/504 at `warn` (at most one line per API and code per second,
 * the next one saying how many were left out: `suppressed`), token refusals (401/403 bearer errors) at
 * `debug` (with the public reason too, as some refusals have no detail).
 * Only the request ID, API, code and detail: never headers or the token
 * (details are built from error codes and claims, not from the token).
 */
export function logRefusal(ex: Exchange, e: RenderableError): void {
  const status = e.status;
  if (status === 502 || status === 504) {
    const gw = ex.gw;
    const api = ex.route?.api.basePath;
    // A backend or IdP that is down fails every request: one line per API and code per second, with how many were left out.
    const key = `${api}\n${ex.errorCode}`;
    const now = gw.clock.now();
    const seen = gw.failureLog.get(key);
    if (seen !== undefined && now < seen.until) {
      seen.suppressed++;
      return;
    }
    if (gw.failureLog.size >= 1_000) gw.failureLog.clear();
    gw.failureLog.set(key, { until: now + FAILURE_LOG_INTERVAL_MS, suppressed: 0 });
    const suppressed = seen?.suppressed || undefined;
    gw.logger.warn({ env: gw.environment, reqId: ex.requestId, api, code: ex.errorCode, detail: e.detail, suppressed }, 'gateway upstream failure');
  } else if ((status === 401 || status === 403) && e instanceof OAuthError && ex.gw.logger.isLevelEnabled('debug')) {
    ex.gw.logger.debug({ env: ex.gw.environment, reqId: ex.requestId, api: ex.route?.api.basePath, code: ex.errorCode, reason: e.description, detail: e.detail }, 'gateway token refused');
  }
}
