import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo, type BlockList, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { isoNow, systemClock, type Clock } from '../shared/clock.js';
import { ANY_ADDRESS, PRIVATE_NETWORKS, addressList } from '../shared/config.js';
import type { EgressPolicy } from '../shared/egress.js';
import type { MasterKey } from '../shared/crypto.js';
import { ApiError, ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { InsufficientScope, InvalidRequest, InvalidToken, OAuthError } from '../shared/oauth-errors.js';
import { compileSnapshot, type CompiledApi, type CompiledResource, type CompiledSnapshot, type RouteEntry } from './compile.js';
import { AccessLog } from './access-log.js';
import { isRenderable, MissingToken, renderError, type RenderableError } from './errors.js';
import { readSnapshotFile, snapshotFile, SnapshotHolder, type SnapshotOrigin } from './holder.js';
import { GATEWAY_METRICS_KEY, GatewayMetrics } from './metrics.js';
import { normalizeTarget } from './path.js';
import type { HeaderMap, PolicyApiInfo, PolicyResponseContext } from './policies/types.js';
import { BodyLimit, downstreamHeaders, payloadTooLarge, Pools, readBody, upstreamFailure, upstreamHeaders } from './proxy.js';
import { SEALED_SECRET_CONTEXT, type GatewaySnapshot } from './snapshot.js';
import { TokenCache, tokenHash, unverifiedAudiences, unverifiedIssuer, verifyExternalToken, verifyPlatformToken, type ExternalTokenVerifier, type Principal } from './tokens.js';

/** Where the current snapshot comes from (the control plane's compiler, or a database in `drawbridge gateway`). */
export interface SnapshotSource {
  /** The current snapshot of this environment; throws when the source (e.g. the database) is unavailable. */
  load(): Promise<GatewaySnapshot>;
}

export interface GatewayLimits {
  /** Request bodies above this are refused with 413 (default 10 MiB). */
  maxBodyBytes: number;
  connectTimeoutMs: number;
  /** Time for the backend to send its response headers. */
  headersTimeoutMs: number;
  /** Longest pause between two chunks of the backend's body. */
  bodyTimeoutMs: number;
  /** Bodies up to this size are kept in memory when a policy may ask for a retry on a backend 401. */
  replayBodyBytes: number;
  /** Keep-alive connections per backend origin. */
  connectionsPerOrigin: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxBodyBytes: 10 * 1024 * 1024,
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  replayBodyBytes: 64 * 1024,
  connectionsPerOrigin: 128,
};

export interface GatewayOptions {
  /** Environment name served by this listener. */
  environment: string;
  port: number;
  host?: string;
  logger: Logger;
  clock?: Clock;
  /** Loaded at start (and retried every `reloadIntervalMs` while serving from disk). */
  snapshotSource?: SnapshotSource;
  /** The last good snapshot is kept in `<dataDir>/gateway/<environment>.snapshot.json`. */
  dataDir?: string;
  /** Verifies direct tokens from organizations' IdPs; without it such tokens are refused. */
  externalVerifier?: ExternalTokenVerifier;
  /** Opens policy secrets sealed in the snapshot. */
  masterKey?: MasterKey;
  limits?: Partial<GatewayLimits>;
  reloadIntervalMs?: number;
  /** Advertised scheme in `X-Forwarded-Proto` (set to `https` behind a TLS terminator). */
  forwardedProto?: 'http' | 'https';
  /**
   * Direct peers (IPs and CIDRs, IPv4 and IPv6) whose `X-Forwarded-For/Proto/Host`
   * are believed: appended to / kept. From any other peer they are replaced.
   * Default: none. A bad entry makes `startGateway` reject with a `ConfigError`.
   */
  trustedProxies?: readonly string[];
  /** Peers that may read `/_drawbridge/metrics` (IPs, CIDRs or `*`); default loopback and private ranges. Others get 404. */
  metricsAllow?: readonly string[];
  /**
   * The installation's egress policy: every new backend and token-endpoint
   * connection is checked by it (once per connection), and the listener's
   * own port is added to the addresses it refuses. Default: none (everything allowed).
   */
  egress?: EgressPolicy;
  /** Objects policies get from `PolicyDeps.shared`, by key, seeded by the platform (e.g. the Redis outbound-token cache). */
  shared?: Readonly<Record<string, unknown>>;
}

export interface GatewayStatus {
  environment: string;
  ready: boolean;
  snapshot: { version: number; generatedAt: string; source: SnapshotOrigin; loadedAt: string; apis: number } | null;
}

export interface Gateway {
  /** Base URL as bound (port 0 resolved). */
  url: string;
  port: number;
  environment: string;
  metrics: GatewayMetrics;
  /**
   * Validates and compiles the snapshot, then swaps it in at once (requests in
   * flight keep the one they started with). Rejects with a `ConfigError` naming
   * the bad path, leaving the current snapshot in place. Resolves once the
   * snapshot is also saved to disk.
   */
  setSnapshot(snapshot: GatewaySnapshot): Promise<void>;
  status(): GatewayStatus;
  close(): Promise<void>;
}

/** The gateway's own endpoints; org handles are slugs and never start with `_`. */
export const OPS_PREFIX = '/_drawbridge/';

const REQUEST_ID = /^[A-Za-z0-9._:@\-]{1,128}$/;
/**
 * RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token`, the scheme name
 * case-insensitive (RFC 9110 §11.1). One or more spaces (never a tab) between
 * scheme and token, nothing after the token (Node has trimmed trailing OWS).
 */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** Set on every connection when trusted proxies are configured: whether the direct peer is one. */
const TRUSTED_PEER = Symbol('drawbridge.trustedPeer');
type MarkedSocket = Socket & { [TRUSTED_PEER]?: boolean };

function peerTrusted(list: BlockList, address: string | undefined): boolean {
  if (address === undefined) return false;
  const version = isIP(address);
  return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
}

/** Placeholder until `prepare`/`proxy` set the real maps (saves two allocations per request). */
const NO_HEADERS: HeaderMap = Object.freeze({}) as HeaderMap;

/** Shared by every request of one listener. */
interface GatewayState {
  environment: string;
  clock: Clock;
  logger: Logger;
  metrics: GatewayMetrics;
  holder: SnapshotHolder;
  pools: Pools;
  limits: GatewayLimits;
  externalVerifier: ExternalTokenVerifier | undefined;
  proto: 'http' | 'https';
  /** Trusted proxies; undefined when none are configured (no per-connection work then). */
  trusted: BlockList | undefined;
  /** Undefined: metrics for every peer. */
  metricsAllowed: BlockList | undefined;
  /** Access-log lines carry only fields chosen here (no headers, no query), so pino's redaction is skipped. */
  accessLog: AccessLog;
  cache: TokenCache;
  cacheFingerprint: string;
  /** Verifications in progress, so concurrent first uses of a token verify it once. */
  verifying: Map<string, Promise<Principal>>;
  /** Per (API, code): until when further upstream-failure lines are left out, and how many were. */
  failureLog: Map<string, { until: number; suppressed: number }>;
}

const FAILURE_LOG_INTERVAL_MS = 1_000;

/**
 * One request's state. It is also the context policies see (it implements
 * `PolicyResponseContext`), so running policies allocates nothing extra.
 */
class Exchange implements PolicyResponseContext {
  readonly started = performance.now();
  requestId: string;
  snap!: CompiledSnapshot;
  path = '';
  query = '';
  methods: Map<string, RouteEntry> | undefined;
  route: RouteEntry | undefined;
  upstreamPath = '';
  principal: Principal | undefined;
  appId: string | undefined;
  upstreamHeaders: HeaderMap = NO_HEADERS;
  replayable = false;
  body: Buffer | Readable | undefined;
  upstream: Dispatcher.ResponseData | undefined;
  status = 0;
  responseHeaders: HeaderMap = NO_HEADERS;
  /** Headers added to every answer, errors included (request ID, CORS). */
  extraHeaders: Record<string, string>;
  errorCode: string | undefined;
  /** The URL query carried `access_token` (RFC 6750 §2.3); it was removed from `query`, which is what the backend gets. */
  queryToken = false;
  private stateMap: Map<string, unknown> | undefined;

  constructor(readonly gw: GatewayState, readonly req: IncomingMessage, readonly res: ServerResponse) {
    const sent = req.headers['x-request-id'];
    this.requestId = typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
    this.extraHeaders = { 'x-request-id': this.requestId };
  }

  get environment(): string { return this.gw.environment; }
  get method(): string { return this.req.method ?? 'GET'; }
  get api(): PolicyApiInfo { return this.route!.api.info; }
  get log(): Logger { return this.gw.logger; }
  get state(): Map<string, unknown> { return (this.stateMap ??= new Map()); }
  get apiRoute(): CompiledApi { return this.route!.api; }
  get resource(): CompiledResource { return this.route!.resource; }
}

/** A step answers the request itself by returning true; otherwise the next step runs. */
type Step = (ex: Exchange) => boolean | void | Promise<boolean | void>;

// ---------------------------------------------------------------- steps

/** Path safety and framing checks, and the snapshot this request will use to the end. */
function checkRequest(ex: Exchange): void {
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

/** Method + normalized path → resource (HEAD falls back to GET). */
function route(ex: Exchange): void {
  const methods = ex.snap.router.find(ex.path);
  if (!methods) throw new ApiError('not_found', `No API resource is deployed at ${ex.path} in ${ex.gw.environment}`);
  ex.methods = methods;
  const method = ex.method;
  const entry = methods.get(method) ?? (method === 'HEAD' ? methods.get('GET') : undefined);
  if (entry) {
    ex.route = entry;
    const rest = ex.path.slice(entry.api.basePath.length);
    ex.upstreamPath = entry.api.backendPath + rest || '/';
    return;
  }
  if (method === 'OPTIONS' && ex.req.headers.origin !== undefined && ex.req.headers['access-control-request-method'] !== undefined) return; // a preflight: next step
  const allowed = [...methods.keys()];
  if (methods.has('GET') && !methods.has('HEAD')) allowed.push('HEAD');
  ex.extraHeaders.allow = allowed.join(', ');
  throw new ApiError('method_not_allowed', `${method} is not allowed on ${ex.path}; allowed: ${allowed.join(', ')}`);
}

/** Answers a CORS preflight without a token, from the API's CORS settings. */
function preflight(ex: Exchange): boolean {
  if (ex.method !== 'OPTIONS') return false;
  const requested = ex.req.headers['access-control-request-method'];
  const origin = ex.req.headers.origin;
  if (requested === undefined || origin === undefined) return false;
  const entry = ex.methods!.get(requested) ?? ex.methods!.values().next().value!;
  const cors = entry.api.cors;
  if (!cors) {
    if (ex.route) return false; // an OPTIONS resource of an API without CORS: route it
    throw new ApiError('method_not_allowed', `OPTIONS is not allowed on ${ex.path}`);
  }
  if (!cors.anyOrigin && !cors.origins.has(origin)) throw new ApiError('forbidden', `Origin ${origin} is not allowed to call this API`);
  if (!ex.methods!.has(requested) && !(requested === 'HEAD' && ex.methods!.has('GET'))) {
    throw new ApiError('method_not_allowed', `${requested} is not allowed on ${ex.path}`);
  }
  const headers: Record<string, string> = {
    ...ex.extraHeaders,
    'access-control-allow-origin': cors.anyOrigin ? '*' : origin,
    'access-control-allow-methods': cors.allowMethods,
    'access-control-max-age': cors.maxAge,
    vary: 'Origin',
    'content-length': '0',
  };
  if (cors.allowHeaders) headers['access-control-allow-headers'] = cors.allowHeaders;
  if (cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
  ex.res.writeHead(204, headers);
  ex.res.end();
  return true;
}

/** CORS headers for an actual request from an allowed origin (errors carry them too, so browsers can read them). */
function cors(ex: Exchange): void {
  const c = ex.apiRoute.cors;
  const origin = ex.req.headers.origin;
  if (!c || origin === undefined || (!c.anyOrigin && !c.origins.has(origin))) return;
  ex.extraHeaders['access-control-allow-origin'] = c.anyOrigin ? '*' : origin;
  ex.extraHeaders.vary = 'Origin';
  if (c.allowCredentials) ex.extraHeaders['access-control-allow-credentials'] = 'true';
  if (c.exposeHeaders) ex.extraHeaders['access-control-expose-headers'] = c.exposeHeaders;
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
      try { name = decodeURIComponent(rawName.replace(/\+/g, ' ')); } catch { name = rawName; }
    }
    if (name === 'access_token') found = true;
    else kept.push(pair);
  }
  if (!found) return undefined;
  return kept.length === 0 ? '' : '?' + kept.join('&');
}

/** Bearer token → principal; a token's signature is verified once, then served from the cache until it expires. */
function authenticate(ex: Exchange): void | Promise<void> {
  if (!ex.resource.oauth2) return;
  const header = ex.req.headers.authorization;
  if (ex.queryToken) {
    // RFC 6750 §2: one method per request; and the URL query is not a method this gateway accepts (§2.3: URLs end up in logs).
    if (header !== undefined) throw new InvalidRequest('Send the access token one way only: the request has both an Authorization header and an access_token query parameter');
    throw new InvalidRequest('Send the access token in the Authorization header ("Authorization: Bearer <token>"); the access_token query parameter is not accepted');
  }
  if (header === undefined) throw new MissingToken();
  const gw = ex.gw;
  // Fast path: a token seen before was checked for syntax when it was first verified.
  if (header.length > 7 && header.startsWith('Bearer ')) {
    const cached = gw.cache.get(tokenHash(header.slice(7)));
    if (cached) {
      gw.metrics.cacheHit.inc();
      ex.principal = cached;
      return;
    }
  }
  const match = BEARER.exec(header);
  if (!match) {
    if (/^bearer(\s|$)/i.test(header)) throw new InvalidRequest('The Authorization header does not carry a well-formed bearer token');
    throw new MissingToken();
  }
  const token = match[1]!;
  const key = tokenHash(token);
  const cached = gw.cache.get(key);
  if (cached) {
    gw.metrics.cacheHit.inc();
    ex.principal = cached;
    return;
  }
  gw.metrics.cacheMiss.inc();
  let pending = gw.verifying.get(key);
  if (!pending) {
    pending = verify(ex, token).finally(() => gw.verifying.delete(key));
    gw.verifying.set(key, pending);
  }
  return pending.then((principal) => {
    gw.cache.set(key, principal);
    ex.principal = principal;
  });
}

async function verify(ex: Exchange, token: string): Promise<Principal> {
  const { snap, gw } = ex;
  const issuer = unverifiedIssuer(token);
  const external = issuer !== undefined && issuer !== snap.issuer;
  const kind = external ? 'external' : 'platform';
  try {
    let principal: Principal;
    if (!external) principal = await verifyPlatformToken(token, snap.keys, gw.clock);
    else {
      const idp = snap.idpByOrgIssuer.get(`${ex.apiRoute.orgId}\n${issuer}`, unverifiedAudiences(token));
      if (!idp || !gw.externalVerifier) throw new InvalidToken('The access token was not issued by a trusted issuer for this API', `issuer ${issuer}`);
      principal = await verifyExternalToken(token, idp, gw.externalVerifier);
    }
    gw.metrics.tokenVerifications.inc({ environment: gw.environment, kind, outcome: 'valid' });
    return principal;
  } catch (error) {
    gw.metrics.tokenVerifications.inc({ environment: gw.environment, kind, outcome: 'invalid' });
    throw error;
  }
}

/** Audience, revocation, credentials, subscription and scopes, all against the request's snapshot. */
function authorize(ex: Exchange): void {
  const resource = ex.resource;
  if (!resource.oauth2) return;
  const p = ex.principal!;
  const { snap } = ex;
  const api = ex.apiRoute;
  let appId: string | undefined;
  if (p.kind === 'platform') {
    if (!p.audiences.includes(api.audience)) throw new InvalidToken(`The access token is not valid for this API's organization and environment (${ex.gw.environment})`, `aud ${p.audiences.join(' ')}`);
    if (p.jti !== undefined && snap.revoked.has(p.jti)) throw new InvalidToken('The access token has been revoked');
    appId = snap.builtinClients.get(p.clientId);
    if (appId === undefined || (p.appId !== undefined && p.appId !== appId)) throw new InvalidToken('The client that obtained the access token has no credentials in this environment', `client ${p.clientId}`);
  } else {
    if (!snap.idpByOrgIssuer.has(`${api.orgId}\n${String(p.claims.iss)}`, p.idpId!)) throw new InvalidToken('The access token was not issued by a trusted issuer for this API');
    appId = snap.externalClients.get(`${p.idpId}\n${p.clientId}`);
    if (appId === undefined) throw new InvalidToken(`The client ${p.clientId} is not linked to an application in this environment`);
  }
  ex.appId = appId;
  if (!snap.subscriptions.get(appId)?.has(api.id)) throw new ApiError('forbidden', `The application is not subscribed to API ${api.info.name} ${api.info.version}`);
  const scopes = resource.scopes;
  for (let i = 0; i < scopes.length; i++) {
    if (!p.scopes.has(scopes[i]!)) throw new InsufficientScope(`This resource requires the scope${scopes.length > 1 ? 's' : ''} ${scopes.join(' ')}`, scopes.join(' '));
  }
}

/** Headers for the backend and the body plan (streamed, or kept when a policy may want a retry). */
function prepare(ex: Exchange): void | Promise<void> {
  const req = ex.req;
  const socket = req.socket as MarkedSocket;
  ex.upstreamHeaders = upstreamHeaders(req.headers, socket.remoteAddress, ex.gw.trusted !== undefined && socket[TRUSTED_PEER] === true, ex.gw.proto, ex.requestId);
  const max = ex.apiRoute.limits.maxBodyBytes ?? ex.gw.limits.maxBodyBytes;
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (length !== undefined) {
    const n = Number(length);
    if (n > max) throw payloadTooLarge(max);
    if (n === 0) { ex.body = undefined; ex.replayable = ex.resource.retryOn401; return; }
  } else if (!chunked) {
    ex.replayable = ex.resource.retryOn401;
    return;
  }
  if (ex.resource.retryOn401 && length !== undefined && Number(length) <= ex.gw.limits.replayBodyBytes) {
    ex.replayable = true;
    return readBody(req, max).then((body) => { ex.body = body; });
  }
  if (chunked) {
    const limit = new BodyLimit(max);
    req.on('error', (e) => limit.destroy(e));
    ex.body = req.pipe(limit);
  } else ex.body = req;
}

function requestPolicies(ex: Exchange): void | Promise<void> {
  const policies = ex.resource.requestPolicies;
  for (let i = 0; i < policies.length; i++) {
    const hook = policies[i]!.handler.onRequest;
    if (!hook) continue;
    const r = hook(ex);
    if (r) return r.then(() => runFrom(policies, i + 1, ex));
  }
}

async function runFrom(policies: CompiledResource['requestPolicies'], start: number, ex: Exchange): Promise<void> {
  for (let i = start; i < policies.length; i++) await policies[i]!.handler.onRequest?.(ex);
}

function send(ex: Exchange): Promise<Dispatcher.ResponseData> {
  const { gw } = ex;
  const api = ex.apiRoute;
  const limits = api.limits;
  const pool = (api.dispatcher ??= gw.pools.get(api.origin, limits.connectTimeoutMs ?? gw.limits.connectTimeoutMs));
  // The callback form: one promise per backend call instead of a chain.
  return new Promise((resolve, reject) => {
    pool.request({
      method: ex.method as Dispatcher.HttpMethod,
      path: ex.upstreamPath + ex.query,
      headers: ex.upstreamHeaders as Record<string, string | string[]>,
      body: ex.body,
      headersTimeout: limits.headersTimeoutMs ?? gw.limits.headersTimeoutMs,
      bodyTimeout: limits.bodyTimeoutMs ?? gw.limits.bodyTimeoutMs,
    }, (error, data) => {
      if (!error) return resolve(data);
      if (error instanceof ApiError) return reject(error); // the body limit tripped while streaming
      if (ex.body instanceof BodyLimit && ex.body.exceeded) return reject(payloadTooLarge(api.limits.maxBodyBytes ?? gw.limits.maxBodyBytes));
      const failure = upstreamFailure(error);
      gw.metrics.upstreamErrors.inc({ environment: gw.environment, api: api.basePath, kind: failure.kind });
      reject(failure.error);
    });
  });
}

/** Forwards the request; on a backend 401 a replayable request may be sent once more if a policy asks. */
function proxy(ex: Exchange): Promise<void> {
  const sent = send(ex);
  if (!ex.replayable) return sent.then((upstream) => received(ex, upstream));
  return sent.then((upstream) => {
    const checked = retryOn401(ex, upstream);
    return checked instanceof Promise ? checked.then((again) => received(ex, again)) : received(ex, checked);
  });
}

/** Synchronous unless the backend answered 401 (then the async path asks the policies). */
function retryOn401(ex: Exchange, upstream: Dispatcher.ResponseData): Dispatcher.ResponseData | Promise<Dispatcher.ResponseData> {
  return upstream.statusCode === 401 ? retryAfter401(ex, upstream) : upstream;
}

async function retryAfter401(ex: Exchange, upstream: Dispatcher.ResponseData): Promise<Dispatcher.ResponseData> {
  let retry = false;
  for (const policy of ex.resource.requestPolicies) {
    const hook = policy.handler.onBackendUnauthorized;
    if (hook && (await hook(ex))) retry = true;
  }
  if (!retry) return upstream;
  await upstream.body.dump();
  ex.gw.metrics.retries.inc({ environment: ex.gw.environment, api: ex.apiRoute.basePath });
  return send(ex);
}

function received(ex: Exchange, upstream: Dispatcher.ResponseData): void {
  ex.upstream = upstream;
  ex.status = upstream.statusCode;
  ex.responseHeaders = downstreamHeaders(upstream.headers);
}

function responsePolicies(ex: Exchange): void | Promise<void> {
  const policies = ex.resource.responsePolicies;
  if (policies.length === 0) return;
  return (async () => {
    for (const policy of policies) await policy.handler.onResponse?.(ex);
  })();
}

/**
 * Streams the backend's answer to the consumer. Plain `pipe` (not
 * `stream.pipeline`, which allocates an AbortController and an AbortError per
 * call); `account` destroys the backend body if the consumer leaves early.
 */
function relay(ex: Exchange): void {
  const headers = ex.responseHeaders;
  for (const name in ex.extraHeaders) headers[name] = ex.extraHeaders[name];
  const { res } = ex;
  const body = ex.upstream!.body;
  if (res.destroyed) { // the consumer left while the backend was answering: free the backend connection
    discard(body);
    return;
  }
  res.writeHead(ex.status, headers as Record<string, string | string[]>);
  body.once('error', (error) => {
    if (res.destroyed) return; // the consumer left first: not a backend failure
    const failure = upstreamFailure(error);
    ex.gw.metrics.upstreamErrors.inc({ environment: ex.gw.environment, api: ex.apiRoute.basePath, kind: failure.kind });
    ex.errorCode = failure.error.code;
    logRefusal(ex, failure.error);
    res.destroy();
  });
  body.pipe(res);
}

const PIPELINE: readonly Step[] = [
  checkRequest, route, preflight, cors, authenticate, authorize, prepare, requestPolicies, proxy, responsePolicies, relay,
];

function fail(ex: Exchange, error: unknown): void {
  const { res } = ex;
  if (!isRenderable(error)) {
    ex.gw.logger.error({ reqId: ex.requestId, err: { message: (error as Error)?.message, stack: (error as Error)?.stack } }, 'gateway request failed');
    error = new ApiError('internal', 'The gateway failed to handle the request');
  }
  const e = error as RenderableError;
  ex.errorCode = e instanceof OAuthError ? e.error : e.code;
  logRefusal(ex, e);
  if (ex.upstream) ex.upstream.body.dump().catch(() => {});
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  try {
    renderError(res, e, ex.extraHeaders, ex.method === 'HEAD');
  } catch (renderFailure) {
    // This runs in promise callbacks: a throw here would be an unhandled rejection, i.e. a process exit.
    ex.gw.logger.error({ reqId: ex.requestId, err: { message: (renderFailure as Error)?.message } }, 'gateway error response could not be written');
    res.destroy();
  }
}

/**
 * The private `detail` of a failure (the socket error, the jose reason), for
 * operators: 502/504 at `warn` (at most one line per API and code per second,
 * the next one saying how many were left out: `suppressed`), token refusals (401/403 bearer errors) at
 * `debug` (with the public reason too, as some refusals have no detail).
 * Only the request ID, API, code and detail: never headers or the token
 * (details are built from error codes and claims, not from the token).
 */
function logRefusal(ex: Exchange, e: RenderableError): void {
  const status = e.status;
  if (status === 502 || status === 504) {
    const gw = ex.gw;
    const api = ex.route?.api.basePath;
    // A backend or IdP that is down fails every request: one line per API and code per second, with how many were left out.
    const key = `${api}\n${ex.errorCode}`;
    const now = gw.clock.now();
    const seen = gw.failureLog.get(key);
    if (seen !== undefined && now < seen.until) {
      seen.suppressed++;
      return;
    }
    if (gw.failureLog.size >= 1_000) gw.failureLog.clear();
    gw.failureLog.set(key, { until: now + FAILURE_LOG_INTERVAL_MS, suppressed: 0 });
    const suppressed = seen?.suppressed || undefined;
    gw.logger.warn({ env: gw.environment, reqId: ex.requestId, api, code: ex.errorCode, detail: e.detail, suppressed }, 'gateway upstream failure');
  } else if ((status === 401 || status === 403) && e instanceof OAuthError && ex.gw.logger.isLevelEnabled('debug')) {
    ex.gw.logger.debug({ env: ex.gw.environment, reqId: ex.requestId, api: ex.route?.api.basePath, code: ex.errorCode, reason: e.description, detail: e.detail }, 'gateway token refused');
  }
}

/** Drops a backend body nobody will read; undici reports that as an error, which is expected here. */
function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

function account(ex: Exchange): void {
  const { gw, res } = ex;
  const body = ex.upstream?.body;
  if (body !== undefined && !body.readableEnded) discard(body);
  const seconds = (performance.now() - ex.started) / 1000;
  const api = ex.route?.api.basePath ?? 'none';
  const status = res.writableFinished ? res.statusCode : 499;
  gw.metrics.requests.record(api, status, seconds);
  if (gw.accessLog.enabled) gw.accessLog.write({
    reqId: ex.requestId, method: ex.req.method, path: ex.path || undefined, status,
    ms: Math.round(seconds * 100_000) / 100, api: ex.route?.api.basePath, app: ex.appId, error: ex.errorCode,
  });
}

function handle(gw: GatewayState, req: IncomingMessage, res: ServerResponse): void {
  if (req.url !== undefined && req.url.startsWith(OPS_PREFIX)) {
    ops(gw, req, res).catch((error: Error) => { gw.logger.error({ err: { message: error.message } }, 'operations endpoint failed'); res.destroy(); });
    return;
  }
  const ex = new Exchange(gw, req, res);
  res.once('close', () => account(ex));
  run(ex, 0);
}

/**
 * Runs the steps from `from` on. Synchronous steps run back to back; only a
 * step that returns a promise costs a microtask (the cached-token path has one:
 * the backend call).
 */
function run(ex: Exchange, from: number): void {
  try {
    for (let i = from; i < PIPELINE.length; i++) {
      const result = PIPELINE[i]!(ex);
      if (result === true) return;
      if (result !== undefined && result !== false) {
        result.then((answered) => { if (answered !== true) run(ex, i + 1); }, (error: unknown) => fail(ex, error));
        return;
      }
    }
  } catch (error) {
    fail(ex, error);
  }
}

// ---------------------------------------------------------------- operations

function statusOf(gw: GatewayState): GatewayStatus {
  const held = gw.holder.current;
  return {
    environment: gw.environment,
    ready: held !== undefined,
    snapshot: held ? { version: held.compiled.version, generatedAt: held.compiled.raw.generatedAt, source: held.origin, loadedAt: held.loadedAt, apis: held.compiled.apis.length } : null,
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

async function ops(gw: GatewayState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url!.split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { code: 'method_not_allowed', message: 'Operations endpoints answer GET only' });
  switch (path) {
    case `${OPS_PREFIX}healthz`:
      return json(res, 200, { status: 'ok', ...statusOf(gw) });
    case `${OPS_PREFIX}readyz`: {
      const status = statusOf(gw);
      return json(res, status.ready ? 200 : 503, status);
    }
    case `${OPS_PREFIX}metrics`: {
      // Request counts per API say what an installation runs: only for the scrapers' networks.
      if (gw.metricsAllowed && !peerTrusted(gw.metricsAllowed, req.socket.remoteAddress)) return json(res, 404, { code: 'not_found', message: `No operations endpoint at ${path}` });
      const text = await gw.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': gw.metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    default:
      return json(res, 404, { code: 'not_found', message: `No operations endpoint at ${path}` });
  }
}

// ---------------------------------------------------------------- lifecycle

/**
 * Starts one gateway listener for one environment. The snapshot comes from
 * `snapshotSource` at start (or, when that fails, from the last good one on
 * disk, reported as `source: "disk"`), then from `setSnapshot`.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const environment = options.environment;
  const logger = options.logger;
  // Settings are checked before anything is opened: a bad one rejects the start.
  const trustedList = options.trustedProxies && options.trustedProxies.length > 0 ? addressList(options.trustedProxies, 'trustedProxies') : undefined;
  const metricsAllow = options.metricsAllow ?? PRIVATE_NETWORKS;
  const metricsAllowed = metricsAllow.join() === ANY_ADDRESS ? undefined : addressList(metricsAllow, 'metricsAllow');
  const proto = options.forwardedProto ?? 'http';
  if (proto !== 'http' && proto !== 'https') throw new ConfigError('forwardedProto', `must be http or https, got ${JSON.stringify(proto)}`);
  const metrics = new GatewayMetrics(environment);
  const file = options.dataDir ? snapshotFile(options.dataDir, environment) : undefined;
  const sharedObjects = new Map<string, unknown>([[GATEWAY_METRICS_KEY, metrics], ...Object.entries(options.shared ?? {})]);
  const gw: GatewayState = {
    environment, clock, logger, metrics,
    accessLog: new AccessLog(logger.child({ env: environment }, { redact: [] })),
    holder: new SnapshotHolder(file, logger),
    pools: new Pools(options.limits?.connectionsPerOrigin ?? DEFAULT_LIMITS.connectionsPerOrigin, options.egress),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    externalVerifier: options.externalVerifier,
    proto,
    trusted: trustedList,
    metricsAllowed,
    cache: new TokenCache(clock),
    cacheFingerprint: '',
    verifying: new Map(),
    failureLog: new Map(),
  };
  const masterKey = options.masterKey;

  const apply = (snapshot: GatewaySnapshot, origin: SnapshotOrigin): Promise<void> => {
    const compiled = compileSnapshot(snapshot, {
      environment, clock, logger,
      shared: <T>(key: string, create: () => T): T => {
        if (!sharedObjects.has(key)) sharedObjects.set(key, create());
        return sharedObjects.get(key) as T;
      },
      openSecret: masterKey ? (sealed) => masterKey.decrypt(sealed, SEALED_SECRET_CONTEXT) : undefined,
      egress: options.egress,
    });
    // Verified tokens stay valid across snapshots unless the keys or trusted IdPs changed.
    const fingerprint = `${compiled.keys.fingerprint}:${compiled.idpByOrgIssuer.fingerprint()}`;
    if (fingerprint !== gw.cacheFingerprint) {
      gw.cache = new TokenCache(clock);
      gw.cacheFingerprint = fingerprint;
    }
    metrics.snapshotVersion.set({ environment }, compiled.version);
    const written = gw.holder.swap(compiled, origin, isoNow(clock));
    logger.info({ env: environment, version: compiled.version, source: origin, apis: compiled.apis.length }, 'gateway snapshot loaded');
    return written;
  };

  const loadFromSource = async (): Promise<boolean> => {
    if (!options.snapshotSource) return false;
    try {
      await apply(await options.snapshotSource.load(), 'live');
      return true;
    } catch (error) {
      logger.warn({ env: environment, err: { message: (error as Error).message } }, 'gateway snapshot source unavailable');
      return false;
    }
  };

  if (!(await loadFromSource()) && file) {
    try {
      const saved = await readSnapshotFile(file);
      if (saved) await apply(saved, 'disk');
    } catch (error) {
      logger.error({ env: environment, file, err: { message: (error as Error).message } }, 'saved gateway snapshot is unusable');
    }
  }

  let retry: NodeJS.Timeout | undefined;
  if (options.snapshotSource && gw.holder.current?.origin !== 'live') {
    retry = setInterval(() => {
      void loadFromSource().then((ok) => { if (ok && retry) { clearInterval(retry); retry = undefined; } });
    }, options.reloadIntervalMs ?? 5_000);
    retry.unref();
  }

  const server: Server = createServer((req, res) => handle(gw, req, res));
  const trusted = gw.trusted;
  // Decided once per connection, not per request: every socket gets the property, so they all keep one shape.
  if (trusted) server.on('connection', (socket: MarkedSocket) => { socket[TRUSTED_PEER] = peerTrusted(trusted, socket.remoteAddress); });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const { port, address } = server.address() as AddressInfo;
  options.egress?.addOwnPort(port);
  const host = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
  let closed: Promise<void> | undefined;

  return {
    url: `http://${host}:${port}`,
    port,
    environment,
    metrics,
    setSnapshot(snapshot) {
      try {
        const written = apply(snapshot, 'live');
        if (retry) { clearInterval(retry); retry = undefined; }
        return written;
      } catch (error) {
        logger.error({ env: environment, err: { message: (error as Error).message } }, 'gateway snapshot refused');
        return Promise.reject(error);
      }
    },
    status: () => statusOf(gw),
    close() {
      closed ??= (async () => {
        if (retry) clearInterval(retry);
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), 2_000);
        await done;
        clearTimeout(timer);
        await gw.pools.close();
        gw.accessLog.flush();
        await gw.holder.flushed();
      })();
      return closed;
    },
  };
}
