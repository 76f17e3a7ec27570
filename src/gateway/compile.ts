// Over 300 lines on purpose: the snapshot-wide checks and indexes are one pass, whose order matters (refuse before touching any API).
import type { Dispatcher } from 'undici';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import { TENANT_PLACEHOLDER } from '../shared/idp-keys/presets.js';
import type { Logger } from '../shared/logger.js';
import { compileAllApis, patchApis, ReorderNeeded, type ApiSet } from './compile-apis.js';
import { arr, isObject, obj, str, strArray } from './compile-values.js';
import type { TemplateSegment } from './path.js';
import type { PolicyApiInfo, PolicyDeps, PolicyHandler } from './policies/types.js';
import type { SecretOpener } from './policies/validate.js';
import type { Router } from './router.js';
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
  /** The served APIs as the next compile (with this one as `previous`) changes them; it takes them over. */
  table: ApiTable;
}

/** One API as compiled: validated, its routes planned and its policies' handlers created. */
export interface BuiltApi {
  /** Where the API sat in the snapshot it was compiled from (`apis[3]`); its routes' paths start with it. */
  at: string;
  api: CompiledApi;
  routes: { segments: TemplateSegment[]; key: string; method: string; path: string; at: string; resource: CompiledResource }[];
  /** The last compile that found this API in its snapshot (`ApiTable.generation`). */
  seen: number;
}

/**
 * The served APIs of a compiled snapshot and who holds which base path and
 * route, kept so the next compile can change them API by API. Owned by one
 * compile at a time: the next compile takes it over (`claimed`), so a compile
 * that fails half-way leaves one that nobody reuses.
 */
export interface ApiTable {
  /** Each served API's compiled form by the snapshot object it came from. */
  built: Map<unknown, BuiltApi>;
  /** Base path → id of the API serving it. */
  bases: Map<string, string>;
  /** Route key (`routeKey`) → id of the API serving it. */
  routes: Map<string, string>;
  generation: number;
  claimed: boolean;
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
   * object as then is taken as compiled then (handlers included), and the routes of
   * the APIs that changed are patched into its router, so a snapshot that changed one
   * API costs one API. The same goes for the keys, subscriptions, client maps,
   * identity providers and revocations when given as the very same objects. The
   * control plane hands unchanged parts over as the same objects; a snapshot read
   * from disk or the network compiles in full.
   */
  previous?: CompiledSnapshot;
}

/** One identity provider entry of the snapshot (optional settings passed through for the external-token verifier, which checks them). */
function compileIdp(p: unknown, at: string): SnapshotIdentityProvider {
  if (!isObject(p)) throw new ConfigError(at, 'must be an object');
  const idp: SnapshotIdentityProvider = {
    id: str(p, 'id', at),
    orgId: str(p, 'orgId', at),
    name: str(p, 'name', at),
    issuer: str(p, 'issuer', at),
    jwksUri: str(p, 'jwksUri', at),
    audiences: strArray(p, 'audiences', at),
    clientIdClaim: str(p, 'clientIdClaim', at),
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

/** Application id → the APIs it is subscribed to. */
function compileSubscriptions(subs: Record<string, unknown>): Map<string, Set<string>> {
  const subscriptions = new Map<string, Set<string>>();
  for (const [appId, apiIds] of Object.entries(subs)) {
    if (!Array.isArray(apiIds) || apiIds.some((x) => typeof x !== 'string')) throw new ConfigError(`subscriptions.${appId}`, 'must be an array of API ids');
    subscriptions.set(appId, new Set(apiIds));
  }
  return subscriptions;
}

function compileBuiltinClients(builtinRaw: Record<string, unknown>): Map<string, string> {
  const builtinClients = new Map<string, string>();
  for (const [clientId, appId] of Object.entries(builtinRaw)) {
    if (typeof appId !== 'string') throw new ConfigError(`clients.builtin.${clientId}`, 'must be an application id');
    builtinClients.set(clientId, appId);
  }
  return builtinClients;
}

function compileExternalClients(external: unknown[]): Map<string, string> {
  const externalClients = new Map<string, string>();
  external.forEach((c, i) => {
    const at = `clients.external[${i}]`;
    if (!isObject(c)) throw new ConfigError(at, 'must be an object');
    externalClients.set(`${str(c, 'idpId', at)}\n${str(c, 'externalClientId', at)}`, str(c, 'appId', at));
  });
  return externalClients;
}

function compileRevoked(revokedTokens: unknown[]): Set<string> {
  const revoked = new Set<string>();
  revokedTokens.forEach((r, i) => {
    if (!isObject(r) || typeof r.jti !== 'string') throw new ConfigError(`revokedTokens[${i}].jti`, 'must be a string');
    revoked.add(r.jti);
  });
  return revoked;
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
 *
 * With `deps.previous`, what is given as the very same objects as then is
 * taken as compiled then, and only the rest is compiled (see `CompileDeps`);
 * the outcome is the same as compiling in full.
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
  const previous = deps.previous;
  const before = previous?.raw as Record<string, any> | undefined;
  /** The previous compile's index when this part is the very same object as then. */
  const same = <T>(part: unknown, prior: unknown, index: T | undefined): T | undefined => (before && part === prior ? index : undefined);

  const rawKeys = arr(s, 'keys', 'snapshot') as GatewaySnapshot['keys'];
  const keys = same(rawKeys, before?.keys, previous?.issuer === issuer ? previous.keys : undefined) ?? importPlatformKeys(issuer, rawKeys);
  // What refuses the whole snapshot is checked before any API is compiled, so a refused snapshot leaves the previous one's APIs as they were.
  const subs = obj(s, 'subscriptions', 'snapshot');
  const subscriptions = same(subs, before?.subscriptions, previous?.subscriptions) ?? compileSubscriptions(subs);
  const clients = obj(s, 'clients', 'snapshot');
  const builtinRaw = obj(clients, 'builtin', 'clients');
  const builtinClients = same(builtinRaw, before?.clients?.builtin, previous?.builtinClients) ?? compileBuiltinClients(builtinRaw);
  const externalRaw = arr(clients, 'external', 'clients');
  const externalClients = same(externalRaw, before?.clients?.external, previous?.externalClients) ?? compileExternalClients(externalRaw);
  const revokedRaw = arr(s, 'revokedTokens', 'snapshot');
  const revoked = same(revokedRaw, before?.revokedTokens, previous?.revoked) ?? compileRevoked(revokedRaw);
  const rawIdps = arr(s, 'identityProviders', 'snapshot');

  const skipped: SkippedEntry[] = [];
  const skip = (kind: SkippedEntry['kind'], at: string, raw: unknown, thrown: unknown, conflictsWith?: string) => {
    let error = thrown;
    if (!(error instanceof ConfigError)) error = new ConfigError(at, `cannot be compiled: ${(error as Error)?.message ?? String(error)}`);
    const { path, message } = error as ConfigError;
    const id = isObject(raw) && typeof raw.id === 'string' ? raw.id : undefined;
    skipped.push({ kind, at, id, reason: message, ...(conflictsWith !== undefined && { conflictsWith }) });
    deps.logger.error(
      { env: environment, path, [kind === 'api' ? 'apiId' : 'idpId']: id, reason: message },
      kind === 'api' ? 'API left out of the gateway snapshot' : 'identity provider left out of the gateway snapshot',
    );
  };

  const list = arr(s, 'apis', 'snapshot');
  let served: ApiSet | undefined;
  if (previous && !previous.table.claimed) {
    try {
      served = patchApis(list, deps, previous);
    } catch (error) {
      if (!(error instanceof ReorderNeeded)) throw error;
    }
  }
  served ??= compileAllApis(list, deps, previous?.table.built);
  for (const p of served.problems) skip('api', p.at, p.raw, p.error, p.conflictsWith);

  let idpByOrgIssuer = previous && !previous.skipped.some((e) => e.kind === 'identityProvider') ? same(rawIdps, before?.identityProviders, previous.idpByOrgIssuer) : undefined;
  if (!idpByOrgIssuer) {
    const index = (idpByOrgIssuer = new IdpIssuerIndex());
    rawIdps.forEach((p, i) => {
      const at = `identityProviders[${i}]`;
      try {
        index.add(compileIdp(p, at));
      } catch (error) {
        skip('identityProvider', at, p, error);
      }
    });
  }

  return {
    raw: snapshot,
    version: s.version,
    environment,
    issuer,
    keys,
    router: served.router,
    apis: served.apis,
    subscriptions,
    builtinClients,
    externalClients,
    idpByOrgIssuer,
    revoked,
    skipped,
    table: served.table,
  };
}
