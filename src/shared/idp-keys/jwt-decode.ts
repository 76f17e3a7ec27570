import { repeatedMember } from '../json.js';
import type { StepResult, VerifyFailureCode } from './verify.js';

/**
 * The `format` step of IdP token verification (`verify.ts`): a compact JWS
 * split and decoded without verifying anything, and the unverified claims
 * that pick the IdP to verify it with.
 */

/** Largest token accepted (bytes of the compact serialization). */
const MAX_TOKEN_BYTES = 16 * 1024;

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: Buffer;
  signature: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** A JSON object (`value`), or the name of a member it has twice (`repeated`); undefined when it is not a JSON object. */
function decodePart(part: string): { value: Record<string, unknown> } | { repeated: string } | undefined {
  if (!B64URL.test(part) || part.length % 4 === 1) return undefined;
  try {
    const text = Buffer.from(part, 'base64url').toString('utf8');
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    // JSON.parse keeps the last of two members with one name; another reader may keep the first (RFC 7519 §4: reject).
    const repeated = repeatedMember(text);
    return repeated === undefined ? { value: value as Record<string, unknown> } : { repeated };
  } catch {
    return undefined;
  }
}

/** A repeated member's name, echoed only when it looks like a claim name (it comes from the token). */
const shownName = (name: string): string => (/^[A-Za-z0-9_.:-]{1,64}$/.test(name) ? `"${name}"` : 'a member');

/** Splits and decodes a compact JWS without verifying anything but its shape. */
export function decodeJwt(token: string): DecodedJwt | StepResult {
  const fail = (code: VerifyFailureCode, message: string): StepResult => ({ step: 'format', ok: false, code, message });
  if (token.length > MAX_TOKEN_BYTES) return fail('too_large', `The token is larger than ${MAX_TOKEN_BYTES / 1024} KiB`);
  const parts = token.split('.');
  if (parts.length !== 3)
    return fail('malformed', parts.length === 5 ? 'The token is an encrypted JWT (JWE); only signed JWTs are accepted' : 'The token is not a JWT (expected three base64url parts separated by dots)');
  const [h, p, s] = parts as [string, string, string];
  const repeated = (part: string, name: string) => fail('malformed', `The JWT ${part} has the member ${shownName(name)} more than once; a token with duplicate member names is refused (RFC 7519 §4)`);
  const headerPart = decodePart(h);
  if (!headerPart) return fail('malformed', 'The JWT header is not valid base64url-encoded JSON');
  if ('repeated' in headerPart) return repeated('header', headerPart.repeated);
  const payloadPart = decodePart(p);
  if (!payloadPart) return fail('malformed', 'The JWT payload is not valid base64url-encoded JSON');
  if ('repeated' in payloadPart) return repeated('payload', payloadPart.repeated);
  const header = headerPart.value;
  const payload = payloadPart.value;
  // An empty signature is well-formed here (alg none); the header step refuses it with the reason.
  if ((s !== '' && !B64URL.test(s)) || s.length % 4 === 1) return fail('malformed', 'The JWT signature is not valid base64url');
  return { header, payload, signingInput: Buffer.from(`${h}.${p}`), signature: Buffer.from(s, 'base64url') };
}

/** The unverified `iss` of a token, to find the IdP to verify it with. */
export function unverifiedIssuer(decoded: DecodedJwt): string | undefined {
  return typeof decoded.payload.iss === 'string' ? decoded.payload.iss : undefined;
}

/** The unverified audiences of a token (to pick between IdPs sharing an issuer). */
export function unverifiedAudiences(decoded: DecodedJwt): string[] {
  const aud = decoded.payload.aud;
  return typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}
