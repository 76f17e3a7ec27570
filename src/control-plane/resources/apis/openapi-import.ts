import { dereference, JSONParserError, type JSONSchema } from '@apidevtools/json-schema-ref-parser';
import { parseDocument } from 'yaml';
import { pathTemplateProblem, routeShape } from '../../../gateway/index.js';
import { unprocessable, type ApiError } from '../../../shared/errors.js';
import type { ApiResource, HttpMethod } from '../../../store/repos/apis.js';
import { SCOPE } from './schema.js';
import { normalizeResources } from './validation.js';

/**
 * OpenAPI 3 import: a document (JSON or YAML text, or an object) → the
 * resources of an API. Pure: no store, no network, no files; the route
 * (routes.ts) takes the document from the body or fetches it from a URL
 * (document-source.ts) and saves what this answers.
 */

const OPENAPI_METHODS: Record<string, HttpMethod> = { get: 'GET', put: 'PUT', post: 'POST', delete: 'DELETE', options: 'OPTIONS', head: 'HEAD', patch: 'PATCH' };
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON or YAML text → its value; a broken text is a 422 naming the line and column. */
function parseOpenApiText(text: string): unknown {
  const parsed = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = parsed.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : 'document';
    throw unprocessable(`The document is not valid JSON or YAML (${where}): ${first.message.split('\n')[0]}`, { document: `${where}: ${first.message.split(' at line')[0]}` });
  }
  return parsed.toJS({ maxAliasCount: 100 });
}

/**
 * Parses an OpenAPI 3 document (JSON or YAML text, or an object) into
 * resources; a broken document is a 422 naming where. Pure: it reads nothing
 * but `document` (see followPathItemRefs for `$ref`).
 */
export async function resourcesFromOpenApi(document: unknown): Promise<{ resources: ApiResource[]; title?: string }> {
  const doc = typeof document === 'string' ? parseOpenApiText(document) : document;
  const broken = (path: string, message: string) => unprocessable(`The OpenAPI document is invalid at ${path}: ${message}`, { [path]: message });
  if (!isObject(doc)) throw broken('(root)', 'must be an object');
  if (typeof doc.openapi !== 'string' || !/^3\.\d+(\.\d+)?/.test(doc.openapi))
    throw broken('openapi', `must be an OpenAPI 3.x version string${doc.swagger ? ' (Swagger 2 documents are not supported)' : ''}`);
  if (!isObject(doc.paths)) throw broken('paths', 'must be an object');
  const paths = await followPathItemRefs(doc, broken);
  const rootSecurity = doc.security;
  const resources: ApiResource[] = [];
  /** Route shape (`GET /pets/{}`) → where it was first defined: `/pets/{id}` and `/pets/{petId}` route the same. */
  const seen = new Map<string, string>();
  for (const [path, item] of Object.entries(paths)) {
    const at = `paths.${path}`;
    const problem = pathTemplateProblem(path);
    if (problem) throw broken(at, problem);
    if (!isObject(item)) throw broken(at, 'must be an object');
    if (typeof item.$ref === 'string')
      throw broken(
        `${at}.$ref`,
        item.$ref.startsWith('#') ? 'refers to itself (a circular $ref)' : `refers to another document (${item.$ref.slice(0, 200)}); only $refs inside the document (#/…) are followed`,
      );
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

/** JSON pointers the dereferencer may replace: the document, its paths and each path item, nothing deeper. */
const PATH_ITEM_POINTER = /^#(?:\/paths(?:\/[^/]+)?)?$/;

/**
 * The document's path items with their `$ref`s followed, by a maintained
 * dereferencer (@apidevtools/json-schema-ref-parser), the document untouched.
 *
 * - A path item that is a `$ref` inside the document (`#/components/pathItems/Pets`,
 *   `#/paths/~1pets`, chains of them) is replaced by what it points at; one
 *   that points nowhere is a 422 naming it.
 * - A `$ref` to another file or a URL (`pets.yaml#/Pets`, `https://…`) is never
 *   read: the resolvers for files and HTTP are off, so nothing is opened or
 *   fetched (no SSRF, no local file read). A path item that is one is a 422.
 * - `$ref`s below the path items (schemas, parameters, responses) are not
 *   followed: the resources need none of them, and the document is kept and
 *   served as it was given.
 */
async function followPathItemRefs(doc: Record<string, unknown>, broken: (path: string, message: string) => ApiError): Promise<Record<string, unknown>> {
  const paths = doc.paths as Record<string, unknown>;
  if (!Object.values(paths).some((item) => isObject(item) && '$ref' in item)) return paths;
  try {
    const followed = await dereference(doc as JSONSchema, {
      mutateInputSchema: false,
      resolve: { external: false, file: false, http: false },
      dereference: { circular: 'ignore', excludedPathMatcher: (pointer: string) => !PATH_ITEM_POINTER.test(pointer) },
      timeoutMs: 5_000,
    });
    return (followed as Record<string, unknown>).paths as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof JSONParserError) && !(error instanceof RangeError) && !(error instanceof ReferenceError)) throw error;
    const message = error.message.split('\n')[0]!;
    const where = Object.entries(paths).find(([, item]) => isObject(item) && typeof item.$ref === 'string' && message.includes(`"${item.$ref}"`));
    throw broken(where ? `paths.${where[0]}.$ref` : 'paths', where ? 'points to nothing in the document' : message);
  }
}
