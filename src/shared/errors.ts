/**
 * Errors of the management API. Every non-protocol failure carries one code
 * from this closed set; the HTTP status follows from the code.
 */
const API_ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  bad_gateway: 502,
  /** The gateway's egress policy refused the backend's (or its token endpoint's) address. */
  egress_denied: 502,
  unavailable: 503,
  gateway_timeout: 504,
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Per-field messages keyed by the JSON path of the offending input. */
    readonly fields?: Record<string, string>,
    /** Private detail for logs; never sent to the client. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = API_ERROR_STATUS[code];
  }

  toJSON(): { code: ApiErrorCode; message: string; fields?: Record<string, string> } {
    return this.fields ? { code: this.code, message: this.message, fields: this.fields } : { code: this.code, message: this.message };
  }
}

export const notFound = (what: string) => new ApiError('not_found', `${what} not found`);
export const conflict = (message: string, fields?: Record<string, string>) => new ApiError('conflict', message, fields);
export const forbidden = (message = 'You do not have permission to do this') => new ApiError('forbidden', message);
export const invalid = (message: string, fields?: Record<string, string>) => new ApiError('validation_failed', message, fields);
export const unprocessable = (message: string, fields?: Record<string, string>) => new ApiError('unprocessable', message, fields);

/** Raised when configuration is invalid; names the exact setting. */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'ConfigError';
  }
}
