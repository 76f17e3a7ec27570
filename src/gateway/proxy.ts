import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import { ApiError } from '../shared/errors.js';
import type { EgressPolicy } from '../shared/egress.js';
import { badGateway, egressDenied, gatewayTimeout, type GatewayError } from './errors.js';
import type { HeaderMap } from './policies/types.js';

/** RFC 9110 §7.6.1 hop-by-hop fields, plus ones the gateway sets itself or undici refuses. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
  'http2-settings',
]);

/** Never forwarded from the consumer: the gateway sets or owns these. */
const REQUEST_DROPPED: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'host', 'expect', 'authorization', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id']);

function connectionListed(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined || value === 'keep-alive' || value === 'close') return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s && s !== 'close' && s !== 'keep-alive');
  return names.length ? new Set(names) : undefined;
}

/**
 * Headers for the backend: the consumer's minus hop-by-hop, `Connection`-listed,
 * `Host`, `Authorization` (the consumer's token never reaches a backend) and
 * the `X-Forwarded-*` it sent. Those are believed only from a trusted proxy
 * (`trustedPeer`, decided once per connection): then `X-Forwarded-For` is
 * appended to and its `X-Forwarded-Proto`/`-Host` kept; from anyone else
 * `X-Forwarded-For` is the peer address and Proto/Host are the gateway's own
 * view (`proto`, the `Host` header). Positional arguments: no object per request.
 */
export function upstreamHeaders(incoming: IncomingHttpHeaders, clientIp: string | undefined, trustedPeer: boolean, proto: 'http' | 'https', requestId: string): HeaderMap {
  const listed = connectionListed(incoming.connection);
  const out: HeaderMap = {};
  for (const name in incoming) {
    if (REQUEST_DROPPED.has(name) || listed?.has(name)) continue;
    out[name] = incoming[name];
  }
  const ip = clientIp ?? 'unknown';
  if (trustedPeer) {
    const prior = incoming['x-forwarded-for'];
    out['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${ip}` : ip;
    const priorProto = incoming['x-forwarded-proto'];
    out['x-forwarded-proto'] = priorProto || proto;
    const host = incoming['x-forwarded-host'] || incoming.host;
    if (host !== undefined) out['x-forwarded-host'] = host;
  } else {
    out['x-forwarded-for'] = ip;
    out['x-forwarded-proto'] = proto;
    if (incoming.host !== undefined) out['x-forwarded-host'] = incoming.host;
  }
  out['x-request-id'] = requestId;
  return out;
}

/** The backend's response headers minus hop-by-hop and `Connection`-listed ones. */
export function downstreamHeaders(incoming: Record<string, string | string[] | undefined>): HeaderMap {
  const listed = connectionListed(incoming.connection);
  const out: HeaderMap = {};
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    out[name] = incoming[name];
  }
  return out;
}

export const payloadTooLarge = (max: number) => new ApiError('payload_too_large', `The request body is larger than the ${max} bytes this API accepts`);

/** Counts a streamed (chunked) body and fails it as soon as it passes the limit. */
export class BodyLimit extends Transform {
  private seen = 0;
  exceeded = false;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) {
      this.exceeded = true;
      done(payloadTooLarge(this.max));
      return;
    }
    done(null, chunk);
  }
}

/** Reads a whole body (known to be small) so it can be sent twice. */
export async function readBody(stream: AsyncIterable<Buffer>, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > max) throw payloadTooLarge(max);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Classifies a backend failure: timeouts are 504, everything else the backend did wrong is 502. */
export function upstreamFailure(error: unknown): { error: GatewayError; kind: 'timeout' | 'refused' | 'reset' | 'error' | 'denied' } {
  const code = (error as { code?: string } | null)?.code ?? '';
  const detail = `${code} ${(error as Error | null)?.message ?? ''}`.trim();
  if (code === 'egress_denied') return { error: egressDenied('backend', (error as Error).message), kind: 'denied' };
  if (TIMEOUT_CODES.has(code)) return { error: gatewayTimeout(detail), kind: 'timeout' };
  if (code === 'ECONNREFUSED') return { error: badGateway('The backend refused the connection', detail), kind: 'refused' };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return { error: badGateway('The backend closed the connection', detail), kind: 'reset' };
  return { error: badGateway('The backend could not be reached', detail), kind: 'error' };
}

/**
 * Keep-alive connection pools, one per backend origin (and connect timeout),
 * kept across snapshots. With an egress policy, every new connection is
 * checked by it (its connector: the address resolved and judged once per
 * connection, never per request).
 */
export class Pools {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly connections: number,
    private readonly egress?: EgressPolicy,
  ) {}

  get(origin: string, connectTimeoutMs: number): Dispatcher {
    const key = `${origin}|${connectTimeoutMs}`;
    let pool = this.pools.get(key);
    if (!pool) {
      const connect = this.egress ? this.egress.connector(connectTimeoutMs) : { timeout: connectTimeoutMs };
      pool = new Pool(origin, { connections: this.connections, connect, keepAliveTimeout: 4_000, pipelining: 1 });
      this.pools.set(key, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.destroy().catch(() => {})));
  }
}

/** Drops a backend body nobody will read; undici reports that as an error, which is expected here. */
export function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}
