/**
 * RFC 9110 §5.1 / §5.6.2: a field name is a `token` (tchar: `!#$%&'*+-.^_\`|~`,
 * digits and letters). One rule for policy headers, CORS header lists and Try it.
 */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

const HEADER_NAME = new RegExp(HEADER_NAME_PATTERN);

export const isHeaderName = (value: string): boolean => HEADER_NAME.test(value);
