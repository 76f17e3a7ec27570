/**
 * RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`, scopes
 * separated by single spaces. One rule for the token service, the management
 * API's resource scopes and the outbound-oauth2 policy. Our own tokens are at
 * most 128 characters: a longer one could never be granted.
 */
const CHARS = '\\x21\\x23-\\x5b\\x5d-\\x7e';
const MAX_SCOPE_TOKEN_LENGTH = 128;

/** For JSON schemas: one scope token. */
export const SCOPE_TOKEN_PATTERN = `^[${CHARS}]{1,${MAX_SCOPE_TOKEN_LENGTH}}$`;
/** For JSON schemas: a space-separated scope list for another server (outbound-oauth2), whose tokens may be longer. */
export const SCOPE_LIST_PATTERN = `^[${CHARS}]+( [${CHARS}]+)*$`;

const SCOPE_TOKEN = new RegExp(SCOPE_TOKEN_PATTERN);

export const isScopeToken = (value: string): boolean => SCOPE_TOKEN.test(value);
