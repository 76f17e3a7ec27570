import type { Dispatcher } from 'undici';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import { TENANT_PLACEHOLDER } from '../shared/idp-keys/presets.js';
import type { Logger } from '../shared/logger.js';
import { planApi } from './compile-api.js';
import { arr, isObject, obj, str, strArray } from './compile-values.js';
import type { TemplateSegment } from './path.js';
import { findPolicy } from './policies/index.js';
import type { PolicyApiInfo, PolicyDeps, PolicyHandler } from './policies/types.js';
import type { SecretOpener } from './policies/validate.js';
import { Router } from './router.js';
import { SNAPSHOT_FORMAT, type GatewaySnapshot, type SnapshotIdentityProvider } from './snapshot.js';
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
