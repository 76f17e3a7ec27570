/** A JWT's header and claims, decoded for display only (the gateway verifies tokens, the page never does). */
export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

function decodePart(part: string): Record<string, unknown> {
  const base64 = part
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
  return value as Record<string, unknown>;
}

/** Undefined when `token` is not a JWS in compact form with JSON header and claims. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return undefined;
  try {
    return { header: decodePart(parts[0]!), claims: decodePart(parts[1]!) };
  } catch {
    return undefined;
  }
}

/** A NumericDate claim (`exp`, `iat`, `nbf`) as a Date, if it is one. */
export const claimDate = (value: unknown): Date | undefined => (typeof value === 'number' && Number.isFinite(value) ? new Date(value * 1000) : undefined);
