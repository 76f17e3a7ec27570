import { InvalidRequest } from '../shared/oauth-errors.js';

/** Largest form body the OAuth endpoints read; larger bodies are refused before parsing. */
export const FORM_BODY_LIMIT = 16 * 1024;

/**
 * Parameters that may be sent more than once: RFC 8693 §2.1 (and RFC 8707
 * §2) let a token-exchange request name several `audience` and `resource`
 * values. Every other parameter is refused when repeated (RFC 6749 §3.1).
 */
const REPEATABLE_PARAMS: ReadonlySet<string> = new Set(['audience', 'resource']);

/** Form parameters, each present at most once, except the repeatable ones (read those with `all`). */
export class FormParams {
  constructor(private readonly values: ReadonlyMap<string, string[]>) {}

  /** The parameter's value; a repeatable parameter sent several times is `invalid_request` here (read it with `all`). */
  get(name: string): string | undefined {
    const values = this.values.get(name);
    if (values !== undefined && values.length > 1) throw new InvalidRequest(`The ${safeName(name)} parameter is repeated`);
    return values?.[0];
  }

  /** Every value of a parameter, in the order sent (empty values left out); [] when absent. */
  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** A parameter that must be present and non-empty. */
  require(name: string): string {
    const value = this.get(name);
    if (value === undefined || value === '') throw new InvalidRequest(`The ${name} parameter is required`);
    return value;
  }

  names(): string[] {
    return [...this.values.keys()];
  }
}

/**
 * Parses `application/x-www-form-urlencoded` (RFC 6749 §3.2, appendix B).
 * Strict: a parameter sent twice is `invalid_request` (RFC 6749 §3.1) unless
 * it is one of `REPEATABLE_PARAMS`, and an empty value counts as absent, as
 * the RFC says.
 */
export function parseForm(body: string): FormParams {
  const values = new Map<string, string[]>();
  if (body === '') return new FormParams(values);
  for (const pair of body.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeFormComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeFormComponent(pair.slice(eq + 1));
    const seen = values.get(name);
    if (seen === undefined) values.set(name, [value]);
    else if (REPEATABLE_PARAMS.has(name)) seen.push(value);
    else throw new InvalidRequest(`The ${safeName(name)} parameter is repeated`);
  }
  for (const [name, list] of values) {
    const present = list.filter((v) => v !== '');
    if (present.length === 0) values.delete(name);
    else if (present.length !== list.length) values.set(name, present);
  }
  return new FormParams(values);
}

/** Decodes one form-urlencoded component (`+` is a space); malformed escapes are `invalid_request`. */
export function decodeFormComponent(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new InvalidRequest('The form body is not valid application/x-www-form-urlencoded');
  }
}

/** Parameter names are echoed in descriptions only when they look like parameter names. */
const safeName = (name: string): string => (/^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : 'same');
