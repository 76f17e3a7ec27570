import type { Agent } from 'undici';
import type { ClientAuthMethod } from './schema.js';

/**
 * The client-credentials token request itself (RFC 6749 §4.4): the form,
 * client authentication, the POST and the checks of the answer. Caching,
 * refresh timing and back-off are `token-manager.ts`'s.
 */

export interface TokenSpec {
  orgId: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  audience?: string;
  resource?: string;
  authMethod: ClientAuthMethod;
  timeoutMs: number;
}

/** How a token request ended (metric label). */
export type TokenOutcome = 'success' | 'http_error' | 'invalid_response' | 'network_error' | 'timeout';

export interface TokenResult {
  accessToken: string;
  expiresInSeconds: number;
}

export interface TokenRequestOptions {
  /** Lifetime assumed when the IdP sends no `expires_in` (seconds). */
  defaultLifetimeSeconds: number;
  /** Called once per request with how it ended. */
  count(outcome: TokenOutcome): void;
}

/** The most a token response may weigh; anything larger is refused. */
const MAX_RESPONSE_BYTES = 64 * 1024;
/** A token goes into a header: visible ASCII without spaces, bounded. */
const TOKEN_VALUE = /^[\x21-\x7e]{1,16384}$/;
/** An OAuth error code is safe to log (RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E); the description and body are not logged. */
const ERROR_CODE = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/;

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before being joined for Basic authentication. */
const formEncode = (value: string): string => new URLSearchParams([['', value]]).toString().slice(1);

export const basicCredentials = (clientId: string, clientSecret: string): string => `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`;

/** A token request that failed; `reason` is for logs (no secret, no response body). */
export class TokenRequestFailed extends Error {
  constructor(
    readonly outcome: Exclude<TokenOutcome, 'success'>,
    readonly reason: string,
    readonly egressDenied = false,
  ) {
    super(reason);
  }
}

/** One client-credentials token request (RFC 6749 §4.4). Never logs or returns the secret or the response body. */
export async function requestToken(agent: Agent, spec: TokenSpec, options: TokenRequestOptions): Promise<TokenResult> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (spec.scope) form.set('scope', spec.scope);
  if (spec.audience) form.set('audience', spec.audience);
  if (spec.resource) form.set('resource', spec.resource);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (spec.authMethod === 'client_secret_basic') headers.authorization = basicCredentials(spec.clientId, spec.clientSecret);
  else {
    form.set('client_id', spec.clientId);
    form.set('client_secret', spec.clientSecret);
  }
  let status: number;
  let text: string;
  try {
    const url = new URL(spec.tokenUrl);
    const res = await agent.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'POST',
      headers,
      body: form.toString(),
      headersTimeout: spec.timeoutMs,
      bodyTimeout: spec.timeoutMs,
      signal: AbortSignal.timeout(spec.timeoutMs),
    });
    status = res.statusCode;
    text = await readLimited(res.body, MAX_RESPONSE_BYTES);
  } catch (error) {
    const e = error as { code?: unknown; name?: unknown };
    const code = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'unknown';
    const timeout = /TIMEOUT/i.test(code) || e.name === 'TimeoutError' || e.name === 'AbortError';
    const failed =
      code === 'RESPONSE_TOO_LARGE'
        ? new TokenRequestFailed('invalid_response', `token response larger than ${MAX_RESPONSE_BYTES} bytes`)
        : code === 'egress_denied'
          ? new TokenRequestFailed('network_error', `token endpoint refused by the egress policy: ${(error as Error).message}`, true)
          : new TokenRequestFailed(timeout ? 'timeout' : 'network_error', timeout ? `token endpoint did not answer within ${spec.timeoutMs} ms` : `token endpoint unreachable (${code})`);
    options.count(failed.outcome);
    throw failed;
  }
  try {
    const result = parseTokenResponse(status, text, options.defaultLifetimeSeconds);
    options.count('success');
    return result;
  } catch (error) {
    const failed = error as TokenRequestFailed;
    options.count(failed.outcome);
    throw failed;
  }
}

function parseTokenResponse(status: number, text: string, defaultLifetimeSeconds: number): TokenResult {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const json = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (status !== 200) {
    const code = typeof json?.error === 'string' && ERROR_CODE.test(json.error) ? ` (error ${json.error})` : '';
    throw new TokenRequestFailed('http_error', `token endpoint answered ${status}${code}`);
  }
  if (!json) throw new TokenRequestFailed('invalid_response', 'token endpoint answered 200 without a JSON object');
  const token = json.access_token;
  if (typeof token !== 'string' || !TOKEN_VALUE.test(token)) throw new TokenRequestFailed('invalid_response', 'token endpoint answered 200 without a usable access_token');
  const type = json.token_type;
  if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) throw new TokenRequestFailed('invalid_response', 'token endpoint issued a token that is not a bearer token');
  const raw = typeof json.expires_in === 'string' && /^\d+$/.test(json.expires_in) ? Number(json.expires_in) : json.expires_in;
  const expiresInSeconds = typeof raw === 'number' && Number.isFinite(raw) && raw > 0 ? raw : defaultLifetimeSeconds;
  return { accessToken: token, expiresInSeconds };
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      throw Object.assign(new Error('token response too large'), { code: 'RESPONSE_TOO_LARGE' });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
