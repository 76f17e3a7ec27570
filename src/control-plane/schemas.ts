import { Type, type TSchema } from 'typebox';
import { SLUG_PATTERN } from '../shared/names.js';

export { slugify } from '../shared/names.js';

/** Lowercase slug: letters, digits and single hyphens, 1-63 characters, not starting or ending with a hyphen. */
export const Slug = Type.String({ pattern: SLUG_PATTERN, minLength: 1, maxLength: 63, description: 'lowercase letters, digits and hyphens' });
export const DisplayName = Type.String({ minLength: 1, maxLength: 200 });
export const Description = Type.String({ maxLength: 2000 });
export const HttpUrl = Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000, description: 'absolute http(s) URL' });

/** A closed request body: unknown properties are refused. */
export const Body = <T extends Record<string, TSchema>>(props: T) => Type.Object(props, { additionalProperties: false });

export const OrgParams = Type.Object({ org: Type.String() });
