import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import { newId, sha256 } from '../../shared/crypto.js';
import type { Database } from '../schema.js';

import {
  basePathsOverlap,
  canonicalJson,
  MAX_API_DOCUMENT_CHARS,
  type Api,
  type ApiDocument,
  type ApiDocumentMediaType,
  type ApiLimits,
  type ApiResource,
  type ApiRevision,
  type CorsConfig,
  type Lifecycle,
  type PolicyAttachment,
  type RevisionDefinition,
  type Visibility,
} from './api-definition.js';

export * from './api-definition.js';

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
