import { InvalidRequest } from '../shared/oauth-errors.js';

/** Largest form body the OAuth endpoints read; larger bodies are refused before parsing. */
export const FORM_BODY_LIMIT = 16 * 1024;

/** Form parameters, each present at most once (repeats are refused while parsing). */
export class FormParams {
  constructor(private readonly values: ReadonlyMap<string, string>) {}

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** A parameter that must be present and non-empty. */
  require(name: string): string {
    const value = this.values.get(name);
    if (value === undefined || value === '') throw new InvalidRequest(`The ${name} parameter is required`);
    return value;
  }

  names(): string[] {
    return [...this.values.keys()];
  }
}

/**
 * Parses `application/x-www-form-urlencoded` (RFC 6749 §3.2, appendix B).
 * Strict: a parameter sent twice is `invalid_request` (RFC 6749 §3.1), and
 * an empty value counts as absent, as the RFC says.
 */
export function parseForm(body: string): FormParams {
  const values = new Map<string, string>();
  if (body === '') return new FormParams(values);
  for (const pair of body.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeFormComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeFormComponent(pair.slice(eq + 1));
    if (values.has(name)) throw new InvalidRequest(`The ${safeName(name)} parameter is repeated`);
    values.set(name, value);
  }
  for (const [name, value] of values) if (value === '') values.delete(name);
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
