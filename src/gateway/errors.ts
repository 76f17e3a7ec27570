import type { ServerResponse } from 'node:http';
import { ApiError } from '../shared/errors.js';
import { InsufficientScope, OAuthError, quoteAuthParam } from '../shared/oauth-errors.js';

/** Failures only a gateway has (the management API's closed code set has no 504). */
export class GatewayError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly detail?: string) {
    super(message);
    this.name = 'GatewayError';
  }

  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

export const gatewayTimeout = (detail?: string) => new GatewayError(504, 'gateway_timeout', 'The backend did not answer in time', detail);
export const badGateway = (message = 'The backend could not be reached', detail?: string) => new GatewayError(502, 'bad_gateway', message, detail);
/** Outbound OAuth2: no token could be obtained from the backend's IdP (the IdP's answer stays in `detail`, for logs only). */
export const backendTokenUnavailable = (detail?: string) => new GatewayError(502, 'bad_gateway', 'The gateway could not obtain an access token for the backend', detail);

export const REALM = 'drawbridge';

/** Bearer challenge without an error code: the request carried no token (RFC 6750 §3.1). */
export class MissingToken extends ApiError {
  constructor() {
    super('unauthenticated', 'This resource requires an access token: send it as "Authorization: Bearer <token>"');
  }
}

export type RenderableError = OAuthError | ApiError | GatewayError;

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
  return error instanceof OAuthError || error instanceof ApiError || error instanceof GatewayError;
}
