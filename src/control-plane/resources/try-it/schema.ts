import { Type } from 'typebox';
import { HTTP_METHODS } from '../../../gateway/index.js';
import { Body } from '../../schemas.js';

export const TRY_IT_LIMITS = { bodyBytes: 64 * 1024, responseBytes: 256 * 1024, timeoutMs: 10_000, query: 50, headers: 30 } as const;

const NameValue = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), value: Type.String({ maxLength: 4000 }) }, { additionalProperties: false });

export const TryItBody = Body({
  api: Type.String({ minLength: 1, maxLength: 300, description: 'API id or `project/component`' }),
  environment: Type.String({ minLength: 1, maxLength: 63 }),
  method: Type.Enum([...HTTP_METHODS]),
  path: Type.String({ minLength: 1, maxLength: 2000, description: "path under the API's base path, e.g. `/items/42` (`/` for the base itself)" }),
  query: Type.Optional(Type.Array(NameValue, { maxItems: TRY_IT_LIMITS.query })),
  headers: Type.Optional(Type.Array(NameValue, { maxItems: TRY_IT_LIMITS.headers, description: 'request headers; Authorization, Host, Cookie, hop-by-hop and X-Forwarded-* are refused' })),
  body: Type.Optional(Type.String({ maxLength: TRY_IT_LIMITS.bodyBytes, description: 'request body (not with GET or HEAD)' })),
  consumerSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: "the keys' consumer secret: the call gets a client-credentials token with it" })),
  accessToken: Type.Optional(Type.String({ minLength: 1, maxLength: 16_384, description: 'or a platform token of this application and environment the page already holds' })),
});

export const TryItView = Type.Object({
  request: Type.Object({
    method: Type.String(),
    url: Type.String({ description: "the URL the environment's gateway serves this call at (public address)" }),
    headers: Type.Array(Type.Object({ name: Type.String(), value: Type.String() }), { description: 'Authorization shown as `Bearer ${ACCESS_TOKEN}`' }),
    curl: Type.String({ description: 'the same request as a curl command; set ACCESS_TOKEN in the shell first' }),
    tokenSource: Type.Union([Type.Literal('client_credentials'), Type.Literal('access_token')]),
  }),
  response: Type.Object({
    status: Type.Integer(),
    headers: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
    body: Type.String({ description: 'UTF-8 text, or base64 when not valid UTF-8 (see bodyEncoding)' }),
    bodyEncoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
    truncated: Type.Boolean({ description: `true when the body was longer than ${TRY_IT_LIMITS.responseBytes} bytes (only those are shown)` }),
    durationMs: Type.Integer(),
  }),
});
