import { normalizeTarget } from '../../../gateway/index.js';
import { invalid } from '../../../shared/errors.js';
import { isHeaderName } from '../../../shared/http-token.js';

/** The steps of a Try it call that need no request: checks of what the page sends, the curl text, reading the answer. */

/** Headers the page may not set: the test token, framing and connection handling, and what a trusted proxy would forward. */
const RESERVED_HEADERS = new Set([
  'authorization',
  'host',
  'cookie',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'expect',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
]);
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]{0,4000}$/;

/** POSIX shell single-quoting. */
const shq = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

export function tryItCurl(method: string, url: string, headers: { name: string; value: string }[], body: string | undefined): string {
  const lines = [`curl -sS -i -X ${method} ${shq(url)}`, `  -H "Authorization: Bearer \${ACCESS_TOKEN}"`];
  for (const h of headers) lines.push(`  -H ${shq(`${h.name}: ${h.value}`)}`);
  if (body !== undefined && body !== '') lines.push(`  --data-raw ${shq(body)}`);
  return lines.join(' \\\n');
}

/** The claims of a JWT, unverified (the gateway verifies it); undefined when it is not one. */
export function unverifiedClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The path under the API's base, normalized like the gateway does, or a 400 naming `path`. */
export function tryItTarget(basePath: string, path: string): string {
  if (!path.startsWith('/')) throw invalid('The path must start with "/" and is relative to the API\'s base path', { path: 'must start with /' });
  if (path.includes('?') || path.includes('#')) throw invalid('Put query parameters in "query", not in the path', { path: 'must not contain ? or #' });
  const target = normalizeTarget(basePath + (path === '/' ? '' : path));
  if (!target.ok) throw invalid(`The path was refused: ${target.reason}`, { path: target.reason });
  if (target.path !== basePath && !target.path.startsWith(basePath + '/')) throw invalid("The path leaves the API's base path", { path: 'is outside the API' });
  return target.path;
}

export function checkHeaders(headers: { name: string; value: string }[]): void {
  headers.forEach((h, i) => {
    if (h.name.length > 100 || !isHeaderName(h.name)) throw invalid(`"${h.name.slice(0, 100)}" is not a valid header name`, { [`headers.${i}.name`]: 'is not a valid header name' });
    const lower = h.name.toLowerCase();
    if (RESERVED_HEADERS.has(lower) || lower.startsWith('proxy-')) {
      throw invalid(`The ${h.name} header cannot be set here${lower === 'authorization' ? ': Try it sends the test token itself' : ''}`, { [`headers.${i}.name`]: 'cannot be set' });
    }
    if (!HEADER_VALUE.test(h.value)) throw invalid(`The value of the ${h.name} header has characters a header cannot carry`, { [`headers.${i}.value`]: 'is not a valid header value' });
  });
}

export async function readCapped(body: AsyncIterable<Buffer>, max: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    if (size + chunk.length > max) {
      chunks.push(chunk.subarray(0, max - size));
      size = max;
      truncated = true;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { bytes: Buffer.concat(chunks, size), truncated };
}

export function decodeBody(bytes: Buffer, truncated: boolean): { body: string; bodyEncoding: 'utf8' | 'base64' } {
  try {
    // A cut body may end inside a character: that part is left out.
    return { body: new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: truncated }), bodyEncoding: 'utf8' };
  } catch {
    return { body: bytes.toString('base64'), bodyEncoding: 'base64' };
  }
}
