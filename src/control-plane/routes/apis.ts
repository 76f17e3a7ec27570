import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { parseDocument } from 'yaml';
import { apiBasePath } from '../../gateway/snapshot.js';
import { ApiError, conflict, invalid, notFound, unprocessable } from '../../shared/errors.js';
import { isUniqueViolation, type Store } from '../../store/index.js';
import {
  basePathOf, canonicalJson, HTTP_METHODS, MAX_API_DOCUMENT_CHARS, resourceKey, type Api, type ApiDocument, type ApiDocumentMediaType, type ApiInput, type ApiLimits, type ApiResource, type CorsConfig, type HttpMethod, type Lifecycle, type PolicyAttachment, type Visibility,
} from '../../store/repos/apis.js';
import type { Environment, Organization } from '../../store/repos/organizations.js';
import type { Component, Project } from '../../store/repos/projects.js';
import { newId } from '../../shared/crypto.js';
import { safeFetch, SafeFetchError, type SafeFetchErrorCode } from '../../shared/safe-fetch.js';
import { apiOpenApiDocument } from '../api-document.js';
import { actorOf, orgAccess, type ControlPlaneDeps, type OrgAccess } from '../context.js';
import { Body } from '../schemas.js';
import { holdsReference, malformedReferences } from '../snapshot/params.js';
import { BACKEND_URL_RULE, isBackendUrl, isHttpUrlValue } from '../snapshot/url.js';
import { checkPolicyConfig, defaultPhase, parsePolicyRef } from '../snapshot/policies.js';
import { projectAccess } from './projects.js';

// ---------------------------------------------------------------------------
// Schemas

const CONTEXT_PATH = '^(/[A-Za-z0-9][A-Za-z0-9._~-]*)+$';
const VERSION = '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$';
const SCOPE = '^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,200}$';

export const ApiParams = Type.Object({ org: Type.String(), project: Type.String(), component: Type.String() });

const Method = Type.Enum([...HTTP_METHODS]);
const SecurityInput = Type.Object({
  oauth2: Type.Optional(Type.Boolean({ default: true })),
  scopes: Type.Optional(Type.Array(Type.String({ pattern: SCOPE }), { maxItems: 50, default: [] })),
}, { additionalProperties: false });
const ResourceInput = Type.Object({
  method: Method,
  path: Type.String({ minLength: 1, maxLength: 500 }),
  security: Type.Optional(SecurityInput),
  summary: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });
const CorsInput = Type.Object({
  allowOrigins: Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { minItems: 1, maxItems: 100 }),
  allowMethods: Type.Optional(Type.Array(Method, { maxItems: 10 })),
  allowHeaders: Type.Optional(Type.Array(Type.String({ pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$' }), { maxItems: 100 })),
  exposeHeaders: Type.Optional(Type.Array(Type.String({ pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$' }), { maxItems: 100 })),
  allowCredentials: Type.Optional(Type.Boolean()),
  maxAge: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400 })),
}, { additionalProperties: false });
/** Per-API overrides of the gateway's limits; bounds keep a typo from disabling a limit or starving every request. */
export const LIMIT_BOUNDS = {
  maxBodyBytes: { minimum: 1, maximum: 1024 * 1024 * 1024, description: 'request bodies above this are refused with 413 (gateway default 10 MiB; at most 1 GiB)' },
  connectTimeoutMs: { minimum: 100, maximum: 60_000, description: 'time to connect to the backend, ms (default 5000)' },
  headersTimeoutMs: { minimum: 100, maximum: 600_000, description: 'time for the backend to send its response headers, ms (default 30000)' },
  bodyTimeoutMs: { minimum: 100, maximum: 600_000, description: 'longest pause between two chunks of the backend\'s body, ms (default 30000)' },
} as const;
const LimitsInput = Type.Object({
  maxBodyBytes: Type.Optional(Type.Integer(LIMIT_BOUNDS.maxBodyBytes)),
  connectTimeoutMs: Type.Optional(Type.Integer(LIMIT_BOUNDS.connectTimeoutMs)),
  headersTimeoutMs: Type.Optional(Type.Integer(LIMIT_BOUNDS.headersTimeoutMs)),
  bodyTimeoutMs: Type.Optional(Type.Integer(LIMIT_BOUNDS.bodyTimeoutMs)),
}, { additionalProperties: false });
const PolicyInput = Type.Object({
  policy: Type.String({ minLength: 3, maxLength: 100, description: '`name@version`, e.g. `set-headers@1.0.0`' }),
  resources: Type.Optional(Type.Union([Type.Literal('all'), Type.Array(Type.String({ maxLength: 520 }), { minItems: 1, maxItems: 200 })], { description: '`all` (default) or keys like `GET /items/{id}`' })),
  phase: Type.Optional(Type.Union([Type.Literal('request'), Type.Literal('response')], { description: 'default: the first phase the policy supports' })),
  config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
}, { additionalProperties: false });

const DefinitionProps = {
  contextPath: Type.String({ pattern: CONTEXT_PATH, maxLength: 200, description: 'e.g. `/orders`' }),
  version: Type.String({ pattern: VERSION, description: 'one path segment, e.g. `v1`' }),
  visibility: Type.Optional(Type.Enum(['public', 'private'])),
  resources: Type.Optional(Type.Array(ResourceInput, { maxItems: 500 })),
  backendUrls: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 2000 }), { description: 'environment name → absolute http(s) URL (may use `${param}`)' })),
  cors: Type.Optional(Type.Union([CorsInput, Type.Null()])),
  policies: Type.Optional(Type.Array(PolicyInput, { maxItems: 100 })),
  limits: Type.Optional(Type.Union([LimitsInput, Type.Null()], { description: 'overrides of the gateway\'s limits for this API; null: the defaults' })),
};
const DefineBody = Body(DefinitionProps);
const PatchBody = Type.Object({
  contextPath: Type.Optional(DefinitionProps.contextPath), version: Type.Optional(DefinitionProps.version), visibility: DefinitionProps.visibility,
  resources: DefinitionProps.resources, backendUrls: DefinitionProps.backendUrls, cors: DefinitionProps.cors, policies: DefinitionProps.policies,
  limits: DefinitionProps.limits,
}, { additionalProperties: false, minProperties: 1 });

const ResourceView = Type.Object({
  method: Type.String(), path: Type.String(), summary: Type.Optional(Type.String()),
  security: Type.Object({ oauth2: Type.Boolean(), scopes: Type.Array(Type.String()) }),
});
const PolicyView = Type.Object({
  id: Type.String(), policy: Type.String(), resources: Type.Union([Type.Literal('all'), Type.Array(Type.String())]), phase: Type.String(), config: Type.Record(Type.String(), Type.Unknown()),
});
const CorsView = Type.Object({
  allowOrigins: Type.Array(Type.String()), allowMethods: Type.Array(Type.String()), allowHeaders: Type.Array(Type.String()),
  exposeHeaders: Type.Array(Type.String()), allowCredentials: Type.Boolean(), maxAge: Type.Integer(),
});
export const ApiView = Type.Object({
  id: Type.String(), project: Type.String(), component: Type.String(), displayName: Type.String(),
  contextPath: Type.String(), version: Type.String(), visibility: Type.String(), lifecycle: Type.String(),
  resources: Type.Array(ResourceView), policies: Type.Array(PolicyView), cors: Type.Union([CorsView, Type.Null()]),
  limits: Type.Union([Type.Object({
    maxBodyBytes: Type.Optional(Type.Integer()), connectTimeoutMs: Type.Optional(Type.Integer()), headersTimeoutMs: Type.Optional(Type.Integer()), bodyTimeoutMs: Type.Optional(Type.Integer()),
  }), Type.Null()]),
  backendUrls: Type.Record(Type.String(), Type.String()),
  endpoints: Type.Array(Type.Object({ environment: Type.String(), url: Type.String(), deployedRevision: Type.Union([Type.Integer(), Type.Null()]) }), { description: 'URL each environment\'s gateway serves this API at' }),
  document: Type.Object({
    source: Type.Union([Type.Literal('imported'), Type.Literal('generated')], { description: '`imported`: GET …/api/openapi answers the document as imported; `generated`: one made from the definition' }),
    mediaType: Type.String({ description: 'of the imported document: application/json or application/yaml' }),
    sourceUrl: Type.Union([Type.String(), Type.Null()], { description: 'the URL it was imported from' }),
    importedAt: Type.Union([Type.String(), Type.Null()]),
  }, { description: 'the OpenAPI document GET …/api/openapi serves' }),
  createdAt: Type.String(), updatedAt: Type.String(),
});

type DefineInput = Static<typeof DefineBody>;

// ---------------------------------------------------------------------------
// Lookups and views

export interface ApiAccess extends OrgAccess { project: Project; component: Component }

/** Resolves `:org/projects/:project/components/:component` to an api-proxy component of an organization the caller belongs to. */
export async function apiComponentAccess(store: Store, request: FastifyRequest, params: Static<typeof ApiParams>): Promise<ApiAccess> {
  const access = await projectAccess(store, request, params.org, params.project);
  const component = await store.projects.component(access.org.id, access.project.id, params.component);
  if (!component) throw notFound('Component');
  if (component.type !== 'api-proxy') throw unprocessable(`Component "${component.name}" is an ${component.type}; only api-proxy components define APIs`, { component: 'is not an api-proxy' });
  return { ...access, component };
}

/** The API of an api-proxy component, or 404 when it has not been defined yet. */
export async function loadApi(store: Store, access: ApiAccess): Promise<Api> {
  const api = await store.apis.get(access.org.id, access.component.id);
  if (!api) throw notFound(`API of component "${access.component.name}" (define it first with PUT …/api)`);
  return api;
}

/** The URL an environment's gateway serves an API at. */
export const endpointUrl = (env: Pick<Environment, 'gatewayUrl'>, org: Pick<Organization, 'handle'>, api: Pick<Api, 'contextPath' | 'version'>): string =>
  env.gatewayUrl.replace(/\/+$/, '') + apiBasePath({ orgHandle: org.handle, contextPath: api.contextPath, version: api.version });

export async function apiView(store: Store, org: Organization, project: Project, component: Component, api: Api) {
  const [environments, active, document] = await Promise.all([store.orgs.environments(org.id), store.deployments.activeForApi(org.id, api.id), store.apis.document(org.id, api.id)]);
  return {
    id: api.id, project: project.name, component: component.name, displayName: component.displayName,
    contextPath: api.contextPath, version: api.version, visibility: api.visibility, lifecycle: api.lifecycle,
    resources: api.resources, policies: api.policies, cors: api.cors, limits: api.limits, backendUrls: api.backendUrls,
    endpoints: environments.map((e) => ({ environment: e.name, url: endpointUrl(e, org, api), deployedRevision: active.find((d) => d.environmentId === e.id)?.revisionNumber ?? null })),
    document: document
      ? { source: 'imported' as const, mediaType: document.mediaType, sourceUrl: document.sourceUrl, importedAt: document.importedAt }
      : { source: 'generated' as const, mediaType: 'application/json', sourceUrl: null, importedAt: null },
    createdAt: api.createdAt, updatedAt: api.updatedAt,
  };
}

// ---------------------------------------------------------------------------
// Validation: every check names the exact field.

/** `/items/{id}` → `/items/{}`: two templates that route the same are the same resource. */
const routeShape = (path: string) => path.replace(/\{[^}]*\}/g, '{}');

/** A literal, or a whole `{parameter}` named like the gateway's template parser accepts (`{id}`, `{pet-id}`, `{pet.id}`). */
const PATH_SEGMENT = /^(?:[A-Za-z0-9._~!$&'()*+,;=:@-]+|\{[A-Za-z_][A-Za-z0-9_.-]*\})$/;

/** Why a resource path template is not acceptable, or undefined when it is. */
export function pathTemplateProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must start with /';
  if (path === '/') return undefined;
  if (path.endsWith('/')) return 'must not end with /';
  const segments = path.slice(1).split('/');
  const names = new Set<string>();
  for (const segment of segments) {
    if (segment === '') return 'must not contain empty segments (//)';
    if (segment === '.' || segment === '..') return 'must not contain . or .. segments';
    if (!PATH_SEGMENT.test(segment)) return `segment "${segment}" is neither a literal nor a {parameter}`;
    if (segment.startsWith('{')) {
      if (names.has(segment)) return `parameter ${segment} appears twice`;
      names.add(segment);
    }
  }
  return undefined;
}

function normalizeResources(input: Static<typeof ResourceInput>[], at: string): ApiResource[] {
  const fields: Record<string, string> = {};
  const seen = new Map<string, number>();
  const resources = input.map((r, i): ApiResource => {
    const problem = pathTemplateProblem(r.path);
    if (problem) fields[`${at}[${i}].path`] = problem;
    const shape = `${r.method} ${routeShape(r.path)}`;
    const first = seen.get(shape);
    if (first !== undefined) fields[`${at}[${i}]`] = `duplicates ${at}[${first}] (${r.method} ${input[first]?.path})`;
    else seen.set(shape, i);
    return { method: r.method as HttpMethod, path: r.path, security: { oauth2: r.security?.oauth2 ?? true, scopes: [...new Set(r.security?.scopes ?? [])] }, ...(r.summary !== undefined && { summary: r.summary }) };
  });
  if (Object.keys(fields).length) throw invalid(`Invalid resources: ${describe(fields)}`, fields);
  return resources;
}

const describe = (fields: Record<string, string>) => Object.entries(fields).map(([k, v]) => `${k} ${v}`).join('; ');

function normalizeBackendUrls(input: Record<string, string>, environments: Environment[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [env, url] of Object.entries(input)) {
    const key = `backendUrls.${env}`;
    if (!environments.some((e) => e.name === env)) fields[key] = `is not an environment of this organization (${environments.map((e) => e.name).join(', ')})`;
    else if (malformedReferences(url).length) fields[key] = 'has a malformed ${parameter} reference';
    else if (holdsReference(url) ? /[?#\s]/.test(url.replace(/\$\{[^}]*\}/g, '')) : !isBackendUrl(url.replace(/\/+$/, ''))) fields[key] = BACKEND_URL_RULE;
  }
  if (Object.keys(fields).length) throw invalid(`Invalid backend URLs: ${describe(fields)}`, fields);
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v.replace(/\/+$/, '')]));
}

function normalizeCors(input: Static<typeof CorsInput> | null | undefined): CorsConfig | null {
  if (!input) return null;
  const fields: Record<string, string> = {};
  input.allowOrigins.forEach((o, i) => {
    if (o !== '*' && !(isHttpUrlValue(o) && new URL(o).origin === o)) fields[`cors.allowOrigins[${i}]`] = 'must be * or an origin like https://app.example.com';
  });
  if (input.allowCredentials && input.allowOrigins.includes('*')) fields['cors.allowCredentials'] = 'cannot be true when allowOrigins contains *';
  if (Object.keys(fields).length) throw invalid(`Invalid CORS settings: ${describe(fields)}`, fields);
  return {
    allowOrigins: input.allowOrigins, allowMethods: input.allowMethods ?? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: input.allowHeaders ?? ['Authorization', 'Content-Type'], exposeHeaders: input.exposeHeaders ?? [],
    allowCredentials: input.allowCredentials ?? false, maxAge: input.maxAge ?? 600,
  };
}

/** Only the limits given; none (or `{}`) is null: the gateway's defaults. */
function normalizeLimits(input: Static<typeof LimitsInput> | null | undefined): ApiLimits | null {
  if (!input) return null;
  const out: ApiLimits = {};
  for (const key of ['maxBodyBytes', 'connectTimeoutMs', 'headersTimeoutMs', 'bodyTimeoutMs'] as const) {
    if (input[key] !== undefined) out[key] = input[key];
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * Policy attachments: the policy must be registered, the resources it names
 * must exist, and its config must pass the policy's schema. Values that hold
 * `${param}` are checked once resolved, at deploy.
 */
export function normalizePolicies(input: Static<typeof PolicyInput>[] | PolicyAttachment[], resources: ApiResource[], previous: PolicyAttachment[] = []): PolicyAttachment[] {
  const fields: Record<string, string> = {};
  const keys = new Set(resources.map(resourceKey));
  const attachments = input.map((p, i): PolicyAttachment => {
    const at = `policies[${i}]`;
    const ref = parsePolicyRef(p.policy);
    if (typeof ref === 'string') fields[`${at}.policy`] = ref;
    const selection = p.resources ?? 'all';
    if (selection !== 'all') {
      selection.forEach((key, j) => {
        if (!keys.has(key)) fields[`${at}.resources[${j}]`] = `no resource "${key}" in this API`;
      });
    }
    const config = p.config ?? {};
    for (const path of malformedReferences(config)) fields[`${at}.config${path.startsWith('[') ? '' : '.'}${path}`] = 'has a malformed ${parameter} reference';
    const phase = p.phase ?? (typeof ref === 'string' ? 'request' : defaultPhase(ref));
    if (typeof ref !== 'string') Object.assign(fields, checkPolicyConfig(ref, config, { at: `${at}.config`, phase, unresolved: true }));
    const id = 'id' in p && typeof p.id === 'string' ? p.id : previous[i]?.policy === p.policy ? previous[i]!.id : newId();
    return { id, policy: p.policy, resources: selection === 'all' ? 'all' : [...new Set(selection)], phase, config };
  });
  if (Object.keys(fields).length) throw invalid(`Invalid policies: ${describe(fields)}`, fields);
  return attachments;
}

interface Definition { contextPath: string; version: string; visibility?: Visibility; resources?: ApiResource[]; backendUrls?: Record<string, string>; cors?: CorsConfig | null; policies?: PolicyAttachment[] }

/** Checks a full definition and returns the row to store. */
async function buildApi(store: Store, access: ApiAccess, current: Api | undefined, body: Partial<DefineInput>): Promise<ApiInput> {
  const environments = await store.orgs.environments(access.org.id);
  const contextPath = body.contextPath ?? current?.contextPath;
  const version = body.version ?? current?.version;
  if (!contextPath || !version) throw invalid('contextPath and version are required to define an API', { ...(!contextPath && { contextPath: 'is required' }), ...(!version && { version: 'is required' }) });
  if (contextPath.length > 1 && /^\/_/.test(contextPath)) throw invalid('The context path must not start with "/_"', { contextPath: 'must not start with /_' });
  const resources = body.resources ? normalizeResources(body.resources, 'resources') : current?.resources ?? [];
  const def: Definition = {
    contextPath, version,
    visibility: body.visibility ?? current?.visibility ?? 'public',
    resources,
    backendUrls: body.backendUrls ? normalizeBackendUrls(body.backendUrls, environments) : current?.backendUrls ?? {},
    cors: body.cors !== undefined ? normalizeCors(body.cors) : current?.cors ?? null,
    policies: normalizePolicies(body.policies ?? current?.policies ?? [], resources, current?.policies),
  };
  const other = await store.apis.overlapping(access.org.id, contextPath, version, access.component.id);
  if (other) {
    if (other.contextPath === contextPath && other.version === version) {
      throw conflict(`Another API of this organization already serves ${contextPath} version ${version}`, { contextPath: 'is taken for this version' });
    }
    const component = await store.projects.componentById(access.org.id, other.id);
    throw conflict(
      `${basePathOf({ contextPath, version })} overlaps ${basePathOf(other)} (API ${component?.name ?? other.id}): one API's context path and version may not lie inside another's`,
      { contextPath: `overlaps ${basePathOf(other)}` },
    );
  }
  return {
    id: access.component.id, orgId: access.org.id, contextPath, version, visibility: def.visibility!, lifecycle: current?.lifecycle ?? 'created',
    resources, policies: def.policies!, cors: def.cors!, backendUrls: def.backendUrls!,
    limits: body.limits !== undefined ? normalizeLimits(body.limits) : current?.limits ?? null,
  };
}

/**
 * Saves the API. `document`: the OpenAPI document it was imported from, kept
 * to be served; without one, a change of the resources forgets the document
 * kept before (it no longer describes the API, which then gets a generated one).
 */
async function saveApi(deps: ControlPlaneDeps, access: ApiAccess, current: Api | undefined, next: ApiInput, action: string, document?: Omit<ApiDocument, 'importedAt'>): Promise<Api> {
  try {
    return await deps.store.transaction(async (tx) => {
      if (current) await tx.apis.save(next);
      else await tx.apis.create(next);
      if (document) await tx.apis.saveDocument(document);
      else if (current && canonicalJson(current.resources) !== canonicalJson(next.resources)) await tx.apis.deleteDocument(access.org.id, next.id);
      await tx.audit.record({
        orgId: access.org.id, ...actorOf(access.user), action, targetType: 'api', targetId: next.id,
        details: { component: access.component.name, contextPath: next.contextPath, version: next.version, resources: next.resources.length, policies: next.policies.map((p) => p.policy) },
      });
      return (await tx.apis.get(access.org.id, next.id))!;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`Another API of this organization already serves ${next.contextPath} version ${next.version}`, { contextPath: 'is taken for this version' });
    throw error;
  }
}

// ---------------------------------------------------------------------------
// OpenAPI 3 import

const OPENAPI_METHODS: Record<string, HttpMethod> = { get: 'GET', put: 'PUT', post: 'POST', delete: 'DELETE', options: 'OPTIONS', head: 'HEAD', patch: 'PATCH' };
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Parses an OpenAPI 3 document (JSON or YAML text, or an object) into resources; a broken document is a 422 naming where. */
export function resourcesFromOpenApi(document: unknown): { resources: ApiResource[]; title?: string } {
  let doc: unknown = document;
  if (typeof document === 'string') {
    const parsed = parseDocument(document, { prettyErrors: true, uniqueKeys: true });
    const first = parsed.errors[0];
    if (first) {
      const pos = first.linePos?.[0];
      const where = pos ? `line ${pos.line}, column ${pos.col}` : 'document';
      throw unprocessable(`The document is not valid JSON or YAML (${where}): ${first.message.split('\n')[0]}`, { document: `${where}: ${first.message.split(' at line')[0]}` });
    }
    doc = parsed.toJS({ maxAliasCount: 100 });
  }
  const broken = (path: string, message: string) => unprocessable(`The OpenAPI document is invalid at ${path}: ${message}`, { [path]: message });
  if (!isObject(doc)) throw broken('(root)', 'must be an object');
  if (typeof doc.openapi !== 'string' || !/^3\.\d+(\.\d+)?/.test(doc.openapi)) throw broken('openapi', `must be an OpenAPI 3.x version string${doc.swagger ? ' (Swagger 2 documents are not supported)' : ''}`);
  if (!isObject(doc.paths)) throw broken('paths', 'must be an object');
  const rootSecurity = doc.security;
  const resources: ApiResource[] = [];
  /** Route shape (`GET /pets/{}`) → where it was first defined: `/pets/{id}` and `/pets/{petId}` route the same. */
  const seen = new Map<string, string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    const at = `paths.${path}`;
    const problem = pathTemplateProblem(path);
    if (problem) throw broken(at, problem);
    if (!isObject(item)) throw broken(at, 'must be an object');
    for (const [key, op] of Object.entries(item)) {
      const method = OPENAPI_METHODS[key];
      if (!method) continue;
      if (!isObject(op)) throw broken(`${at}.${key}`, 'must be an object');
      const shape = `${method} ${routeShape(path)}`;
      const first = seen.get(shape);
      if (first !== undefined) throw broken(`${at}.${key}`, `duplicates ${first} (the same method on the same route)`);
      seen.set(shape, `${at}.${key}`);
      const security = securityOf(op.security ?? rootSecurity, op.security !== undefined ? `${at}.${key}.security` : 'security', broken);
      const summary = typeof op.summary === 'string' ? op.summary.slice(0, 500) : typeof op.operationId === 'string' ? op.operationId.slice(0, 500) : undefined;
      resources.push({ method, path, security, ...(summary !== undefined && { summary }) });
    }
  }
  if (resources.length === 0) throw broken('paths', 'has no operations');
  normalizeResources(resources, 'resources');
  const info = isObject(doc.info) ? doc.info : {};
  return { resources, ...(typeof info.title === 'string' && { title: info.title }) };
}

/**
 * OpenAPI security: a list of alternatives. Anonymous access only when it is
 * explicit: `security: []` (on the operation, or on the document for
 * operations without their own) or an empty alternative (`{}`). Otherwise,
 * including a document that says nothing about security, OAuth2 is required
 * (like a hand-defined resource), with the scopes of the first alternative.
 */
function securityOf(value: unknown, at: string, broken: (path: string, message: string) => ApiError): ApiResource['security'] {
  if (value === undefined) return { oauth2: true, scopes: [] };
  if (!Array.isArray(value)) throw broken(at, 'must be an array of security requirements');
  if (value.length === 0) return { oauth2: false, scopes: [] };
  value.forEach((req, i) => {
    if (!isObject(req)) throw broken(`${at}[${i}]`, 'must be an object');
    for (const [scheme, scopes] of Object.entries(req)) {
      if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string' || !new RegExp(SCOPE).test(s))) throw broken(`${at}[${i}].${scheme}`, 'must be an array of scope names');
    }
  });
  if (value.some((req) => Object.keys(req as object).length === 0)) return { oauth2: false, scopes: [] };
  const scopes = Object.values(value[0] as Record<string, string[]>).flat();
  return { oauth2: true, scopes: [...new Set(scopes)] };
}

// ---------------------------------------------------------------------------
// Documents: as given, or fetched from a URL

/** Fetch refusals that are the caller's input (the URL), not the remote's answer. */
const URL_REFUSALS: readonly SafeFetchErrorCode[] = ['invalid_url', 'scheme_not_allowed', 'credentials_in_url', 'address_not_allowed'];

/** The text to keep for a document given in the body: text as given (JSON when it parses as JSON, else YAML), an object as indented JSON. */
function documentText(document: string | Record<string, unknown>): { content: string; mediaType: ApiDocumentMediaType } {
  if (typeof document !== 'string') {
    const content = JSON.stringify(document, null, 2);
    if (content.length > MAX_API_DOCUMENT_CHARS) throw new ApiError('payload_too_large', `The document is larger than ${MAX_API_DOCUMENT_CHARS} characters as JSON`, { document: 'is too large' });
    return { content, mediaType: 'application/json' };
  }
  try {
    JSON.parse(document);
    return { content: document, mediaType: 'application/json' };
  } catch {
    return { content: document, mediaType: 'application/yaml' };
  }
}

/**
 * Fetches a document by URL with the platform's safe fetch, under the rules
 * of identity provider URLs (https, public addresses; loopback http too when
 * private IdP URLs are allowed). A URL that may not be fetched is a 422, a
 * remote that does not answer (or not with 200) a 502, both naming `url`.
 */
async function fetchDocument(deps: ControlPlaneDeps, url: string): Promise<{ content: string; mediaType: ApiDocumentMediaType }> {
  try {
    const res = await safeFetch(url, {
      allowPrivate: deps.config.allowPrivateIdpUrls, maxBytes: MAX_API_DOCUMENT_CHARS, timeoutMs: 10_000,
      headers: { accept: 'application/vnd.oai.openapi+json, application/json, application/yaml, text/yaml, */*;q=0.5' },
    });
    if (res.status !== 200) throw new SafeFetchError('http_status', `${new URL(res.url).origin} answered HTTP ${res.status}`, res.url);
    const text = res.body.toString('utf8').replace(/^\uFEFF/, '');
    if (text.trim() === '') throw unprocessable(`The document at ${url} is empty`, { url: 'answered an empty document' });
    return documentText(text);
  } catch (error) {
    if (!(error instanceof SafeFetchError)) throw error;
    const code = URL_REFUSALS.includes(error.code) || error.code === 'body_too_large' ? 'unprocessable' : 'bad_gateway';
    throw new ApiError(code, `Fetching the OpenAPI document failed [${error.code}]: ${error.message}`, { url: error.message });
  }
}

/** Runs a policy-list check, naming the fields of the attachment at `index` as sent (`config.x`), not by its place in the list. */
function attachmentErrorsAsSent<T>(index: number, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ApiError && error.fields) {
      const prefix = `policies[${index}].`;
      const fields = Object.fromEntries(Object.entries(error.fields).map(([k, v]) => [k.startsWith(prefix) ? k.slice(prefix.length) : k, v]));
      throw new ApiError(error.code, `Invalid policy attachment: ${describe(fields)}`, fields);
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Lifecycle

const TRANSITIONS: Record<Lifecycle, Lifecycle[]> = { created: ['published'], published: ['deprecated'], deprecated: ['published'] };

// ---------------------------------------------------------------------------
// Routes

export const apiDefinitionRoutes = (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { store } = deps;
  const base = '/orgs/:org/projects/:project/components/:component/api';

  app.get('/orgs/:org/apis', {
    schema: {
      tags: ['apis'], summary: 'APIs of the organization',
      params: Type.Object({ org: Type.String() }),
      querystring: Type.Object({ lifecycle: Type.Optional(Type.Enum(['created', 'published', 'deprecated'])) }, { additionalProperties: false }),
      response: { 200: Type.Array(ApiView) },
    },
  }, async (request) => {
    const access = await orgAccess(store, request, request.params.org);
    const apis = await store.apis.list(access.org.id, { lifecycle: request.query.lifecycle as Lifecycle | undefined });
    const projects = new Map((await store.projects.list(access.org.id)).map((p) => [p.id, p]));
    const views = [];
    for (const api of apis) {
      const component = await store.projects.componentById(access.org.id, api.id);
      const project = component && projects.get(component.projectId);
      if (component && project) views.push(await apiView(store, access.org, project, component, api));
    }
    return views;
  });

  app.get(base, { schema: { tags: ['apis'], summary: 'The API an api-proxy component defines', params: ApiParams, response: { 200: ApiView } } }, async (request) => {
    const access = await apiComponentAccess(store, request, request.params);
    return apiView(store, access.org, access.project, access.component, await loadApi(store, access));
  });

  app.put(base, {
    schema: {
      tags: ['apis'], summary: 'Define or replace the API of an api-proxy component (lifecycle is kept)',
      params: ApiParams, body: DefineBody, response: { 200: ApiView, 201: ApiView },
    },
  }, async (request, reply) => {
    const access = await apiComponentAccess(store, request, request.params);
    const current = await store.apis.get(access.org.id, access.component.id);
    const body = { resources: [], backendUrls: {}, cors: null, policies: [], limits: null, visibility: 'public' as const, ...request.body };
    const next = await buildApi(store, access, current, body);
    const api = await saveApi(deps, access, current, next, current ? 'api.updated' : 'api.defined');
    return reply.code(current ? 200 : 201).send(await apiView(store, access.org, access.project, access.component, api));
  });

  app.patch(base, {
    schema: { tags: ['apis'], summary: 'Change parts of an API definition', params: ApiParams, body: PatchBody, response: { 200: ApiView } },
  }, async (request) => {
    const access = await apiComponentAccess(store, request, request.params);
    const current = await loadApi(store, access);
    const next = await buildApi(store, access, current, request.body);
    const api = await saveApi(deps, access, current, next, 'api.updated');
    return apiView(store, access.org, access.project, access.component, api);
  });

  app.post(`${base}/import`, {
    schema: {
      tags: ['apis'],
      summary: 'Replace the resources with those of an OpenAPI 3 document (JSON or YAML), given in the body or fetched from a URL; the document is kept and served by GET …/api/openapi',
      params: ApiParams,
      body: Body({
        document: Type.Optional(Type.Union([Type.String({ maxLength: 900_000 }), Type.Record(Type.String(), Type.Unknown())], { description: 'the document as JSON/YAML text, or as a JSON object' })),
        url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'instead of `document`: fetch it from this URL (by the server: https, public addresses only, like identity provider URLs; at most 1 MiB, 10 s)' })),
        contextPath: Type.Optional(DefinitionProps.contextPath),
        version: Type.Optional(DefinitionProps.version),
      }),
      response: { 200: ApiView, 201: ApiView },
    },
  }, async (request, reply) => {
    const access = await apiComponentAccess(store, request, request.params);
    const { document, url } = request.body;
    if ((document === undefined) === (url === undefined)) {
      throw invalid('Give the OpenAPI document, or the url to fetch it from (one of them)', document === undefined ? { document: 'is required without url' } : { url: 'must not be given with document' });
    }
    const text = url !== undefined ? await fetchDocument(deps, url) : documentText(document!);
    const current = await store.apis.get(access.org.id, access.component.id);
    const { resources } = resourcesFromOpenApi(typeof document === 'object' ? document : text.content);
    const next = await buildApi(store, access, current, {
      ...(request.body.contextPath && { contextPath: request.body.contextPath }),
      ...(request.body.version && { version: request.body.version }),
      resources: resources.map((r) => ({ ...r })),
    });
    const api = await saveApi(deps, access, current, next, 'api.imported', {
      apiId: next.id, orgId: access.org.id, mediaType: text.mediaType, content: text.content, sourceUrl: url ?? null, importedBy: access.user.email,
    });
    return reply.code(current ? 200 : 201).send(await apiView(store, access.org, access.project, access.component, api));
  });

  app.get(`${base}/openapi`, {
    schema: {
      tags: ['apis'],
      summary: 'The API\'s OpenAPI document: the one it was imported from, exactly as given (JSON or YAML), or one generated from its definition (header drawbridge-openapi-source: imported | generated)',
      params: ApiParams,
      querystring: Type.Object({
        format: Type.Optional(Type.Enum(['original', 'json'], { description: '`original` (default): as stored; `json`: an imported YAML document converted to JSON' })),
      }, { additionalProperties: false }),
      response: {
        200: {
          description: 'The document',
          content: {
            'application/json': { schema: Type.Record(Type.String(), Type.Unknown()) },
            'application/yaml': { schema: Type.String() },
          },
        },
      },
    },
  }, async (request, reply) => {
    const access = await apiComponentAccess(store, request, request.params);
    const api = await loadApi(store, access);
    const doc = await apiOpenApiDocument(store, { org: access.org, api, publicUrl: deps.config.publicUrl });
    const asJson = request.query.format === 'json' && doc.mediaType !== 'application/json';
    reply.header('drawbridge-openapi-source', doc.source).header('cache-control', 'no-cache');
    reply.type(asJson ? 'application/json; charset=utf-8' : `${doc.mediaType}; charset=utf-8`);
    return reply.send(asJson ? `${JSON.stringify(doc.document, null, 2)}\n` : doc.text);
  });

  app.post(`${base}/lifecycle`, {
    schema: {
      tags: ['apis'], summary: 'Move the API through its lifecycle: created → published → deprecated (→ published again)',
      params: ApiParams, body: Body({ state: Type.Enum(['created', 'published', 'deprecated']) }), response: { 200: ApiView },
    },
  }, async (request) => {
    const access = await apiComponentAccess(store, request, request.params);
    const current = await loadApi(store, access);
    const state = request.body.state as Lifecycle;
    if (state !== current.lifecycle) {
      if (!TRANSITIONS[current.lifecycle].includes(state)) {
        throw conflict(`An API that is ${current.lifecycle} cannot become ${state} (allowed: ${TRANSITIONS[current.lifecycle].join(', ')})`, { state: `cannot go from ${current.lifecycle} to ${state}` });
      }
      if (state === 'published' && current.resources.length === 0) throw conflict('Add at least one resource before publishing the API', { resources: 'is empty' });
      await saveApi(deps, access, current, { ...current, lifecycle: state }, `api.${state}`);
    }
    return apiView(store, access.org, access.project, access.component, (await store.apis.get(access.org.id, current.id))!);
  });

  app.post(`${base}/policies`, {
    schema: {
      tags: ['apis'], summary: 'Attach a policy to some resources or to all of them',
      params: ApiParams, body: PolicyInput, response: { 201: PolicyView },
    },
  }, async (request, reply) => {
    const access = await apiComponentAccess(store, request, request.params);
    const current = await loadApi(store, access);
    const index = current.policies.length;
    const policies = attachmentErrorsAsSent(index, () => normalizePolicies([...current.policies, request.body], current.resources, current.policies));
    await saveApi(deps, access, current, { ...current, policies }, 'api.policy_attached');
    return reply.code(201).send(policies[index]!);
  });

  app.put(`${base}/policies/:attachment`, {
    schema: {
      tags: ['apis'], summary: 'Change an attached policy (settings, resources, phase) in place: it keeps its id and its place in the order',
      params: Type.Object({ ...ApiParams.properties, attachment: Type.String() }), body: PolicyInput, response: { 200: PolicyView },
    },
  }, async (request) => {
    const access = await apiComponentAccess(store, request, request.params);
    const current = await loadApi(store, access);
    const index = current.policies.findIndex((p) => p.id === request.params.attachment);
    if (index < 0) throw notFound('Policy attachment');
    const list = current.policies.map((p, i) => (i === index ? { ...request.body, id: p.id } : p));
    const policies = attachmentErrorsAsSent(index, () => normalizePolicies(list, current.resources, current.policies));
    await saveApi(deps, access, current, { ...current, policies }, 'api.policy_updated');
    return policies[index]!;
  });

  app.delete(`${base}/policies/:attachment`, {
    schema: { tags: ['apis'], summary: 'Detach a policy', params: Type.Object({ ...ApiParams.properties, attachment: Type.String() }), response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const access = await apiComponentAccess(store, request, request.params);
    const current = await loadApi(store, access);
    const policies = current.policies.filter((p) => p.id !== request.params.attachment);
    if (policies.length === current.policies.length) throw notFound('Policy attachment');
    await saveApi(deps, access, current, { ...current, policies }, 'api.policy_detached');
    return reply.code(204).send(null);
  });
};
