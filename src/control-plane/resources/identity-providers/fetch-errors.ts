import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../../shared/errors.js';
import { SafeFetchError, type SafeFetchErrorCode } from '../../../shared/safe-fetch.js';
import { sendApiError } from '../../errors.js';

/** Refusals that describe the URL the admin typed (422) versus a remote that misbehaved (502). */
export const INPUT_REFUSALS: readonly SafeFetchErrorCode[] = ['invalid_url', 'scheme_not_allowed', 'credentials_in_url', 'address_not_allowed'];

/**
 * A remote IdP that misbehaved while we fetched from it (too many redirects,
 * a body too large, a timeout, …): an expected failure of someone else's
 * server, answered 502 and logged at `warn` with the stable code and the
 * host, not at `error` with a stack trace (see `sendIdpRouteError`).
 */
class UpstreamFetchFailed extends ApiError {
  constructor(
    message: string,
    fields: Record<string, string>,
    readonly fetchCode: SafeFetchErrorCode,
    readonly host: string | undefined,
  ) {
    super('bad_gateway', message, fields);
  }
}

const hostOf = (url: string | undefined): string | undefined => {
  try {
    return url === undefined ? undefined : new URL(url).host;
  } catch {
    return undefined;
  }
};

export function fetchRefusal(error: unknown, field: string, what: string, url?: string): never {
  if (!(error instanceof SafeFetchError)) throw error;
  const message = `${what} failed [${error.code}]: ${error.message}`;
  if (INPUT_REFUSALS.includes(error.code)) throw new ApiError('unprocessable', message, { [field]: error.message });
  throw new UpstreamFetchFailed(message, { [field]: error.message }, error.code, hostOf(error.url ?? url));
}

/** The identity provider routes' error renderer: the management API's, except that an upstream IdP failure is a `warn` line. */
export function sendIdpRouteError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!(error instanceof UpstreamFetchFailed)) return sendApiError(error, request, reply);
  request.log.warn({ code: error.fetchCode, host: error.host }, 'identity provider fetch failed');
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.toJSON());
}
