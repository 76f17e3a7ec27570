import type { Dispatcher } from 'undici';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import { TENANT_PLACEHOLDER } from '../shared/idp-keys/presets.js';
import type { Logger } from '../shared/logger.js';
import { parsePathTemplate, type TemplateSegment } from './path.js';
import { findPolicy, validatePolicyInstance } from './policies/index.js';
import type { PolicyApiInfo, PolicyDeps, PolicyHandler } from './policies/types.js';
import { isSealed, openSealedValue, type SecretOpener } from './policies/validate.js';
import { Router } from './router.js';
import { apiBasePath, HTTP_METHODS, SNAPSHOT_FORMAT, type GatewaySnapshot, type SnapshotIdentityProvider } from './snapshot.js';
import { importPlatformKeys, type PlatformKeys } from './tokens.js';
import { IdpIssuerIndex } from './idp-index.js';
import { SLUG_PATTERN } from '../shared/names.js';

/** Indexes built once per snapshot so a request does only Map lookups. */
export interface CompiledSnapshot {
  raw: GatewaySnapshot;
  version: number;
  environment: string;
  issuer: string;
  keys: PlatformKeys;
  router: Router<RouteEntry>;
  apis: CompiledApi[];
  subscriptions: Map<string, Set<string>>;
  builtinClients: Map<string, string>;
  /** `<idpId>\n<externalClientId>` → application id. */
  externalClients: Map<string, string>;
  /** `<orgId>\n<issuer>` → IdPs (exact issuers, then the organization's issuer templates; several per issuer told apart by audience). */
  idpByOrgIssuer: IdpIssuerIndex;
  revoked: Set<string>;
  /** APIs and identity providers left out because they do not compile (each logged with its path). */
  skipped: SkippedEntry[];
  /** Each served API's compiled form by the snapshot object it came from, for the next compile to reuse. */
  built: Map<unknown, BuiltApi>;
}

/** One API as compiled: validated, its routes planned and its policies' handlers created. */
export interface BuiltApi {
  /** Where the API sat in the snapshot it was compiled from (`apis[3]`); its routes' paths start with it. */
  at: string;
  api: CompiledApi;
  routes: { segments: TemplateSegment[]; key: string; method: string; path: string; at: string; resource: CompiledResource }[];
}

export interface CompiledCors {
  anyOrigin: boolean;
  origins: Set<string>;
  allowMethods: string;
  allowHeaders: string;
  exposeHeaders: string;
  allowCredentials: boolean;
  maxAge: string;
}

export interface CompiledApi {
  id: string;
  orgId: string;
  basePath: string;
  audience: string;
  /** `http://host:port` for the connection pool. */
  origin: string;
  /** Backend URL path without trailing slash ('' for the root). */
  backendPath: string;
  cors: CompiledCors | undefined;
  limits: { maxBodyBytes?: number; connectTimeoutMs?: number; headersTimeoutMs?: number; bodyTimeoutMs?: number };
  info: PolicyApiInfo;
  /** The backend's connection pool, looked up on first use (pools outlive snapshots). */
  dispatcher?: Dispatcher;
}

export interface CompiledPolicy {
  key: string;
  handler: PolicyHandler;
}

export interface CompiledResource {
  method: string;
  path: string;
  oauth2: boolean;
  scopes: string[];
  requestPolicies: CompiledPolicy[];
  responsePolicies: CompiledPolicy[];
  /** Some request policy wants a retry on a backend 401. */
  retryOn401: boolean;
}

export interface RouteEntry {
  api: CompiledApi;
  resource: CompiledResource;
}

export interface CompileDeps {
  environment: string;
  clock: Clock;
  logger: Logger;
  shared: PolicyDeps['shared'];
  openSecret?: SecretOpener;
  egress?: PolicyDeps['egress'];
  /**
   * The snapshot compiled before, with the same deps: an API given as the very same
   * object as then is taken as compiled then (handlers included), so a snapshot that
   * changed one API costs one API. The control plane hands unchanged APIs over as the
   * same objects; a snapshot read from disk or the network compiles in full.
   */
  previous?: CompiledSnapshot;
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Record<string, any>, key: string, path: string, pattern?: RegExp, what?: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${path}.${key}`, 'must be a non-empty string');
  if (pattern && !pattern.test(v)) throw new ConfigError(`${path}.${key}`, `must be ${what ?? `like ${pattern}`}`);
  return v;
}

function strArray(o: Record<string, any>, key: string, path: string): string[] {
  const v = o[key];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new ConfigError(`${path}.${key}`, 'must be an array of strings');
  return v;
}

function arr(o: Record<string, any>, key: string, path: string): unknown[] {
  if (!Array.isArray(o[key])) throw new ConfigError(`${path}.${key}`, 'must be an array');
  return o[key];
}

function obj(o: Record<string, any>, key: string, path: string): Record<string, any> {
  if (!isObject(o[key])) throw new ConfigError(`${path}.${key}`, 'must be an object');
  return o[key];
}

const SLUG = new RegExp(SLUG_PATTERN);
const CONTEXT = /^(\/[A-Za-z0-9._~-]+)+$/;
const VERSION = /^[A-Za-z0-9._~-]+$/;

function compileCors(raw: unknown, path: string): CompiledCors | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (!isObject(raw)) throw new ConfigError(path, 'must be an object or null');
  const origins = strArray(raw, 'allowOrigins', path);
  const methods = strArray(raw, 'allowMethods', path);
  const headers = strArray(raw, 'allowHeaders', path);
  const expose = strArray(raw, 'exposeHeaders', path);
  if (typeof raw.allowCredentials !== 'boolean') throw new ConfigError(`${path}.allowCredentials`, 'must be true or false');
  if (!Number.isInteger(raw.maxAgeSeconds) || raw.maxAgeSeconds < 0) throw new ConfigError(`${path}.maxAgeSeconds`, 'must be a non-negative integer');
  const anyOrigin = origins.includes('*');
  if (anyOrigin && raw.allowCredentials) throw new ConfigError(`${path}.allowOrigins`, '"*" cannot be combined with allowCredentials');
  origins.forEach((o, i) => {
    if (!isCorsOrigin(o)) throw new ConfigError(`${path}.allowOrigins[${i}]`, 'must be an origin like https://app.example.com, or *');
  });
  return {
    anyOrigin,
    origins: new Set(origins),
    allowMethods: methods.join(', '),
    allowHeaders: headers.join(', '),
    exposeHeaders: expose.join(', '),
    allowCredentials: raw.allowCredentials,
    maxAge: String(raw.maxAgeSeconds),
  };
}

function compileLimits(raw: unknown, path: string): CompiledApi['limits'] {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw new ConfigError(path, 'must be an object');
  const out: CompiledApi['limits'] = {};
  for (const key of ['maxBodyBytes', 'connectTimeoutMs', 'headersTimeoutMs', 'bodyTimeoutMs'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`${path}.${key}`, 'must be a positive integer');
    out[key] = v;
  }
  return out;
}

/** One identity provider entry of the snapshot (optional settings passed through for the external-token verifier, which checks them). */
function compileIdp(p: unknown, at: string): SnapshotIdentityProvider {
  if (!isObject(p)) throw new ConfigError(at, 'must be an object');
  const idp: SnapshotIdentityProvider = {
    id: str(p, 'id', at), orgId: str(p, 'orgId', at), name: str(p, 'name', at), issuer: str(p, 'issuer', at),
    jwksUri: str(p, 'jwksUri', at), audiences: strArray(p, 'audiences', at), clientIdClaim: str(p, 'clientIdClaim', at),
    clockSkewSeconds: p.clockSkewSeconds,
  };
  if (!Number.isInteger(idp.clockSkewSeconds) || idp.clockSkewSeconds < 0) throw new ConfigError(`${at}.clockSkewSeconds`, 'must be a non-negative integer');
  if (p.clientIdClaims !== undefined) {
    idp.clientIdClaims = strArray(p, 'clientIdClaims', at);
    if (idp.clientIdClaims.length === 0) throw new ConfigError(`${at}.clientIdClaims`, 'must list at least one claim');
  }
  if (p.issuerTemplate !== undefined) {
    idp.issuerTemplate = str(p, 'issuerTemplate', at);
    if (!idp.issuerTemplate.includes(TENANT_PLACEHOLDER)) throw new ConfigError(`${at}.issuerTemplate`, `must contain ${TENANT_PLACEHOLDER}`);
    idp.allowedTenantIds = p.allowedTenantIds === undefined ? [] : strArray(p, 'allowedTenantIds', at);
  }
  for (const key of ['subjectClaim', 'maxTokenAge', 'tokenTyping', 'jwks'] as const) if (p[key] !== undefined) (idp as unknown as Record<string, unknown>)[key] = p[key];
  return idp;
}

/**
 * The rule for backend URLs, shared with the control plane (which checks it
 * at definition and deploy time): absolute http(s) with a host, no
 * credentials, no query string or fragment (the gateway appends the request's
 * own path and query), no spaces or control characters. Returns the problem,
 * or undefined when the URL is acceptable.
 */
/** A CORS allow-list entry: `*`, or an http(s) origin in its serialized form (`https://app.example.com`, no path). */
export function isCorsOrigin(value: string): boolean {
  if (value === '*') return true;
  if (!/^https?:\/\/[^/\s]+$/i.test(value)) return false;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

export const BACKEND_URL_RULE = 'must be an absolute http(s) URL without credentials, query or fragment';
export function backendUrlProblem(value: string): string | undefined {
  // WHATWG parsing forgives `https:///host`, `http:\\host` and stray tabs or newlines; an address must be written plainly.
  if (!/^https?:\/\/[^/\\\s?#@]/i.test(value) || /[\x00-\x20\x7f?#]/.test(value)) return BACKEND_URL_RULE;
  let url: URL;
  try { url = new URL(value); } catch { return BACKEND_URL_RULE; }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname || url.username || url.password || url.search || url.hash) return BACKEND_URL_RULE;
  return undefined;
}

/** A part of the snapshot the gateway left out (logged with its path); the rest is served. */
export interface SkippedEntry {
  kind: 'api' | 'identityProvider';
  /** Index in the snapshot's list, e.g. `apis[3]`. */
  at: string;
  id: string | undefined;
  /** The full problem, starting with its exact path (`apis[3].resources[0]: …`). */
  reason: string;
  /** For a route conflict: the API that keeps the route. */
  conflictsWith?: string;
}


/**
 * Opens every `{"$sealed": …}` value of a policy config, wherever it sits: the
 * control plane seals settings a policy marks secret and any string a secret
 * parameter was substituted into. Without an opener the config is returned
 * as is (sealed secret settings stay sealed; validation refuses the rest).
 */
function openSealed(value: unknown, path: string, open: SecretOpener | undefined): unknown {
  if (!open) return value;
  if (isSealed(value)) return openSealedValue(value, path, open);
  if (Array.isArray(value)) return value.map((v, i) => openSealed(v, `${path}[${i}]`, open));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, openSealed(v, `${path}.${k}`, open)]));
  return value;
}

function backendOf(rawApi: Record<string, any>, at: string, open: SecretOpener | undefined): URL {
  let backend: unknown = rawApi.backendUrl;
  if (isSealed(backend)) {
    if (!open) throw new ConfigError(`${at}.backendUrl`, 'is sealed and this gateway has no master key to open it');
    backend = openSealedValue(backend, `${at}.backendUrl`, open);
  }
  if (typeof backend !== 'string' || backend === '') throw new ConfigError(`${at}.backendUrl`, 'must be a non-empty string');
  const problem = backendUrlProblem(backend);
  if (problem) throw new ConfigError(`${at}.backendUrl`, problem);
  return new URL(backend);
}

interface PlannedRoute { segments: TemplateSegment[]; key: string; method: string; path: string; at: string; resource: CompiledResource }
interface PlannedPolicy { at: string; resource: CompiledResource; phase: unknown; name: string; version: string; config: Record<string, unknown> }
interface PlannedApi { api: CompiledApi; routes: PlannedRoute[]; policies: PlannedPolicy[] }

/** `GET /acme/orders/v1/items/{}`: two templates with this key are the same route for the router. */
const routeKey = (method: string, segments: readonly TemplateSegment[]): string =>
  `${method} /${segments.map((s) => (s.kind === 'param' ? '{}' : s.value)).join('/')}`;

/** Validates one API of the snapshot (throws a `ConfigError` naming the exact path); creates nothing yet. */
function planApi(rawApi: unknown, at: string, deps: CompileDeps): PlannedApi {
  if (!isObject(rawApi)) throw new ConfigError(at, 'must be an object');
  const id = str(rawApi, 'id', at);
  const orgId = str(rawApi, 'orgId', at);
  const orgHandle = str(rawApi, 'orgHandle', at, SLUG, 'an organization handle (lowercase slug)');
  const name = str(rawApi, 'name', at);
  const contextPath = str(rawApi, 'contextPath', at, CONTEXT, 'a path like /orders (unreserved characters, no trailing slash)');
  const version = str(rawApi, 'version', at, VERSION, 'one path segment like v1');
  const audience = str(rawApi, 'audience', at);
  const url = backendOf(rawApi, at, deps.openSecret);
  const basePath = apiBasePath({ orgHandle, contextPath, version });
  const info: PolicyApiInfo = Object.freeze({ id, orgId, name, version });
  const api: CompiledApi = {
    id, orgId, basePath, audience, info,
    origin: url.origin,
    backendPath: url.pathname.replace(/\/+$/, ''),
    cors: compileCors(rawApi.cors, `${at}.cors`),
    limits: compileLimits(rawApi.limits, `${at}.limits`),
  };
  const baseSegments: TemplateSegment[] = basePath.slice(1).split('/').map((value) => ({ kind: 'static', value }));
  const routes: PlannedRoute[] = [];
  const policies: PlannedPolicy[] = [];
  const own = new Set<string>();
  arr(rawApi, 'resources', at).forEach((rawRes, j) => {
    const rat = `${at}.resources[${j}]`;
    if (!isObject(rawRes)) throw new ConfigError(rat, 'must be an object');
    const method = str(rawRes, 'method', rat);
    if (!(HTTP_METHODS as readonly string[]).includes(method)) throw new ConfigError(`${rat}.method`, `must be one of ${HTTP_METHODS.join(', ')}`);
    const path = str(rawRes, 'path', rat);
    let segments: TemplateSegment[];
    try { segments = parsePathTemplate(path); } catch (e) { throw new ConfigError(`${rat}.path`, (e as Error).message); }
    const security = obj(rawRes, 'security', rat);
    if (typeof security.oauth2 !== 'boolean') throw new ConfigError(`${rat}.security.oauth2`, 'must be true or false');
    const scopes = strArray(security, 'scopes', `${rat}.security`);
    const resource: CompiledResource = { method, path, oauth2: security.oauth2, scopes, requestPolicies: [], responsePolicies: [], retryOn401: false };
    arr(rawRes, 'policies', rat).forEach((rawPol, k) => {
      const pat = `${rat}.policies[${k}]`;
      if (!isObject(rawPol)) throw new ConfigError(pat, 'must be an object');
      const instance = { name: str(rawPol, 'name', pat), version: str(rawPol, 'version', pat), phase: rawPol.phase, config: openSealed(rawPol.config, `${pat}.config`, deps.openSecret) as Record<string, unknown> };
      const config = validatePolicyInstance(instance, pat, { openSecret: deps.openSecret });
      policies.push({ at: pat, resource, phase: instance.phase, name: instance.name, version: instance.version, config });
    });
    const full = [...baseSegments, ...segments];
    const key = routeKey(method, full);
    if (own.has(key)) throw new ConfigError(rat, `${method} ${path} is defined twice`);
    own.add(key);
    routes.push({ segments: full, key, method, path, at: rat, resource });
  });
  return { api, routes, policies };
}

/**
 * Validates a snapshot and builds its indexes and policy handlers. The
 * snapshot as a whole (format, environment, keys, subscriptions, clients,
 * revocations) must be valid, or a `ConfigError` naming the exact path is
 * thrown and nothing is applied. APIs and identity providers are compiled one
 * by one: a bad one is left out (logged with its path, listed in `skipped`)
 * and the rest is served, so one organization's mistake never freezes the
 * environment. Between two APIs claiming the same route or base path, the one
 * listed first (the control plane lists them by first deployment) keeps it.
 */
export function compileSnapshot(snapshot: GatewaySnapshot, deps: CompileDeps): CompiledSnapshot {
  const s = snapshot as unknown;
  if (!isObject(s)) throw new ConfigError('snapshot', 'must be an object');
  if (s.format !== SNAPSHOT_FORMAT) throw new ConfigError('format', `must be ${SNAPSHOT_FORMAT}`);
  if (!Number.isInteger(s.version) || s.version < 0) throw new ConfigError('version', 'must be a non-negative integer');
  str(s, 'generatedAt', 'snapshot');
  const environment = str(s, 'environment', 'snapshot');
  if (environment !== deps.environment) throw new ConfigError('environment', `is ${JSON.stringify(environment)} but this gateway serves ${JSON.stringify(deps.environment)}`);
  const issuer = str(s, 'issuer', 'snapshot');
  const keys = importPlatformKeys(issuer, arr(s, 'keys', 'snapshot') as GatewaySnapshot['keys']);

  const skipped: SkippedEntry[] = [];
  const skip = (kind: SkippedEntry['kind'], at: string, raw: unknown, thrown: unknown, conflictsWith?: string) => {
    let error = thrown;
    if (!(error instanceof ConfigError)) error = new ConfigError(at, `cannot be compiled: ${(error as Error)?.message ?? String(error)}`);
    const { path, message } = error as ConfigError;
    const id = isObject(raw) && typeof raw.id === 'string' ? raw.id : undefined;
    skipped.push({ kind, at, id, reason: message, ...(conflictsWith !== undefined && { conflictsWith }) });
    deps.logger.error({ env: environment, path, [kind === 'api' ? 'apiId' : 'idpId']: id, reason: message },
      kind === 'api' ? 'API left out of the gateway snapshot' : 'identity provider left out of the gateway snapshot');
  };

  const router = new Router<RouteEntry>();
  const apis: CompiledApi[] = [];
  const built = new Map<unknown, BuiltApi>();
  const bases = new Map<string, string>();
  const routes = new Map<string, string>();
  arr(s, 'apis', 'snapshot').forEach((rawApi, i) => {
    const at = `apis[${i}]`;
    let conflictsWith: string | undefined;
    try {
      const reused = deps.previous?.built.get(rawApi);
      const plan = reused ? { ...reused, policies: [] } : planApi(rawApi, at, deps);
      const { api } = plan;
      const clash = bases.get(api.basePath);
      if (clash) {
        conflictsWith = clash;
        throw new ConfigError(`${at}.contextPath`, `${api.basePath} is already served by API ${clash}`);
      }
      for (const r of plan.routes) {
        const holder = routes.get(r.key);
        if (holder) {
          conflictsWith = holder;
          // A reused API's routes name its index in the snapshot it was compiled from.
          throw new ConfigError(reused ? at + r.at.slice(reused.at.length) : r.at, `${r.method} ${api.basePath}${r.path === '/' ? '' : r.path} is already served by API ${holder}`);
        }
      }
      for (const p of plan.policies) {
        const def = findPolicy(p.name, p.version)!;
        let handler: PolicyHandler;
        try {
          handler = def.create(p.config, { environment: deps.environment, api: api.info, clock: deps.clock, logger: deps.logger, shared: deps.shared, egress: deps.egress });
        } catch (error) {
          throw error instanceof ConfigError ? error : new ConfigError(p.at, `cannot be set up: ${error instanceof Error ? error.message : String(error)}`);
        }
        const compiled = { key: `${p.name}@${p.version}`, handler };
        if (p.phase === 'request') {
          p.resource.requestPolicies.push(compiled);
          if (handler.onBackendUnauthorized) p.resource.retryOn401 = true;
        } else p.resource.responsePolicies.push(compiled);
      }
      bases.set(api.basePath, api.id);
      for (const r of plan.routes) {
        routes.set(r.key, api.id);
        router.add(r.segments, r.method, { api, resource: r.resource });
      }
      apis.push(api);
      built.set(rawApi, reused ?? { at, api, routes: plan.routes });
    } catch (error) {
      skip('api', at, rawApi, error, conflictsWith);
    }
  });

  const subscriptions = new Map<string, Set<string>>();
  const subs = obj(s, 'subscriptions', 'snapshot');
  for (const [appId, apiIds] of Object.entries(subs)) {
    if (!Array.isArray(apiIds) || apiIds.some((x) => typeof x !== 'string')) throw new ConfigError(`subscriptions.${appId}`, 'must be an array of API ids');
    subscriptions.set(appId, new Set(apiIds));
  }
  const clients = obj(s, 'clients', 'snapshot');
  const builtinRaw = obj(clients, 'builtin', 'clients');
  const builtinClients = new Map<string, string>();
  for (const [clientId, appId] of Object.entries(builtinRaw)) {
    if (typeof appId !== 'string') throw new ConfigError(`clients.builtin.${clientId}`, 'must be an application id');
    builtinClients.set(clientId, appId);
  }
  const externalClients = new Map<string, string>();
  arr(clients, 'external', 'clients').forEach((c, i) => {
    const at = `clients.external[${i}]`;
    if (!isObject(c)) throw new ConfigError(at, 'must be an object');
    externalClients.set(`${str(c, 'idpId', at)}\n${str(c, 'externalClientId', at)}`, str(c, 'appId', at));
  });
  const idpByOrgIssuer = new IdpIssuerIndex();
  arr(s, 'identityProviders', 'snapshot').forEach((p, i) => {
    const at = `identityProviders[${i}]`;
    try {
      idpByOrgIssuer.add(compileIdp(p, at));
    } catch (error) {
      skip('identityProvider', at, p, error);
    }
  });
  const revoked = new Set<string>();
  arr(s, 'revokedTokens', 'snapshot').forEach((r, i) => {
    if (!isObject(r) || typeof r.jti !== 'string') throw new ConfigError(`revokedTokens[${i}].jti`, 'must be a string');
    revoked.add(r.jti);
  });

  return { raw: snapshot, version: s.version, environment, issuer, keys, router, apis, subscriptions, builtinClients, externalClients, idpByOrgIssuer, revoked, skipped, built };
}
