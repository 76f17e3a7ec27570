import { InvalidScope } from '../shared/oauth-errors.js';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export const isScopeToken = (value: string): boolean => SCOPE_TOKEN.test(value) && value.length <= 128;

/**
 * The scope model: each credential has a list of allowed scopes (empty by
 * default). A request without `scope` is granted the whole allowed list; a
 * request with `scope` must name only allowed scopes (otherwise
 * `invalid_scope`) and is granted exactly those, de-duplicated, in request order.
 */
export function resolveScope(allowed: readonly string[], requested: string | undefined): string {
  if (requested === undefined) return allowed.join(' ');
  const tokens = requested.split(' ');
  if (tokens.some((t) => !isScopeToken(t))) throw new InvalidScope('The scope parameter is malformed: scopes are separated by single spaces');
  const granted: string[] = [];
  for (const token of tokens) {
    if (!allowed.includes(token)) throw new InvalidScope(`The client may not request the scope "${token}"`);
    if (!granted.includes(token)) granted.push(token);
  }
  return granted.join(' ');
}
