import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import { newId, sha256 } from '../../shared/crypto.js';
import type { Database } from '../schema.js';

export { HTTP_METHODS, type HttpMethod } from '../../shared/http-methods.js';
import type { HttpMethod } from '../../shared/http-methods.js';
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

const toApi = (r: Database['apis']): Api => ({
  id: r.component_id,
  orgId: r.org_id,
  contextPath: r.context_path,
  version: r.version,
  visibility: r.visibility as Visibility,
  lifecycle: r.lifecycle as Lifecycle,
  resources: JSON.parse(r.resources) as ApiResource[],
  policies: JSON.parse(r.policies) as PolicyAttachment[],
  cors: r.cors === null ? null : (JSON.parse(r.cors) as CorsConfig),
  limits: r.limits === null || r.limits === undefined ? null : (JSON.parse(r.limits) as ApiLimits),
  backendUrls: JSON.parse(r.backend_urls) as Record<string, string>,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toDocument = (r: Database['api_documents']): ApiDocument => ({
  apiId: r.api_id,
  orgId: r.org_id,
  mediaType: r.media_type as ApiDocumentMediaType,
  content: r.content,
  sourceUrl: r.source_url,
  importedBy: r.imported_by,
  importedAt: r.imported_at,
});

const toRevision = (r: Database['api_revisions']): ApiRevision => ({
  id: r.id,
  orgId: r.org_id,
  apiId: r.api_id,
  number: Number(r.number),
  definition: JSON.parse(r.definition) as RevisionDefinition,
  digest: r.digest,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

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

export type ApiInput = Omit<Api, 'createdAt' | 'updatedAt'>;

/** API definitions and their immutable revisions. Every query is scoped by organization. */
export class ApiRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async create(input: ApiInput): Promise<Api> {
    const now = isoNow(this.clock);
    const row: Database['apis'] = {
      component_id: input.id,
      org_id: input.orgId,
      context_path: input.contextPath,
      version: input.version,
      visibility: input.visibility,
      lifecycle: input.lifecycle,
      resources: JSON.stringify(input.resources),
      policies: JSON.stringify(input.policies),
      cors: input.cors === null ? null : JSON.stringify(input.cors),
      limits: input.limits === null ? null : JSON.stringify(input.limits),
      backend_urls: JSON.stringify(input.backendUrls),
      created_at: now,
      updated_at: now,
    };
    await this.db.insertInto('apis').values(row).execute();
    return toApi(row);
  }

  /** Writes every field of `api` (read, change, write: call inside a transaction). */
  async save(api: ApiInput): Promise<void> {
    await this.db
      .updateTable('apis')
      .set({
        context_path: api.contextPath,
        version: api.version,
        visibility: api.visibility,
        lifecycle: api.lifecycle,
        resources: JSON.stringify(api.resources),
        policies: JSON.stringify(api.policies),
        cors: api.cors === null ? null : JSON.stringify(api.cors),
        limits: api.limits === null ? null : JSON.stringify(api.limits),
        backend_urls: JSON.stringify(api.backendUrls),
        updated_at: isoNow(this.clock),
      })
      .where('org_id', '=', api.orgId)
      .where('component_id', '=', api.id)
      .execute();
  }

  async get(orgId: string, id: string): Promise<Api | undefined> {
    const r = await this.db.selectFrom('apis').selectAll().where('org_id', '=', orgId).where('component_id', '=', id).executeTakeFirst();
    return r && toApi(r);
  }

  async list(orgId: string, filter: { lifecycle?: Lifecycle } = {}): Promise<Api[]> {
    let q = this.db.selectFrom('apis').selectAll().where('org_id', '=', orgId);
    if (filter.lifecycle) q = q.where('lifecycle', '=', filter.lifecycle);
    return (await q.orderBy('context_path').orderBy('version').execute()).map(toApi);
  }

  /**
   * Another API of the organization whose base path (`contextPath/version`)
   * equals this one or lies inside it or around it (`/orders` + `v1` and
   * `/orders/v1` + `x`): the exact match first.
   */
  async overlapping(orgId: string, contextPath: string, version: string, exceptId: string): Promise<Api | undefined> {
    const rows = await this.db.selectFrom('apis').selectAll().where('org_id', '=', orgId).where('component_id', '!=', exceptId).orderBy('context_path').execute();
    const mine = { contextPath, version };
    const hits = rows.map(toApi).filter((a) => basePathsOverlap(a, mine));
    return hits.find((a) => a.contextPath === contextPath && a.version === version) ?? hits[0];
  }

  /** Returns the latest revision when its definition equals `definition`, else stores a new one. */
  async ensureRevision(orgId: string, apiId: string, definition: RevisionDefinition, createdBy: string): Promise<{ revision: ApiRevision; created: boolean }> {
    const digest = sha256(canonicalJson(definition));
    const latest = await this.latestRevision(orgId, apiId);
    if (latest && latest.digest === digest) return { revision: latest, created: false };
    const row: Database['api_revisions'] = {
      id: newId(),
      org_id: orgId,
      api_id: apiId,
      number: (latest?.number ?? 0) + 1,
      definition: JSON.stringify(definition),
      digest,
      created_by: createdBy,
      created_at: isoNow(this.clock),
    };
    await this.db.insertInto('api_revisions').values(row).execute();
    return { revision: toRevision(row), created: true };
  }

  async latestRevision(orgId: string, apiId: string): Promise<ApiRevision | undefined> {
    const r = await this.db.selectFrom('api_revisions').selectAll().where('org_id', '=', orgId).where('api_id', '=', apiId).orderBy('number', 'desc').limit(1).executeTakeFirst();
    return r && toRevision(r);
  }

  async revision(orgId: string, apiId: string, number: number): Promise<ApiRevision | undefined> {
    const r = await this.db.selectFrom('api_revisions').selectAll().where('org_id', '=', orgId).where('api_id', '=', apiId).where('number', '=', number).executeTakeFirst();
    return r && toRevision(r);
  }

  async revisionById(id: string): Promise<ApiRevision | undefined> {
    const r = await this.db.selectFrom('api_revisions').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRevision(r);
  }

  async revisions(orgId: string, apiId: string): Promise<ApiRevision[]> {
    return (await this.db.selectFrom('api_revisions').selectAll().where('org_id', '=', orgId).where('api_id', '=', apiId).orderBy('number', 'desc').execute()).map(toRevision);
  }

  /** Keeps `content` as the API's imported document, replacing the one it had. */
  async saveDocument(input: Omit<ApiDocument, 'importedAt'>): Promise<ApiDocument> {
    if (input.content.length > MAX_API_DOCUMENT_CHARS) throw new RangeError(`An API document is at most ${MAX_API_DOCUMENT_CHARS} characters`);
    const row: Database['api_documents'] = {
      api_id: input.apiId,
      org_id: input.orgId,
      media_type: input.mediaType,
      content: input.content,
      source_url: input.sourceUrl,
      imported_by: input.importedBy,
      imported_at: isoNow(this.clock),
    };
    await this.db
      .insertInto('api_documents')
      .values(row)
      .onConflict((oc) =>
        oc.column('api_id').doUpdateSet({
          media_type: row.media_type,
          content: row.content,
          source_url: row.source_url,
          imported_by: row.imported_by,
          imported_at: row.imported_at,
        }),
      )
      .execute();
    return toDocument(row);
  }

  /** The document the API was imported from, if it was (and was not redefined since). */
  async document(orgId: string, apiId: string): Promise<ApiDocument | undefined> {
    const r = await this.db.selectFrom('api_documents').selectAll().where('org_id', '=', orgId).where('api_id', '=', apiId).executeTakeFirst();
    return r && toDocument(r);
  }

  /** Forgets the imported document (the API was redefined); true when there was one. */
  async deleteDocument(orgId: string, apiId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('api_documents').where('org_id', '=', orgId).where('api_id', '=', apiId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
