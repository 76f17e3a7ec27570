import { InvalidRequest, InvalidToken } from '../../shared/oauth-errors.js';
import { MissingToken } from '../errors.js';
import type { Exchange } from '../exchange.js';
import { tokenHash, unverifiedAudiences, unverifiedIssuer, verifyExternalToken, verifyPlatformToken, type Principal } from '../tokens.js';

/**
 * RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token`, the scheme name
 * case-insensitive (RFC 9110 §11.1). One or more spaces (never a tab) between
 * scheme and token, nothing after the token (Node has trimmed trailing OWS).
 */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** Bearer token → principal; a token's signature is verified once, then served from the cache until it expires. */
export function authenticate(ex: Exchange): void | Promise<void> {
  if (!ex.resource.oauth2) return;
  const header = ex.req.headers.authorization;
  if (ex.queryToken) {
    // RFC 6750 §2: one method per request; and the URL query is not a method this gateway accepts (§2.3: URLs end up in logs).
    if (header !== undefined) throw new InvalidRequest('Send the access token one way only: the request has both an Authorization header and an access_token query parameter');
    throw new InvalidRequest('Send the access token in the Authorization header ("Authorization: Bearer <token>"); the access_token query parameter is not accepted');
  }
  if (header === undefined) throw new MissingToken();
  const gw = ex.gw;
  // Fast path: a token seen before was checked for syntax when it was first verified.
  if (header.length > 7 && header.startsWith('Bearer ')) {
    const cached = gw.cache.get(tokenHash(header.slice(7)));
    if (cached) {
      gw.metrics.cacheHit.inc();
      ex.principal = cached;
      return;
    }
  }
  const match = BEARER.exec(header);
  if (!match) {
    if (/^bearer(\s|$)/i.test(header)) throw new InvalidRequest('The Authorization header does not carry a well-formed bearer token');
    throw new MissingToken();
  }
  const token = match[1]!;
  const key = tokenHash(token);
  const cached = gw.cache.get(key);
  if (cached) {
    gw.metrics.cacheHit.inc();
    ex.principal = cached;
    return;
  }
  gw.metrics.cacheMiss.inc();
  let pending = gw.verifying.get(key);
  if (!pending) {
    pending = verify(ex, token).finally(() => gw.verifying.delete(key));
    gw.verifying.set(key, pending);
  }
  return pending.then((principal) => {
    gw.cache.set(key, principal);
    ex.principal = principal;
  });
}

async function verify(ex: Exchange, token: string): Promise<Principal> {
  const { snap, gw } = ex;
  const issuer = unverifiedIssuer(token);
  const external = issuer !== undefined && issuer !== snap.issuer;
  const kind = external ? 'external' : 'platform';
  try {
    let principal: Principal;
    if (!external) principal = await verifyPlatformToken(token, snap.keys, gw.clock);
    else {
      const idp = snap.idpByOrgIssuer.get(`${ex.apiRoute.orgId}\n${issuer}`, unverifiedAudiences(token));
      if (!idp || !gw.externalVerifier) throw new InvalidToken('The access token was not issued by a trusted issuer for this API', `issuer ${issuer}`);
      principal = await verifyExternalToken(token, idp, gw.externalVerifier);
    }
    gw.metrics.tokenVerifications.inc({ environment: gw.environment, kind, outcome: 'valid' });
    return principal;
  } catch (error) {
    gw.metrics.tokenVerifications.inc({ environment: gw.environment, kind, outcome: 'invalid' });
    throw error;
  }
}
