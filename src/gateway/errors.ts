import type { ServerResponse } from 'node:http';
import { ApiError } from '../shared/errors.js';
import { InsufficientScope, OAuthError, quoteAuthParam } from '../shared/oauth-errors.js';

/** Failures only a gateway has (the backend or its IdP failed): `ApiError`s with a 502/504 code. */
export type GatewayError = ApiError;

export const gatewayTimeout = (detail?: string): GatewayError => new ApiError('gateway_timeout', 'The backend did not answer in time', undefined, detail);
export const badGateway = (message = 'The backend could not be reached', detail?: string): GatewayError => new ApiError('bad_gateway', message, undefined, detail);
/** Outbound OAuth2: no token could be obtained from the backend's IdP (the IdP's answer stays in `detail`, for logs only). */
export const backendTokenUnavailable = (detail?: string): GatewayError => new ApiError('bad_gateway', 'The gateway could not obtain an access token for the backend', undefined, detail);

/** The installation's egress policy refused the address (the reason, which names it, stays in `detail` for the logs). */
export const egressDenied = (what: 'backend' | 'token endpoint', detail?: string): GatewayError =>
  new ApiError(
    'egress_denied',
    what === 'backend'
      ? "The backend's address is not allowed by this installation's egress policy"
      : "The address of the backend's token endpoint is not allowed by this installation's egress policy",
    undefined,
    detail,
  );

const REALM = 'drawbridge';

/** Bearer challenge without an error code: the request carried no token (RFC 6750 §3.1). */
export class MissingToken extends ApiError {
  constructor() {
    super('unauthenticated', 'This resource requires an access token: send it as "Authorization: Bearer <token>"');
  }
}

export type RenderableError = OAuthError | ApiError;

/** Headers and body for an error; the single place gateway errors become HTTP. */
export function renderError(res: ServerResponse, error: RenderableError, extraHeaders: Record<string, string> | undefined, head: boolean): void {
  const body = JSON.stringify(error.toJSON());
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...extraHeaders,
  };
  if (error instanceof MissingToken) headers['www-authenticate'] = `Bearer realm=${quoteAuthParam(REALM)}`;
  else if (error instanceof OAuthError && (error.status === 401 || error.status === 403 || error.error === 'invalid_request')) {
    let challenge = `Bearer realm=${quoteAuthParam(REALM)}, error=${quoteAuthParam(error.error)}, error_description=${quoteAuthParam(error.description)}`;
    if (error instanceof InsufficientScope) challenge += `, scope=${quoteAuthParam(error.scope)}`;
    headers['www-authenticate'] = challenge;
  }
  res.writeHead(error.status, headers);
  res.end(head ? undefined : body);
}

export function isRenderable(error: unknown): error is RenderableError {
  return error instanceof OAuthError || error instanceof ApiError;
}
