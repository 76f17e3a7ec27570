/**
 * The pipeline runner: the steps in order, and the error answer when one
 * throws or rejects. One file per step in this folder.
 */
import { ApiError } from '../../shared/errors.js';
import { OAuthError } from '../../shared/oauth-errors.js';
import { isRenderable, renderError, type RenderableError } from '../errors.js';
import type { Exchange, Step } from '../exchange.js';
import { logRefusal } from '../failure-log.js';
import { authenticate } from './authenticate.js';
import { authorize } from './authorize.js';
import { checkRequest } from './check-request.js';
import { cors } from './cors.js';
import { preflight } from './preflight.js';
import { prepare } from './prepare.js';
import { proxy } from './proxy.js';
import { relay } from './relay.js';
import { requestPolicies } from './request-policies.js';
import { responsePolicies } from './response-policies.js';
import { route } from './route.js';

const PIPELINE: readonly Step[] = [checkRequest, route, preflight, cors, authenticate, authorize, prepare, requestPolicies, proxy, responsePolicies, relay];

/**
 * Runs the steps from `from` on. Synchronous steps run back to back; only a
 * step that returns a promise costs a microtask (the cached-token path has one:
 * the backend call).
 */
export function run(ex: Exchange, from: number): void {
  try {
    for (let i = from; i < PIPELINE.length; i++) {
      const result = PIPELINE[i]!(ex);
      if (result === true) return;
      if (result !== undefined && result !== false) {
        result.then(
          (answered) => {
            if (answered !== true) run(ex, i + 1);
          },
          (error: unknown) => fail(ex, error),
        );
        return;
      }
    }
  } catch (error) {
    fail(ex, error);
  }
}

/** Answers with the error (an unexpected one as 500 `internal`, logged with its stack). */
function fail(ex: Exchange, error: unknown): void {
  const { res } = ex;
  if (!isRenderable(error)) {
    ex.gw.logger.error({ reqId: ex.requestId, err: { message: (error as Error)?.message, stack: (error as Error)?.stack } }, 'gateway request failed');
    error = new ApiError('internal', 'The gateway failed to handle the request');
  }
  const e = error as RenderableError;
  ex.errorCode = e instanceof OAuthError ? e.error : e.code;
  logRefusal(ex, e);
  if (ex.upstream) ex.upstream.body.dump().catch(() => {});
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  try {
    renderError(res, e, ex.extraHeaders, ex.method === 'HEAD');
  } catch (renderFailure) {
    // This runs in promise callbacks: a throw here would be an unhandled rejection, i.e. a process exit.
    ex.gw.logger.error({ reqId: ex.requestId, err: { message: (renderFailure as Error)?.message } }, 'gateway error response could not be written');
    res.destroy();
  }
}
