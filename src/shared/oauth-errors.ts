/**
 * OAuth 2.0 errors, one class per wire code (RFC 6749 §5.2, RFC 6750 §3.1,
 * RFC 7009, RFC 8693 §2.2.2). `description` is public (sent as
 * `error_description`); `detail` is private and only logged.
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string;
  readonly status: number = 400;

  constructor(
    readonly description: string,
    readonly detail?: string,
  ) {
    super(description);
    this.name = new.target.name;
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
}
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status = 401;
}
export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
}
export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
}
export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
}
export class InvalidTarget extends OAuthError {
  readonly error = 'invalid_target';
}
export class ServerError extends OAuthError {
  readonly error = 'server_error';
  override readonly status = 500;
}
export class TemporarilyUnavailable extends OAuthError {
  readonly error = 'temporarily_unavailable';
  override readonly status = 503;
}

/** RFC 6750 bearer-token errors, used by the gateway. */
export class InvalidToken extends OAuthError {
  readonly error = 'invalid_token';
  override readonly status = 401;
}
export class InsufficientScope extends OAuthError {
  readonly error = 'insufficient_scope';
  override readonly status = 403;

  constructor(
    description: string,
    readonly scope: string,
    detail?: string,
  ) {
    super(description, detail);
  }
}

/**
 * Quotes a value for an auth-param of `WWW-Authenticate` (RFC 9110 §11.2).
 * RFC 6750 §3 allows only %x20-21 / %x23-5B / %x5D-7E in these values, so
 * `"` becomes `'`, `\` becomes `/` and anything else outside that set is
 * dropped: a description that quotes a token's header (say a non-Latin-1
 * `alg`) can never make the header invalid. The JSON body keeps the full text.
 */
export function quoteAuthParam(value: string): string {
  return `"${value
    .replace(/"/g, "'")
    .replace(/\\/g, '/')
    .replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;
}
