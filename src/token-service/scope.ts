import { InvalidScope } from '../shared/oauth-errors.js';
import { isScopeToken } from '../shared/scope-token.js';

export { isScopeToken };

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
