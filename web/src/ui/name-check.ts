import { isSlug, slugify } from '../../../src/shared/names';

export { slugify };

/** The rule every handle and name follows, as the console words it. */
const NAME_RULE = 'Use lowercase letters, digits and single hyphens; start and end with a letter or digit (at most 63)';

/**
 * Why a name or handle (organization, project, component, identity provider,
 * connection) is not acceptable, checked as the user types with the server's
 * own rule (src/shared/names.ts); undefined for an empty or a valid name.
 */
export function nameProblem(name: string): string | undefined {
  if (!name) return undefined;
  if (name.length > 63) return 'At most 63 characters';
  return isSlug(name) ? undefined : NAME_RULE;
}
