/** An API's definition as the store keeps it: resources, policies, CORS, limits, revisions and documents, and the rules on base paths. */
import type { HttpMethod } from '../../shared/http-methods.js';

export { HTTP_METHODS, type HttpMethod } from '../../shared/http-methods.js';
export type Visibility = 'public' | 'private';
export type Lifecycle = 'created' | 'published' | 'deprecated';

export interface ResourceSecurity {
  /** A valid platform (or linked external IdP) token is required. */
  oauth2: boolean;
  /** Every one of these scopes must be in the token. */
  scopes: string[];
}

export interface ApiResource {
  method: HttpMethod;
  /** Path template below the context path, e.g. `/items/{id}`. */
  path: string;
  security: ResourceSecurity;
  summary?: string;
}

/** A policy attached to some resources (keys `METHOD /path`) or to all of them. Config values may hold `${param}`. */
export interface PolicyAttachment {
  id: string;
  /** `name@version`, e.g. `set-headers@1.0.0`. */
  policy: string;
  resources: 'all' | string[];
  /** `request` (before proxying) or `response`; one the policy supports. */
  phase: 'request' | 'response';
  config: Record<string, unknown>;
}

export interface CorsConfig {
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  allowCredentials: boolean;
  maxAge: number;
}

/** Per-API overrides of the gateway listener's defaults (bounds are checked by the API schema). */
export interface ApiLimits {
  maxBodyBytes?: number;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

export interface Api {
  /** The api-proxy component's id; an API is one per component. */
  id: string;
  orgId: string;
  contextPath: string;
  version: string;
  visibility: Visibility;
  lifecycle: Lifecycle;
  resources: ApiResource[];
  policies: PolicyAttachment[];
  cors: CorsConfig | null;
  /** null: the gateway's defaults. */
  limits: ApiLimits | null;
  /** Backend URL per environment name; values may hold `${param}`. */
  backendUrls: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** What a revision freezes: everything but environment-specific values. */
export interface RevisionDefinition {
  contextPath: string;
  version: string;
  resources: ApiResource[];
  policies: PolicyAttachment[];
  cors: CorsConfig | null;
  /** Absent when the API has none (so revisions made before limits existed keep their digest). */
  limits?: ApiLimits;
}

export interface ApiRevision {
  id: string;
  orgId: string;
  apiId: string;
  number: number;
  definition: RevisionDefinition;
  digest: string;
  createdBy: string;
  createdAt: string;
}

export interface ApiTables {
  apis: {
    component_id: string;
    org_id: string;
    context_path: string;
    version: string;
    visibility: string;
    lifecycle: string;
    resources: string;
    policies: string;
    cors: string | null;
    limits: string | null;
    backend_urls: string;
    created_at: string;
    updated_at: string;
  };
  api_revisions: { id: string; org_id: string; api_id: string; number: number; definition: string; digest: string; created_by: string; created_at: string };
  api_documents: { api_id: string; org_id: string; media_type: string; content: string; source_url: string | null; imported_by: string; imported_at: string };
}

/** Media types an imported document is kept as. */
export type ApiDocumentMediaType = 'application/json' | 'application/yaml';

/** Largest imported document kept (characters of its text). */
export const MAX_API_DOCUMENT_CHARS = 1024 * 1024;

/** The OpenAPI document an API was imported from, as given. */
export interface ApiDocument {
  apiId: string;
  orgId: string;
  mediaType: ApiDocumentMediaType;
  /** The text as it was imported (JSON or YAML). */
  content: string;
  /** Where it was fetched from (import by URL); null for an uploaded or pasted document. */
  sourceUrl: string | null;
  importedBy: string;
  importedAt: string;
}

export const resourceKey = (r: { method: string; path: string }): string => `${r.method} ${r.path}`;

type BasePathParts = Pick<RevisionDefinition, 'contextPath' | 'version'>;

/** `/orders/v1` for context path `/orders` and version `v1`: where the API's routes start, below the organization's handle. */
export const basePathOf = (a: BasePathParts): string => `${a.contextPath}/${a.version}`;

/**
 * Two APIs of one organization overlap when their base paths are equal or one
 * lies inside the other segment-wise (`/orders/v1` and `/orders/v1/x`): their
 * routes could collide, and the inner one would shadow the outer's parameters.
 */
export function basePathsOverlap(a: BasePathParts, b: BasePathParts): boolean {
  const x = basePathOf(a);
  const y = basePathOf(b);
  return x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}

/** Stable JSON (sorted keys) so equal definitions have equal digests. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
