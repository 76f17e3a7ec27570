import type { Dispatcher } from 'undici';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import { TENANT_PLACEHOLDER } from '../shared/idp-keys/presets.js';
import type { Logger } from '../shared/logger.js';
import { parsePathTemplate, type TemplateSegment } from './path.js';
import { findPolicy, validatePolicyInstance } from './policies/index.js';
import type { PolicyApiInfo, PolicyDeps, PolicyHandler } from './policies/types.js';
import type { SecretOpener } from './policies/validate.js';
import { Router } from './router.js';
import { apiBasePath, HTTP_METHODS, SNAPSHOT_FORMAT, type GatewaySnapshot, type SnapshotIdentityProvider } from './snapshot.js';
import { importPlatformKeys, type PlatformKeys } from './tokens.js';
import { IdpIssuerIndex } from './idp-index.js';

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
  /** `<orgId>\n<issuer>` → IdP (exact issuers, then the organization's issuer templates). */
  idpByOrgIssuer: IdpIssuerIndex;
  revoked: Set<string>;
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

const SLUG = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$/;
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
    if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o)) throw new ConfigError(`${path}.allowOrigins[${i}]`, 'must be an origin like https://app.example.com, or *');
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

/**
 * Validates a snapshot and builds its indexes and policy handlers. Throws a
 * `ConfigError` naming the exact path on the first problem; nothing is
 * half-applied because the caller swaps only a fully compiled result.
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

  const router = new Router<RouteEntry>();
  const apis: CompiledApi[] = [];
  const bases = new Map<string, string>();
  arr(s, 'apis', 'snapshot').forEach((rawApi, i) => {
    const at = `apis[${i}]`;
    if (!isObject(rawApi)) throw new ConfigError(at, 'must be an object');
    const id = str(rawApi, 'id', at);
    const orgId = str(rawApi, 'orgId', at);
    const orgHandle = str(rawApi, 'orgHandle', at, SLUG, 'an organization handle (lowercase slug)');
    const name = str(rawApi, 'name', at);
    const contextPath = str(rawApi, 'contextPath', at, CONTEXT, 'a path like /orders (unreserved characters, no trailing slash)');
    const version = str(rawApi, 'version', at, VERSION, 'one path segment like v1');
    const audience = str(rawApi, 'audience', at);
    const backend = str(rawApi, 'backendUrl', at);
    let url: URL;
    try { url = new URL(backend); } catch { throw new ConfigError(`${at}.backendUrl`, 'must be an absolute http(s) URL'); }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
      throw new ConfigError(`${at}.backendUrl`, 'must be an absolute http(s) URL without query, fragment or credentials');
    }
    const basePath = apiBasePath({ orgHandle, contextPath, version });
    const clash = bases.get(basePath);
    if (clash) throw new ConfigError(`${at}.contextPath`, `${basePath} is already served by API ${clash}`);
    bases.set(basePath, id);
    const info: PolicyApiInfo = Object.freeze({ id, orgId, name, version });
    const api: CompiledApi = {
      id, orgId, basePath, audience, info,
      origin: url.origin,
      backendPath: url.pathname.replace(/\/+$/, ''),
      cors: compileCors(rawApi.cors, `${at}.cors`),
      limits: compileLimits(rawApi.limits, `${at}.limits`),
    };
    apis.push(api);
    const baseSegments: TemplateSegment[] = basePath.slice(1).split('/').map((value) => ({ kind: 'static', value }));
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
        const instance = { name: str(rawPol, 'name', pat), version: str(rawPol, 'version', pat), phase: rawPol.phase, config: rawPol.config };
        const config = validatePolicyInstance(instance, pat, { openSecret: deps.openSecret });
        const def = findPolicy(instance.name, instance.version)!;
        const handler = def.create(config, { environment: deps.environment, api: info, clock: deps.clock, logger: deps.logger, shared: deps.shared });
        const compiled = { key: `${instance.name}@${instance.version}`, handler };
        if (instance.phase === 'request') {
          resource.requestPolicies.push(compiled);
          if (handler.onBackendUnauthorized) resource.retryOn401 = true;
        } else resource.responsePolicies.push(compiled);
      });
      if (!router.add([...baseSegments, ...segments], method, { api, resource })) {
        throw new ConfigError(`${rat}`, `${method} ${path} is defined twice`);
      }
    });
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
    idpByOrgIssuer.add(idp, at);
  });
  const revoked = new Set<string>();
  arr(s, 'revokedTokens', 'snapshot').forEach((r, i) => {
    if (!isObject(r) || typeof r.jti !== 'string') throw new ConfigError(`revokedTokens[${i}].jti`, 'must be a string');
    revoked.add(r.jti);
  });

  return { raw: snapshot, version: s.version, environment, issuer, keys, router, apis, subscriptions, builtinClients, externalClients, idpByOrgIssuer, revoked };
}
