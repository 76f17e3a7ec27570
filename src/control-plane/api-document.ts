import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { parse as parseYaml } from 'yaml';
import { PATHS } from '../token-service/discovery.js';
import type { Store } from '../store/index.js';
import type { Api, ApiDocumentMediaType } from '../store/repos/apis.js';
import type { Organization } from '../store/repos/organizations.js';
import { apiBasePath } from '../gateway/index.js';
import { generateOpenApiDocument } from './openapi-generate.js';

/**
 * The OpenAPI document of an API: the one it was imported from, as given
 * (JSON or YAML), or, for an API defined by hand (or redefined since its
 * import), one generated from its definition. Served by
 * `GET …/components/{component}/api/openapi` and by the developer portal.
 */

export interface ApiOpenApiDocument {
  /** `imported`: the document as given at import; `generated`: made from the definition. */
  source: 'imported' | 'generated';
  mediaType: ApiDocumentMediaType;
  /** The text to serve: the imported document exactly as given, or the generated one as indented JSON. */
  text: string;
  /** The document as a JSON value (YAML parsed). */
  document: Record<string, unknown>;
  /** Import by URL: where it came from. */
  sourceUrl: string | null;
  /** When it was imported; null for a generated document. */
  importedAt: string | null;
}

/**
 * `apiOpenApiDocument(store, { org, api, publicUrl })`: the stored document
 * of `api` (of organization `org`), or a generated one whose servers are the
 * API's URL in every environment of the organization and whose OAuth2 scheme
 * points at the token endpoint under `publicUrl` (the platform's issuer,
 * `deps.config.publicUrl`).
 */
export async function apiOpenApiDocument(store: Store, target: { org: Organization; api: Api; publicUrl: string }): Promise<ApiOpenApiDocument> {
  const { org, api } = target;
  const stored = await store.apis.document(org.id, api.id);
  if (stored) {
    const document = (stored.mediaType === 'application/yaml' ? parseYaml(stored.content, { maxAliasCount: 100 }) : JSON.parse(stored.content)) as Record<string, unknown>;
    return { source: 'imported', mediaType: stored.mediaType, text: stored.content, document, sourceUrl: stored.sourceUrl, importedAt: stored.importedAt };
  }
  const [component, environments, active] = await Promise.all([store.projects.componentById(org.id, api.id), store.orgs.environments(org.id), store.deployments.activeForApi(org.id, api.id)]);
  const path = apiBasePath({ orgHandle: org.handle, contextPath: api.contextPath, version: api.version });
  const document = generateOpenApiDocument({
    title: component?.displayName ?? api.contextPath,
    ...(component?.description && { description: component.description }),
    version: api.version,
    resources: api.resources,
    servers: environments.map((e) => ({
      url: e.gatewayUrl.replace(/\/+$/, '') + path,
      description: active.some((d) => d.environmentId === e.id) ? e.displayName : `${e.displayName} (not deployed)`,
    })),
    tokenUrl: target.publicUrl.replace(/\/+$/, '') + PATHS.token,
  });
  return { source: 'generated', mediaType: 'application/json', text: `${JSON.stringify(document, null, 2)}\n`, document, sourceUrl: null, importedAt: null };
}

/** The query both routes that serve the document take. */
export const ApiDocumentQuery = Type.Object(
  {
    format: Type.Optional(Type.Enum(['original', 'json'], { description: '`original` (default): as stored; `json`: an imported YAML document converted to JSON' })),
  },
  { additionalProperties: false },
);

/** Their answer, in either media type. */
export const ApiDocumentAnswer = {
  200: {
    description: 'The document',
    content: {
      'application/json': { schema: Type.Record(Type.String(), Type.Unknown()) },
      'application/yaml': { schema: Type.String() },
    },
  },
};

/** Sends the document as stored, or an imported YAML one as JSON (`format=json`), saying where it came from. */
export function sendApiDocument(reply: FastifyReply, doc: ApiOpenApiDocument, format: 'original' | 'json' | undefined): FastifyReply {
  const asJson = format === 'json' && doc.mediaType !== 'application/json';
  reply.header('drawbridge-openapi-source', doc.source).header('cache-control', 'no-cache');
  reply.type(asJson ? 'application/json; charset=utf-8' : `${doc.mediaType}; charset=utf-8`);
  return reply.send(asJson ? `${JSON.stringify(doc.document, null, 2)}\n` : doc.text);
}
