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
    if (ch !== '%') { decoded += ch; continue; }
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

/**
 * Parses a resource path template (`/items/{id}`); `/` is the API base itself.
 * A segment is either literal or a whole `{param}`; static segments are
 * normalized like request paths, so `/%61` and `/a` are the same route.
 */
export function parsePathTemplate(template: string): TemplateSegment[] {
  if (!template.startsWith('/')) throw new Error('must start with /');
  if (template === '/') return [];
  const out: TemplateSegment[] = [];
  for (const raw of template.slice(1).split('/')) {
    if (raw === '') throw new Error('empty path segment');
    const param = /^\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/.exec(raw);
    if (param) { out.push({ kind: 'param', name: param[1]! }); continue; }
    if (/[{}]/.test(raw)) throw new Error(`segment ${JSON.stringify(raw)}: a parameter must be a whole segment`);
    if (raw.includes('?') || raw.includes('#')) throw new Error(`segment ${JSON.stringify(raw)}: ? and # are not allowed`);
    const n = normalizeTarget('/' + raw);
    if (!n.ok) throw new Error(`segment ${JSON.stringify(raw)}: ${n.reason}`);
    out.push({ kind: 'static', value: n.path.slice(1) });
  }
  return out;
}
