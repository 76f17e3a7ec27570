import { ApiError } from '../../shared/errors.js';
import { InvalidRequest } from '../../shared/oauth-errors.js';
import type { Exchange } from '../exchange.js';
import { normalizeTarget } from '../path.js';

/** Path safety and framing checks, and the snapshot this request will use to the end. */
export function checkRequest(ex: Exchange): void {
  const target = normalizeTarget(ex.req.url ?? '');
  if (!target.ok) throw new ApiError('bad_request', `The request path was refused: ${target.reason}`);
  ex.path = target.path;
  const query = target.query;
  if (query.length > 1 && mayHoldAccessToken(query)) {
    const stripped = withoutAccessToken(query);
    if (stripped !== undefined) {
      ex.queryToken = true;
      ex.query = stripped;
    } else ex.query = query;
  } else ex.query = query;
  const raw = ex.req.rawHeaders;
  let authorizations = 0;
  let lengths = 0;
  let encodings = 0;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') authorizations++;
    else if (name.length === 14 && name.toLowerCase() === 'content-length') lengths++;
    else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') encodings++;
    else if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  // RFC 9112 §3.2: more than one Host field line is a 400 (Node keeps the first and would forward it as X-Forwarded-Host).
  if (hosts > 1) throw new ApiError('bad_request', 'The request has more than one Host header');
  if (authorizations > 1) throw new InvalidRequest('The request has more than one Authorization header');
  if (encodings > 0 && lengths > 0) throw new ApiError('bad_request', 'The request has both Transfer-Encoding and Content-Length');
  if (lengths > 1) throw new ApiError('bad_request', 'The request has more than one Content-Length');
  // Node decodes only `chunked`; another coding would reach the backend undeclared.
  if (encodings > 0 && ex.req.headers['transfer-encoding']!.toLowerCase() !== 'chunked') throw new ApiError('bad_request', 'Only the chunked transfer coding is accepted');
  const held = ex.gw.holder.current;
  if (!held) throw new ApiError('unavailable', `The gateway for ${ex.gw.environment} has no configuration yet`);
  ex.snap = held.compiled;
}

/**
 * Cheap pre-check on the raw query: only a query that names `access_token`,
 * or has escapes that could spell it, is parsed (most queries are not).
 */
const mayHoldAccessToken = (query: string): boolean => query.includes('access_token') || query.includes('%');

/**
 * The query (with its `?`) without its `access_token` parameters (RFC 6750
 * §2.3), the other parameters byte for byte as received; undefined when it
 * has none. Names are compared decoded (`access%5Ftoken` is `access_token`
 * to a backend's form decoder too).
 */
function withoutAccessToken(query: string): string | undefined {
  const pairs = query.slice(1).split('&');
  let found = false;
  const kept: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    let name = rawName;
    if (rawName.includes('%') || rawName.includes('+')) {
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        name = rawName;
      }
    }
    if (name === 'access_token') found = true;
    else kept.push(pair);
  }
  if (!found) return undefined;
  return kept.length === 0 ? '' : '?' + kept.join('&');
}
