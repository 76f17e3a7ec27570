/**
 * The grammar of every handle and resource name (organizations, projects,
 * components, environments, identity providers): lowercase letters, digits and
 * single hyphens, 1-63 characters, not starting or ending with a hyphen.
 * Pure, with no imports, so the web app checks names as you type with the same rule.
 */
export const SLUG_PATTERN = '^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$';
const SLUG = new RegExp(SLUG_PATTERN);

export const isSlug = (value: string): boolean => SLUG.test(value);

/** Turns "Stark Industries" into "stark-industries". */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}
