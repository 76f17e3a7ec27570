/**
 * Request-target normalization. The path that is routed, authorized and
 * forwarded is the single string this returns: a backend never sees a path
 * the gateway interpreted differently.
 */

export type NormalizedTarget = { ok: true; path: string; query: string } | { ok: false; reason: string };

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Anything that needs the slow path: percent, backslash, empty or dot segments, trailing slash, controls. */
const NEEDS_WORK = /[%\\\x00-\x20\x7f]|\/\/|\/\.|\/$/;

/**
 * - refused: not origin-form (`*`, absolute-form), backslashes raw or encoded,
 *   encoded slashes, NUL (raw or `%00`), other control characters, bad percent
 *   escapes, `.`/`..` segments (raw or encoded), also with `;` parameters
 *   (`..;x`, which Tomcat and Spring resolve as `..`);
 * - rewritten: encoded unreserved characters are decoded (`%61` → `a`), other
 *   escapes upper-cased, repeated slashes collapsed, a trailing slash dropped.
 */
export function normalizeTarget(target: string): NormalizedTarget {
  if (target.charCodeAt(0) !== 47 /* / */) return { ok: false, reason: 'request target must be an absolute path' };
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  if (query.includes('\0') || /%00/.test(query)) return { ok: false, reason: 'NUL in query' };
  if (!NEEDS_WORK.test(rawPath) || rawPath === '/') return { ok: true, path: rawPath, query };

  let decoded = '';
  for (let i = 0; i < rawPath.length; i++) {
    const ch = rawPath[i]!;
    const code = ch.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f) return { ok: false, reason: code === 0 ? 'NUL in path' : 'control character or space in path' };
    if (ch === '\\') return { ok: false, reason: 'backslash in path' };
    if (ch !== '%') {
      decoded += ch;
      continue;
    }
    const hex = rawPath.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { ok: false, reason: 'malformed percent-encoding in path' };
    const byte = parseInt(hex, 16);
    if (byte === 0) return { ok: false, reason: 'NUL in path' };
    if (byte === 0x2f) return { ok: false, reason: 'encoded slash in path' };
    if (byte === 0x5c) return { ok: false, reason: 'encoded backslash in path' };
    const char = String.fromCharCode(byte);
    decoded += byte < 0x80 && UNRESERVED.test(char) ? char : '%' + hex.toUpperCase();
    i += 2;
  }
  const segments = decoded.split('/').filter((s) => s !== '');
  for (const s of segments) {
    if (s === '.' || s === '..') return { ok: false, reason: 'dot segment in path' };
    // `..;jsessionid=x` is `..` to Tomcat/Spring, which drop `;` path parameters before resolving dot segments.
    if (s.charCodeAt(0) === 46 /* . */ && /^\.\.?(?:;|%3B)/.test(s)) return { ok: false, reason: 'dot segment with parameters in path' };
  }
  return { ok: true, path: '/' + segments.join('/'), query };
}

export type TemplateSegment = { kind: 'static'; value: string } | { kind: 'param'; name: string };

/*
 * Resource path templates (`/items/{id}`): the one grammar the control plane
 * checks a definition with and the gateway compiles a snapshot with, so a
 * template the one accepts never fails the other.
 */

/** A whole-segment `{parameter}` (`{id}`, `{pet-id}`, `{pet.id}`); group 1 is its name. */
const PARAM_SEGMENT = /^\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/;
/** A literal segment: RFC 3986 `pchar` without percent-encoding. */
const LITERAL_SEGMENT = /^[A-Za-z0-9._~!$&'()*+,;=:@-]+$/;

/** The parameter a template segment names (`{id}` → `id`), or undefined for a literal. */
export function templateParameter(segment: string): string | undefined {
  return PARAM_SEGMENT.exec(segment)?.[1];
}

/** `/items/{id}` → `/items/{}`: two templates that route the same are the same resource. */
export const routeShape = (template: string) => template.replace(/\{[^}]*\}/g, '{}');

/** Why a resource path template is not acceptable, or undefined when it is; `/` is the API base itself. */
export function pathTemplateProblem(template: string): string | undefined {
  if (!template.startsWith('/')) return 'must start with /';
  if (template === '/') return undefined;
  if (template.endsWith('/')) return 'must not end with /';
  const names = new Set<string>();
  for (const segment of template.slice(1).split('/')) {
    if (segment === '') return 'must not contain empty segments (//)';
    if (segment === '.' || segment === '..') return 'must not contain . or .. segments';
    const param = templateParameter(segment);
    if (param !== undefined) {
      if (names.has(param)) return `parameter ${segment} appears twice`;
      names.add(param);
      continue;
    }
    if (!LITERAL_SEGMENT.test(segment)) return `segment "${segment}" is neither a literal nor a {parameter}`;
    // A literal is matched against normalized request paths, so it must be one: `..;x` never reaches a route.
    const normalized = normalizeTarget('/' + segment);
    if (!normalized.ok) return `segment ${JSON.stringify(segment)}: ${normalized.reason}`;
  }
  return undefined;
}

/** Parses a resource path template; throws with `pathTemplateProblem`'s reason when it is not acceptable. */
export function parsePathTemplate(template: string): TemplateSegment[] {
  const problem = pathTemplateProblem(template);
  if (problem !== undefined) throw new Error(problem);
  if (template === '/') return [];
  return template
    .slice(1)
    .split('/')
    .map((segment): TemplateSegment => {
      const name = templateParameter(segment);
      return name === undefined ? { kind: 'static', value: segment } : { kind: 'param', name };
    });
}
