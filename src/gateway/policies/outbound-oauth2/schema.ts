import { SCOPE_LIST_PATTERN as SCOPE } from '../../../shared/scope-token.js';
import type { PolicySchema } from '../types.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface OutboundOAuth2Config {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Lower-case once validated; the default (`Authorization`) arrives as written in the schema. */
  headerName: string;
  scope?: string;
  audience?: string;
  resource?: string;
  authMethod: ClientAuthMethod;
  timeoutMs: number;
}

/** Visible ASCII only: these values go into a form body and must not carry control characters. */
const VISIBLE = '^[\\x20-\\x7e]+$';

export const schema: PolicySchema = {
  name: 'outbound-oauth2',
  version: '1.0.1',
  displayName: 'Outbound OAuth2 (client credentials)',
  description:
    "Obtains an access token from the backend's identity provider with the OAuth 2.0 client credentials grant " +
    '(the only grant supported), caches it until shortly before it expires, refreshes it ahead of expiry, and sends it to the backend. ' +
    'When the backend answers 401 the token is dropped and the request is sent once more with a fresh one (small bodies only). ' +
    'If no token can be obtained the consumer gets 502.',
  phases: ['request'],
  fields: [
    { name: 'tokenUrl', type: 'url', description: "Token endpoint of the backend's identity provider (absolute http(s) URL).", required: true, maxLength: 2048 },
    { name: 'clientId', type: 'string', description: 'Client ID the gateway authenticates with at that identity provider.', required: true, minLength: 1, maxLength: 1024, pattern: VISIBLE },
    {
      name: 'clientSecret',
      type: 'string',
      description: 'Client secret for that client ID. Encrypted at rest, never returned or logged; give it as a ${parameter} marked secret.',
      required: true,
      secret: true,
      minLength: 1,
      maxLength: 4096,
      pattern: VISIBLE,
    },
    {
      name: 'headerName',
      type: 'header-name',
      default: 'Authorization',
      forbidden: ['cookie'],
      description: 'Header that carries the token to the backend. `Authorization` (the default) gets `Bearer <token>`; any other header gets the token exactly as the identity provider issued it.',
    },
    { name: 'scope', type: 'string', description: 'Space-separated scopes to request (optional).', maxLength: 2048, pattern: SCOPE },
    { name: 'audience', type: 'string', description: 'Value of the `audience` parameter some identity providers (Auth0, Okta custom servers) require (optional).', maxLength: 2048, pattern: VISIBLE },
    {
      name: 'resource',
      type: 'string',
      description: 'Value of the `resource` parameter: an RFC 8707 resource indicator such as https://orders.example.com, or what an older IdP expects there (optional).',
      maxLength: 2048,
      pattern: VISIBLE,
    },
    {
      name: 'authMethod',
      type: 'string',
      enum: ['client_secret_basic', 'client_secret_post'],
      default: 'client_secret_basic',
      description: 'How the gateway authenticates to the token endpoint: HTTP Basic (`client_secret_basic`, the default) or client_id/client_secret in the form body (`client_secret_post`).',
    },
    {
      name: 'timeoutMs',
      type: 'integer',
      default: 10_000,
      minimum: 100,
      maximum: 60_000,
      description: 'Longest time a token request may take, connection included, before it counts as failed (milliseconds).',
    },
  ],
};
