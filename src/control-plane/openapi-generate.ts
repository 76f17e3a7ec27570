import { templateParameter } from '../gateway/index.js';
import type { ApiResource } from '../store/repos/apis.js';

/**
 * An OpenAPI 3 document for an API defined by hand (pure: no I/O). Every
 * resource becomes an operation; OAuth2 resources require the platform's
 * OAuth2 client-credentials scheme with their scopes, the others say
 * `security: []` (anonymous). Path parameters are declared as strings.
 */

export interface GeneratedDocumentInput {
  title: string;
  description?: string;
  /** The API's version (`v1`), also `info.version`. */
  version: string;
  resources: readonly ApiResource[];
  /** Where the API is served, e.g. one per environment. */
  servers: readonly { url: string; description?: string }[];
  /** The platform's token endpoint, for the OAuth2 scheme. */
  tokenUrl: string;
}

/** Name of the security scheme of the generated documents. */
const SECURITY_SCHEME = 'drawbridge';

function operationId(resource: ApiResource): string {
  const words = resource.path
    .split('/')
    .filter(Boolean)
    .map((s) => {
      const name = templateParameter(s);
      return name === undefined ? s : `by-${name}`;
    });
  return [resource.method.toLowerCase(), ...words].join('-').replace(/[^A-Za-z0-9_-]+/g, '-');
}

export function generateOpenApiDocument(input: GeneratedDocumentInput): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const scopes = new Set<string>();
  let oauth2 = false;
  const ids = new Set<string>();
  for (const r of input.resources) {
    let id = operationId(r);
    for (let n = 2; ids.has(id); n++) id = `${operationId(r)}-${n}`;
    ids.add(id);
    const parameters = r.path.split('/').flatMap((segment) => {
      const name = templateParameter(segment);
      return name === undefined ? [] : [{ name, in: 'path', required: true, schema: { type: 'string' } }];
    });
    if (r.security.oauth2) {
      oauth2 = true;
      for (const s of r.security.scopes) scopes.add(s);
    }
    const responses: Record<string, { description: string }> = { default: { description: "The backend's response" } };
    if (r.security.oauth2) {
      responses['401'] = { description: 'No valid access token (answered by the gateway)' };
      responses['403'] = { description: 'The token lacks a required scope, or its application is not subscribed (answered by the gateway)' };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = {
      operationId: id,
      ...(r.summary && { summary: r.summary }),
      ...(parameters.length && { parameters }),
      security: r.security.oauth2 ? [{ [SECURITY_SCHEME]: [...r.security.scopes] }] : [],
      responses,
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: input.title, version: input.version, ...(input.description && { description: input.description }) },
    servers: input.servers.map((s) => ({ url: s.url, ...(s.description && { description: s.description }) })),
    paths,
    ...(oauth2 && {
      components: {
        securitySchemes: {
          [SECURITY_SCHEME]: {
            type: 'oauth2',
            description: "An access token from the platform's token service (client credentials of an application subscribed to this API)",
            flows: { clientCredentials: { tokenUrl: input.tokenUrl, scopes: Object.fromEntries([...scopes].sort().map((s) => [s, `Scope ${s}`])) } },
          },
        },
      },
    }),
  };
}
