/**
 * Token endpoint refusals (RFC 6749 §5.2, RFC 8693 §2.2.2) in words a client
 * developer understands. The token service names the failed check of a
 * subject token in its description: "The subject token was refused (audience): …".
 */
export interface TokenErrorExplanation {
  /** The RFC error code, e.g. invalid_request. */
  code: string;
  title: string;
  explanation: string;
  /** The token service's own description. */
  detail: string;
}

const STEPS: Record<string, { title: string; explanation: string }> = {
  audience: {
    title: 'Wrong audience',
    explanation:
      'The identity provider issued this token for another audience ("aud"). Ask the provider for a token whose audience is one the organization allowed for this provider (the steps above show which and how).',
  },
  expiry: {
    title: 'The token has expired',
    explanation: 'Its "exp" time has passed. Get a fresh token from the identity provider and paste it again; tokens can only be exchanged while they are valid.',
  },
  'not-before': { title: 'The token is not valid yet', explanation: 'Its "nbf" time is in the future. Check the identity provider\'s clock, or wait a moment.' },
  'issued-at': { title: 'The token was issued in the future', explanation: 'Its "iat" time is ahead of the platform\'s clock. Check the identity provider\'s clock.' },
  issuer: {
    title: 'Unknown issuer',
    explanation: 'No identity provider of this organization has the issuer ("iss") of this token. Use a token from the chosen provider, or ask an admin to add its provider.',
  },
  signature: {
    title: 'The signature does not verify',
    explanation: 'The token is not signed by a key the identity provider publishes. It may have been changed, or come from another provider with the same issuer.',
  },
  format: { title: 'Not a JWT', explanation: 'Paste the access token itself: three base64url parts separated by dots (eyJ…). Opaque tokens cannot be exchanged.' },
  header: { title: 'Unsupported token header', explanation: 'The token\'s algorithm or type is not accepted (for example "none" or a symmetric algorithm).' },
  'token-type': { title: 'Wrong kind of token', explanation: 'The provider issued another kind of token than an access token. Ask for an access token.' },
  subject: { title: 'No subject', explanation: 'The token has no "sub" claim naming the user or client it was issued to.' },
  'client-id': { title: 'No client ID', explanation: 'The token does not carry the claim the provider is configured to name the client with.' },
};

const CODES: Record<string, { title: string; explanation: string }> = {
  invalid_client: {
    title: 'Wrong consumer secret',
    explanation: 'The consumer key and secret do not match. Use the secret shown when the credentials were generated, or regenerate it.',
  },
  unauthorized_client: {
    title: 'Grant type not enabled',
    explanation: 'These keys may not use this grant type. Enable it under Advanced Configurations of the keys (Token Exchange for User Keys).',
  },
  unsupported_grant_type: { title: 'Grant type not supported', explanation: 'The token service does not offer this grant type.' },
  invalid_scope: { title: 'Scope not allowed', explanation: 'The keys may not ask for this scope. Add it to the allowed scopes of the keys, or ask for fewer.' },
  invalid_target: { title: 'Wrong target', explanation: "Tokens of these keys can only be issued for their own environment's gateway." },
  invalid_grant: { title: 'Grant refused', explanation: 'The token service refused the grant.' },
  invalid_request: { title: 'Request refused', explanation: 'The token service refused the request.' },
  server_error: { title: 'Token service failure', explanation: 'The token service could not answer. Try again in a moment.' },
  temporarily_unavailable: { title: 'Token service busy', explanation: 'The token service could not answer now. Try again in a moment.' },
};

export function explainTokenError(code: string, description: string): TokenErrorExplanation {
  const step = /^The subject token was refused \(([a-z-]+)\)/.exec(description)?.[1];
  const known = (step && STEPS[step]) || CODES[code] || { title: 'Refused', explanation: 'The token service refused the request.' };
  return { code, detail: description, ...known };
}
