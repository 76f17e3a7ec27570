import type { Dispatcher } from 'undici';
import { ApiError } from '../../shared/errors.js';
import type { Exchange } from '../exchange.js';
import { BodyLimit, downstreamHeaders, payloadTooLarge, upstreamFailure } from '../proxy.js';

function send(ex: Exchange): Promise<Dispatcher.ResponseData> {
  const { gw } = ex;
  const api = ex.apiRoute;
  const limits = api.limits;
  const pool = (api.dispatcher ??= gw.pools.get(api.origin, limits.connectTimeoutMs ?? gw.limits.connectTimeoutMs));
  // The callback form: one promise per backend call instead of a chain.
  return new Promise((resolve, reject) => {
    pool.request(
      {
        method: ex.method as Dispatcher.HttpMethod,
        path: ex.upstreamPath + ex.query,
        headers: ex.upstreamHeaders as Record<string, string | string[]>,
        body: ex.body,
        headersTimeout: limits.headersTimeoutMs ?? gw.limits.headersTimeoutMs,
        bodyTimeout: limits.bodyTimeoutMs ?? gw.limits.bodyTimeoutMs,
      },
      (error, data) => {
        if (!error) return resolve(data);
        if (error instanceof ApiError) return reject(error); // the body limit tripped while streaming
        if (ex.body instanceof BodyLimit && ex.body.exceeded) return reject(payloadTooLarge(api.limits.maxBodyBytes ?? gw.limits.maxBodyBytes));
        const failure = upstreamFailure(error);
        gw.metrics.upstreamErrors.inc({ environment: gw.environment, api: api.basePath, kind: failure.kind });
        reject(failure.error);
      },
    );
  });
}

/** Forwards the request; on a backend 401 a replayable request may be sent once more if a policy asks. */
export function proxy(ex: Exchange): Promise<void> {
  const sent = send(ex);
  if (!ex.replayable) return sent.then((upstream) => received(ex, upstream));
  return sent.then((upstream) => {
    const checked = retryOn401(ex, upstream);
    return checked instanceof Promise ? checked.then((again) => received(ex, again)) : received(ex, checked);
  });
}

/** Synchronous unless the backend answered 401 (then the async path asks the policies). */
function retryOn401(ex: Exchange, upstream: Dispatcher.ResponseData): Dispatcher.ResponseData | Promise<Dispatcher.ResponseData> {
  return upstream.statusCode === 401 ? retryAfter401(ex, upstream) : upstream;
}

async function retryAfter401(ex: Exchange, upstream: Dispatcher.ResponseData): Promise<Dispatcher.ResponseData> {
  let retry = false;
  for (const policy of ex.resource.requestPolicies) {
    const hook = policy.handler.onBackendUnauthorized;
    if (hook && (await hook(ex))) retry = true;
  }
  if (!retry) return upstream;
  await upstream.body.dump();
  ex.gw.metrics.retries.inc({ environment: ex.gw.environment, api: ex.apiRoute.basePath });
  return send(ex);
}

function received(ex: Exchange, upstream: Dispatcher.ResponseData): void {
  ex.upstream = upstream;
  ex.status = upstream.statusCode;
  ex.responseHeaders = downstreamHeaders(upstream.headers);
}
