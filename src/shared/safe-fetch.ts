/**
 * Fetching URLs that an organization admin typed in (OIDC discovery documents,
 * JWKS) without letting them reach into the platform's own network (SSRF).
 *
 * Contract:
 * - `https` only; with `allowPrivate`, plain `http` is also accepted when the
 *   host is loopback (local testing).
 * - Every address the host name RESOLVES to is checked (not the name), and the
 *   connection goes to the checked address (a custom `lookup` inside the undici
 *   Agent), so a DNS answer that changes between check and connect (rebinding)
 *   cannot slip through. IP literals are checked before connecting, including
 *   IPv4-mapped/compatible IPv6, NAT64 and 6to4 forms; decimal/hex IPv4 forms
 *   are normalized by the WHATWG URL parser first.
 * - Refused unless `allowPrivate`: loopback, private (RFC 1918, CGNAT),
 *   link-local, unique-local, unspecified, multicast and reserved ranges.
 * - One deadline (default 5 s) for the whole exchange including redirects,
 *   a body cap (default 256 KiB) enforced while streaming, at most 3 redirects,
 *   each hop re-checked from scratch.
 * - Every refusal is a `SafeFetchError` with a stable `code` and a message that
 *   says why (safe to show to the admin who configured the URL).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { addressRestriction, isLoopback } from './ip-address.js';

export const SAFE_FETCH_DEFAULTS = { timeoutMs: 5_000, maxBytes: 256 * 1024, maxRedirects: 3 } as const;

export type SafeFetchErrorCode =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'address_not_allowed'
  | 'dns_failed'
  | 'connect_failed'
  | 'too_many_redirects'
  | 'bad_redirect'
  | 'timeout'
  | 'body_too_large'
  | 'http_status'
  | 'invalid_json';

export class SafeFetchError extends Error {
  constructor(
    readonly code: SafeFetchErrorCode,
    message: string,
    readonly url?: string,
  ) {
    super(message);
    this.name = 'SafeFetchError';
  }
}

export interface SafeFetchOptions {
  /** Allow private/loopback/link-local targets (and http on loopback). `config.allowPrivateIdpUrls`. */
  allowPrivate?: boolean;
  /**
   * Exact origins (`scheme://host:port`) exempt from the scheme and address
   * checks, e.g. an internal IdP the operator vouches for. Redirects to other
   * origins are still checked in full.
   */
  trustedOrigins?: readonly string[];
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  headers?: Record<string, string>;
}

export interface SafeFetchResponse {
  /** The URL that finally answered (after redirects). */
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

// ---------------------------------------------------------------------------
// Per-hop policy

interface HopPolicy {
  allowPrivate: boolean;
  /** Plain http: only loopback targets may be reached. */
  loopbackOnly: boolean;
  trusted: boolean;
}

function checkAddress(ip: string, policy: HopPolicy, host: string): SafeFetchError | undefined {
  if (policy.trusted) return undefined;
  const restriction = addressRestriction(ip);
  if (policy.loopbackOnly && !isLoopback(ip)) {
    return new SafeFetchError('scheme_not_allowed', `http:// is only allowed for loopback hosts; ${host} resolves to ${ip} (use https://)`);
  }
  if (restriction && !policy.allowPrivate) {
    const what = host === ip ? `${ip} is a ${restriction} address` : `${host} resolves to ${ip}, a ${restriction} address`;
    return new SafeFetchError('address_not_allowed', `${what}; private, loopback and link-local addresses are not allowed (DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS)`);
  }
  return undefined;
}

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Resolves a host name as a connection would (`dns.lookup`, all addresses:
 * the system resolver, /etc/hosts included) and runs `check` on every answer.
 * The IdP fetches and the gateway's egress policy (`shared/egress.ts`) both
 * resolve through this one function.
 */
export function resolveChecked(hostname: string, family: number, check: (address: string) => Error | undefined, callback: (err: Error | null, addresses: LookupAddress[]) => void): void {
  dnsLookup(hostname, { all: true, family }, (err, addresses) => {
    if (err || addresses.length === 0) {
      callback(new SafeFetchError('dns_failed', `Cannot resolve ${hostname}: ${err?.code ?? 'no addresses'}`), []);
      return;
    }
    for (const a of addresses) {
      const refused = check(a.address);
      if (refused) {
        callback(refused, []);
        return;
      }
    }
    callback(null, addresses);
  });
}

/** Hands checked addresses to net/tls.connect in the shape its `lookup` option expects (`all` or the first one). */
export function answerLookup(options: { all?: boolean }, callback: LookupCallback, err: Error | null, addresses: LookupAddress[]): void {
  if (err) callback(err, '', 0);
  else if (options.all) callback(null, addresses);
  else callback(null, addresses[0]!.address, addresses[0]!.family);
}

/** A `lookup` for net/tls.connect that resolves, checks every answer, and hands back only checked addresses. */
function checkedLookup(policy: HopPolicy): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback) => {
    resolveChecked(
      hostname,
      options.family ?? 0,
      (address) => checkAddress(address, policy, hostname),
      (err, addresses) => answerLookup(options, callback, err, addresses),
    );
  }) as LookupFunction;
}

function parseTarget(raw: string, options: SafeFetchOptions): { url: URL; policy: HopPolicy } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SafeFetchError('invalid_url', `Not an absolute URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  const shown = url.href;
  if (url.username || url.password) throw new SafeFetchError('credentials_in_url', 'URLs with user:password@ are not allowed', shown);
  const trusted = (options.trustedOrigins ?? []).includes(url.origin);
  const allowPrivate = options.allowPrivate ?? false;
  if (!trusted && url.protocol !== 'https:') {
    if (url.protocol !== 'http:') throw new SafeFetchError('scheme_not_allowed', `Only https:// URLs are allowed, got ${url.protocol}`, shown);
    if (!allowPrivate) throw new SafeFetchError('scheme_not_allowed', 'Only https:// URLs are allowed (http:// only on loopback when private IdP URLs are allowed)', shown);
  }
  const policy: HopPolicy = { allowPrivate, loopbackOnly: !trusted && url.protocol === 'http:', trusted };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const refused = checkAddress(host, policy, host);
    if (refused) throw new SafeFetchError(refused.code, refused.message, shown);
  } else if (host === '') {
    throw new SafeFetchError('invalid_url', 'The URL has no host', shown);
  }
  return { url, policy };
}

/**
 * Checks a URL under the same rules as a fetch (scheme, credentials in the
 * URL, every address its host resolves to) without fetching it, so a URL an
 * admin typed can be refused before it is saved. Resolves to the refusal, or
 * undefined when the URL is allowed. A host that does not resolve right now
 * is not a refusal here (the fetch reports it).
 */
export async function checkFetchTarget(raw: string, options: Pick<SafeFetchOptions, 'allowPrivate' | 'trustedOrigins' | 'timeoutMs'> = {}): Promise<SafeFetchError | undefined> {
  let target: { url: URL; policy: HopPolicy };
  try {
    target = parseTarget(raw, options);
  } catch (error) {
    if (error instanceof SafeFetchError) return error;
    throw error;
  }
  const { url, policy } = target;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (policy.trusted || isIP(host)) return undefined;
  const timeoutMs = options.timeoutMs ?? SAFE_FETCH_DEFAULTS.timeoutMs;
  // The same resolution and checks as a fetch's connection (checkedLookup); only a refused address counts.
  const refused = await new Promise<SafeFetchError | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    timer.unref();
    checkedLookup(policy)(host, { all: true }, (err: NodeJS.ErrnoException | null) => {
      clearTimeout(timer);
      resolve(err instanceof SafeFetchError && err.code !== 'dns_failed' ? err : undefined);
    });
  });
  return refused && new SafeFetchError(refused.code, refused.message, url.href);
}

// ---------------------------------------------------------------------------
// Fetching

/** Drops a response body we will not read, without an unhandled 'error' event. */
function discard(body: { on(event: 'error', fn: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => {});
  body.destroy();
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function translate(error: unknown, url: string, timedOut: boolean, timeoutMs: number): SafeFetchError {
  if (error instanceof SafeFetchError) return error.url ? error : new SafeFetchError(error.code, error.message, url);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof SafeFetchError) return translate(cause, url, timedOut, timeoutMs);
  if (timedOut) return new SafeFetchError('timeout', `No complete answer from ${new URL(url).origin} within ${timeoutMs / 1000} s`, url);
  const e = error as { code?: string; message?: string };
  return new SafeFetchError('connect_failed', `Cannot fetch ${new URL(url).origin}: ${e.code ?? e.message ?? 'connection failed'}`, url);
}

async function readCapped(body: AsyncIterable<Buffer> & { on(event: 'error', fn: () => void): unknown; destroy(): unknown }, maxBytes: number, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      discard(body);
      throw new SafeFetchError('body_too_large', `The response from ${new URL(url).origin} is larger than ${Math.round(maxBytes / 1024)} KiB`, url);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** GETs `url` under the rules above. Non-2xx answers are returned, not thrown (see `safeFetchJson`). */
export async function safeFetch(url: string, options: SafeFetchOptions = {}): Promise<SafeFetchResponse> {
  const timeoutMs = options.timeoutMs ?? SAFE_FETCH_DEFAULTS.timeoutMs;
  const maxBytes = options.maxBytes ?? SAFE_FETCH_DEFAULTS.maxBytes;
  const maxRedirects = options.maxRedirects ?? SAFE_FETCH_DEFAULTS.maxRedirects;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  let current = url;
  try {
    for (let hop = 0; ; hop++) {
      const { url: target, policy } = parseTarget(current, options);
      const agent = new Agent({ connect: { lookup: checkedLookup(policy), timeout: timeoutMs }, connections: 1, pipelining: 0 });
      try {
        const res = await request(target, {
          dispatcher: agent,
          method: 'GET',
          headers: { accept: 'application/json', 'user-agent': 'drawbridge', ...options.headers },
          signal: controller.signal,
        });
        if (REDIRECTS.has(res.statusCode)) {
          discard(res.body);
          const location = res.headers.location;
          if (typeof location !== 'string' || location === '') throw new SafeFetchError('bad_redirect', `${target.origin} answered ${res.statusCode} without a Location`, target.href);
          if (hop >= maxRedirects) throw new SafeFetchError('too_many_redirects', `More than ${maxRedirects} redirects (starting at ${new URL(url).origin})`, target.href);
          try {
            current = new URL(location, target).href;
          } catch {
            throw new SafeFetchError('bad_redirect', `${target.origin} redirected to an invalid URL`, target.href);
          }
          continue;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          discard(res.body);
          throw new SafeFetchError('body_too_large', `The response from ${target.origin} is larger than ${Math.round(maxBytes / 1024)} KiB`, target.href);
        }
        const body = await readCapped(res.body as unknown as AsyncIterable<Buffer> & { on(event: 'error', fn: () => void): unknown; destroy(): unknown }, maxBytes, target.href);
        return { url: target.href, status: res.statusCode, headers: res.headers, body };
      } catch (error) {
        throw translate(error, target.href, timedOut, timeoutMs);
      } finally {
        void agent.destroy().catch(() => {});
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/** GETs a JSON document: the final answer must be 200 with a JSON object body. */
export async function safeFetchJson<T = Record<string, unknown>>(url: string, options: SafeFetchOptions = {}): Promise<{ url: string; json: T }> {
  const res = await safeFetch(url, options);
  if (res.status !== 200) throw new SafeFetchError('http_status', `${new URL(res.url).origin} answered HTTP ${res.status}`, res.url);
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new SafeFetchError('invalid_json', `The response from ${new URL(res.url).origin} is not JSON`, res.url);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new SafeFetchError('invalid_json', `The response from ${new URL(res.url).origin} is not a JSON object`, res.url);
  return { url: res.url, json: json as T };
}
