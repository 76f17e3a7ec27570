import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../shared/errors.js';
import { isDatabaseUnavailable } from '../store/index.js';

/** Seconds a client is asked to wait (`Retry-After`) when the database is unavailable. */
export const DATABASE_RETRY_AFTER = 5;

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function fieldsOf(issues: ValidationIssue[], context: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    let path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    if (issue.params?.missingProperty) path = path ? `${path}.${String(issue.params.missingProperty)}` : String(issue.params.missingProperty);
    if (issue.params?.additionalProperty) path = path ? `${path}.${String(issue.params.additionalProperty)}` : String(issue.params.additionalProperty);
    const key = path || context;
    const message = issue.params?.additionalProperty ? 'is not a known property' : issue.params?.missingProperty ? 'is required' : (issue.message ?? 'is invalid');
    fields[key] ??= message;
  }
  return fields;
}

/** Maps any error thrown by the management API to `{ code, message, fields }`. */
function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isDatabaseUnavailable(error)) {
    return new ApiError('unavailable', 'The database is unavailable; try again shortly', undefined, (error as Error).message);
  }
  const e = error as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
  if (e.validation) {
    const fields = fieldsOf(e.validation, e.validationContext ?? 'body');
    const summary = Object.entries(fields)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ');
    return new ApiError('validation_failed', `Invalid ${e.validationContext ?? 'request'}: ${summary}`, fields);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'Send the body as application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', 'The request body is too large');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('bad_request', 'The JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('bad_request', 'The body is not valid JSON');
    default:
      break;
  }
  if (e.statusCode === 400 && e instanceof SyntaxError) return new ApiError('bad_request', 'The body is not valid JSON');
  if (e.statusCode === 415) return new ApiError('unsupported_media_type', e.message);
  if (e.statusCode === 413) return new ApiError('payload_too_large', 'The request body is too large');
  if (e.statusCode === 429) return new ApiError('rate_limited', e.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new ApiError('bad_request', e.message);
  return new ApiError('internal', 'Internal error', undefined, e.stack ?? String(error));
}

export function sendApiError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const apiError = toApiError(error);
  if (apiError.code === 'unavailable') {
    reply.header('retry-after', DATABASE_RETRY_AFTER);
    request.log.warn({ detail: apiError.detail, code: apiError.code }, 'database unavailable');
  } else if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
  else if (apiError.detail) request.log.info({ detail: apiError.detail, code: apiError.code }, 'request refused');
  return reply.code(apiError.status).type('application/json; charset=utf-8').send(apiError.toJSON());
}
