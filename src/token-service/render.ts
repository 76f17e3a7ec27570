import type { FastifyReply, FastifyRequest } from 'fastify';
import { MalformedRequest } from '../shared/http-framing.js';
import { TooManyFailedAuthentications } from './throttle.js';
import { InvalidClient, InvalidRequest, OAuthError, ServerError, TemporarilyUnavailable, quoteAuthParam } from '../shared/oauth-errors.js';
import { isDatabaseUnavailable } from '../store/db.js';

/** The realm named in `WWW-Authenticate` on 401 `invalid_client`. */
const REALM = 'drawbridge';

/** An oversized form body: `invalid_request`, with status 413 so proxies and clients see why. */
class BodyTooLarge extends InvalidRequest {
  override readonly status = 413;
}

/** Token responses carry credentials: never cached (RFC 6749 §5.1). */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/** The database is down or silent: the client may retry (RFC 6749 §5.2 `temporarily_unavailable`, 503 with `Retry-After`). */
export class DatabaseUnavailable extends TemporarilyUnavailable {
  readonly retryAfterSeconds = 5;
}

/** Maps anything thrown on an OAuth endpoint to an OAuth error (framework errors included). */
function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof MalformedRequest) return new InvalidRequest(error.message);
  const e = error as { code?: string; statusCode?: number; message?: string; stack?: string };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) return new BodyTooLarge('The request body is too large');
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.statusCode === 415) return new InvalidRequest('Send the body as application/x-www-form-urlencoded');
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return new InvalidRequest('The request is malformed', e.message);
  if (isDatabaseUnavailable(error)) return new DatabaseUnavailable('The token service cannot reach its database; try again shortly', e.message);
  return new ServerError('The token service failed to handle the request', e.stack ?? String(error));
}

/** The one renderer of OAuth errors: RFC 6749 §5.2 JSON, no-store, and `WWW-Authenticate` on 401. */
export function sendOAuthError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const oauth = toOAuthError(error);
  if (oauth.status >= 500) request.log.error({ err: error, detail: oauth.detail }, 'oauth endpoint failed');
  else request.log.info({ error: oauth.error, detail: oauth.detail }, 'oauth request refused');
  if (oauth instanceof TooManyFailedAuthentications || oauth instanceof DatabaseUnavailable) reply.header('retry-after', String(oauth.retryAfterSeconds));
  else if (oauth instanceof InvalidClient) reply.header('www-authenticate', `Basic realm=${quoteAuthParam(REALM)}`);
  return noStore(reply).code(oauth.status).type('application/json; charset=utf-8').send(oauth.toJSON());
}
