/**
 * A lenient reading of an OpenAPI 3 document for display: every field is
 * checked before use (documents are imported as given), and local `$ref`s
 * (`#/components/...`) are followed. Nothing here runs code from the document.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The target of a local reference (`#/components/schemas/Pet`), or undefined. */
function resolveRef(doc: JsonObject, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: Json | undefined = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Follows `$ref`s (up to a few hops) to the object they name; `ref` is the last reference followed. */
export function deref(doc: JsonObject, value: Json | undefined): { node: JsonObject | undefined; ref?: string } {
  let node = value;
  let ref: string | undefined;
  for (let i = 0; i < 8 && isObject(node) && typeof node.$ref === 'string'; i++) {
    ref = node.$ref;
    node = resolveRef(doc, node.$ref);
  }
  return { node: isObject(node) ? node : undefined, ref };
}

/** `#/components/schemas/Pet` → `Pet`. */
export const refName = (ref: string): string => ref.split('/').pop()!.replace(/~1/g, '/').replace(/~0/g, '~');

export interface Parameter {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema?: Json;
  deprecated: boolean;
}

export interface Operation {
  id: string;
  method: string;
  path: string;
  summary?: string;
  description?: string;
  operationId?: string;
  tags: string[];
  deprecated: boolean;
  parameters: Parameter[];
  requestBody?: { required: boolean; description?: string; content: { mediaType: string; schema?: Json; example?: Json }[] };
  responses: { status: string; description?: string; content: { mediaType: string; schema?: Json; example?: Json }[] }[];
  /** Scopes per security scheme; `[]` alternatives = anonymous allowed. */
  security?: { scheme: string; scopes: string[] }[][];
}

function parameters(doc: JsonObject, list: Json | undefined): Parameter[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((p) => {
    const { node } = deref(doc, p);
    if (!node || typeof node.name !== 'string' || typeof node.in !== 'string') return [];
    return [{ name: node.name, in: node.in, required: node.required === true || node.in === 'path', description: str(node.description), schema: node.schema, deprecated: node.deprecated === true }];
  });
}

function content(doc: JsonObject, value: Json | undefined) {
  if (!isObject(value)) return [];
  return Object.entries(value).map(([mediaType, media]) => {
    const m = deref(doc, media).node;
    return { mediaType, schema: m?.schema, example: m?.example };
  });
}

function security(value: Json | undefined): Operation['security'] {
  if (!Array.isArray(value)) return undefined;
  return value
    .filter(isObject)
    .map((alt) => Object.entries(alt).map(([scheme, scopes]) => ({ scheme, scopes: Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : [] })));
}

/** Every operation of the document, in document order. */
export function operations(doc: JsonObject): Operation[] {
  const paths = isObject(doc.paths) ? doc.paths : {};
  const rootSecurity = security(doc.security);
  const out: Operation[] = [];
  for (const [path, rawItem] of Object.entries(paths)) {
    const item = deref(doc, rawItem).node;
    if (!item) continue;
    const shared = parameters(doc, item.parameters);
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const own = parameters(doc, op.parameters);
      const merged = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      const body = deref(doc, op.requestBody).node;
      const responses = isObject(op.responses) ? op.responses : {};
      out.push({
        id: `${method}-${path}`,
        method: method.toUpperCase(),
        path,
        summary: str(op.summary),
        description: str(op.description),
        operationId: str(op.operationId),
        tags: Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === 'string') : [],
        deprecated: op.deprecated === true,
        parameters: merged,
        requestBody: body ? { required: body.required === true, description: str(body.description), content: content(doc, body.content) } : undefined,
        responses: Object.entries(responses).map(([status, r]) => {
          const res = deref(doc, r).node;
          return { status, description: str(res?.description), content: content(doc, res?.content) };
        }),
        security: security(op.security) ?? rootSecurity,
      });
    }
  }
  return out;
}

/** Operations grouped by their first tag (untagged last), tags in the document's order. */
export function byTag(doc: JsonObject, ops: Operation[]): { tag: string; description?: string; operations: Operation[] }[] {
  const declared = Array.isArray(doc.tags) ? doc.tags.filter(isObject).map((t) => ({ name: str(t.name) ?? '', description: str(t.description) })) : [];
  const groups = new Map<string, Operation[]>();
  for (const op of ops) {
    const tag = op.tags[0] ?? '';
    groups.set(tag, [...(groups.get(tag) ?? []), op]);
  }
  const order = [...declared.map((t) => t.name).filter((n) => groups.has(n)), ...[...groups.keys()].filter((k) => k !== '' && !declared.some((t) => t.name === k))];
  if (groups.has('')) order.push('');
  return order.map((tag) => ({ tag, description: declared.find((t) => t.name === tag)?.description, operations: groups.get(tag)! }));
}

export interface SecurityScheme {
  name: string;
  type: string;
  description?: string;
  flows: { flow: string; tokenUrl?: string; authorizationUrl?: string; scopes: Record<string, string> }[];
  detail?: string;
}

export function securitySchemes(doc: JsonObject): SecurityScheme[] {
  const schemes = isObject(doc.components) && isObject(doc.components.securitySchemes) ? doc.components.securitySchemes : {};
  return Object.entries(schemes).flatMap(([name, raw]) => {
    const s = deref(doc, raw).node;
    if (!s) return [];
    const flows = isObject(s.flows)
      ? Object.entries(s.flows)
          .filter(([, f]) => isObject(f))
          .map(([flow, f]) => {
            const fo = f as JsonObject;
            const scopes = isObject(fo.scopes) ? Object.fromEntries(Object.entries(fo.scopes).map(([k, v]) => [k, str(v) ?? ''])) : {};
            return { flow, tokenUrl: str(fo.tokenUrl), authorizationUrl: str(fo.authorizationUrl), scopes };
          })
      : [];
    const detail = s.type === 'apiKey' ? `${str(s.name) ?? ''} in ${str(s.in) ?? ''}` : s.type === 'http' ? str(s.scheme) : s.type === 'openIdConnect' ? str(s.openIdConnectUrl) : undefined;
    return [{ name, type: str(s.type) ?? 'unknown', description: str(s.description), flows, detail }];
  });
}

/** A one-line type of a schema: `string (date-time)`, `array of Pet`, `Pet`, `object`, `one of A | B`. */
export function typeLabel(doc: JsonObject, schema: Json | undefined, depth = 0): string {
  if (!isObject(schema)) return 'any';
  if (typeof schema.$ref === 'string') return refName(schema.$ref);
  if (depth > 4) return '…';
  for (const k of ['oneOf', 'anyOf', 'allOf'] as const) {
    const list = schema[k];
    if (Array.isArray(list)) return `${k === 'allOf' ? 'all of' : k === 'oneOf' ? 'one of' : 'any of'} ${list.map((s) => typeLabel(doc, s, depth + 1)).join(k === 'allOf' ? ' & ' : ' | ')}`;
  }
  const types = Array.isArray(schema.type) ? schema.type.filter((t): t is string => typeof t === 'string') : typeof schema.type === 'string' ? [schema.type] : [];
  const main = types.filter((t) => t !== 'null');
  const nullable = types.includes('null') || schema.nullable === true;
  let label: string;
  if (main.includes('array') || (main.length === 0 && schema.items !== undefined)) label = `array of ${typeLabel(doc, schema.items, depth + 1)}`;
  else if (main.length) label = main.join(' | ');
  else if (isObject(schema.properties)) label = 'object';
  else label = 'any';
  if (typeof schema.format === 'string') label += ` (${schema.format})`;
  return nullable ? `${label} | null` : label;
}
