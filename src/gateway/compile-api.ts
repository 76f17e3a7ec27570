import { ConfigError } from '../shared/errors.js';
import { SLUG_PATTERN } from '../shared/names.js';
import { compileCors } from './compile-cors.js';
import type { CompileDeps, CompiledApi, CompiledResource } from './compile.js';
import { arr, isObject, obj, str, strArray } from './compile-values.js';
import { parsePathTemplate, type TemplateSegment } from './path.js';
import { validatePolicyInstance } from './policies/index.js';
import type { PolicyApiInfo } from './policies/types.js';
import { isSealed, openSealedValue, type SecretOpener } from './policies/validate.js';
import { apiBasePath, HTTP_METHODS } from './snapshot.js';

/** One API of a snapshot, validated and planned (routes, resources, policies) for `compileSnapshot` (`compile.ts`). */

const SLUG = new RegExp(SLUG_PATTERN);
const CONTEXT = /^(\/[A-Za-z0-9._~-]+)+$/;
const VERSION = /^[A-Za-z0-9._~-]+$/;

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
 * The rule for backend URLs, shared with the control plane (which checks it
 * at definition and deploy time): absolute http(s) with a host, no
 * credentials, no query string or fragment (the gateway appends the request's
 * own path and query), no spaces or control characters. Returns the problem,
 * or undefined when the URL is acceptable.
 */
export const BACKEND_URL_RULE = 'must be an absolute http(s) URL without credentials, query or fragment';
export function backendUrlProblem(value: string): string | undefined {
  // WHATWG parsing forgives `https:///host`, `http:\\host` and stray tabs or newlines; an address must be written plainly.
  if (!/^https?:\/\/[^/\\\s?#@]/i.test(value) || /[\x00-\x20\x7f?#]/.test(value)) return BACKEND_URL_RULE;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return BACKEND_URL_RULE;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname || url.username || url.password || url.search || url.hash) return BACKEND_URL_RULE;
  return undefined;
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

interface PlannedRoute {
  segments: TemplateSegment[];
  key: string;
  method: string;
  path: string;
  at: string;
  resource: CompiledResource;
}
interface PlannedPolicy {
  at: string;
  resource: CompiledResource;
  phase: unknown;
  name: string;
  version: string;
  config: Record<string, unknown>;
}
interface PlannedApi {
  api: CompiledApi;
  routes: PlannedRoute[];
  policies: PlannedPolicy[];
}

/** `GET /acme/orders/v1/items/{}`: two templates with this key are the same route for the router. */
const routeKey = (method: string, segments: readonly TemplateSegment[]): string => `${method} /${segments.map((s) => (s.kind === 'param' ? '{}' : s.value)).join('/')}`;

/** Validates one API of the snapshot (throws a `ConfigError` naming the exact path); creates nothing yet. */
export function planApi(rawApi: unknown, at: string, deps: CompileDeps): PlannedApi {
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
    id,
    orgId,
    basePath,
    audience,
    info,
    origin: url.origin,
    backendPath: url.pathname.replace(/\/+$/, ''),
    cors: compileCors(rawApi.cors, `${at}.cors`),
    limits: compileLimits(rawApi.limits, `${at}.limits`),
  };
  const baseSegments: TemplateSegment[] = basePath
    .slice(1)
    .split('/')
    .map((value) => ({ kind: 'static', value }));
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
    try {
      segments = parsePathTemplate(path);
    } catch (e) {
      throw new ConfigError(`${rat}.path`, (e as Error).message);
    }
    const security = obj(rawRes, 'security', rat);
    if (typeof security.oauth2 !== 'boolean') throw new ConfigError(`${rat}.security.oauth2`, 'must be true or false');
    const scopes = strArray(security, 'scopes', `${rat}.security`);
    const resource: CompiledResource = { method, path, oauth2: security.oauth2, scopes, requestPolicies: [], responsePolicies: [], retryOn401: false };
    arr(rawRes, 'policies', rat).forEach((rawPol, k) => {
      const pat = `${rat}.policies[${k}]`;
      if (!isObject(rawPol)) throw new ConfigError(pat, 'must be an object');
      const instance = {
        name: str(rawPol, 'name', pat),
        version: str(rawPol, 'version', pat),
        phase: rawPol.phase,
        config: openSealed(rawPol.config, `${pat}.config`, deps.openSecret) as Record<string, unknown>,
      };
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
