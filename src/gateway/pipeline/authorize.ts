import { ApiError } from '../../shared/errors.js';
import { InsufficientScope, InvalidToken } from '../../shared/oauth-errors.js';
import type { Exchange } from '../exchange.js';

/** Audience, revocation, credentials, subscription and scopes, all against the request's snapshot. */
export function authorize(ex: Exchange): void {
  const resource = ex.resource;
  if (!resource.oauth2) return;
  const p = ex.principal!;
  const { snap } = ex;
  const api = ex.apiRoute;
  let appId: string | undefined;
  if (p.kind === 'platform') {
    if (!p.audiences.includes(api.audience)) throw new InvalidToken(`The access token is not valid for this API's organization and environment (${ex.gw.environment})`, `aud ${p.audiences.join(' ')}`);
    if (p.jti !== undefined && snap.revoked.has(p.jti)) throw new InvalidToken('The access token has been revoked');
    appId = snap.builtinClients.get(p.clientId);
    if (appId === undefined || (p.appId !== undefined && p.appId !== appId))
      throw new InvalidToken('The client that obtained the access token has no credentials in this environment', `client ${p.clientId}`);
  } else {
    if (!snap.idpByOrgIssuer.has(`${api.orgId}\n${String(p.claims.iss)}`, p.idpId!)) throw new InvalidToken('The access token was not issued by a trusted issuer for this API');
    appId = snap.externalClients.get(`${p.idpId}\n${p.clientId}`);
    if (appId === undefined) throw new InvalidToken(`The client ${p.clientId} is not linked to an application in this environment`);
  }
  ex.appId = appId;
  if (!snap.subscriptions.get(appId)?.has(api.id)) throw new ApiError('forbidden', `The application is not subscribed to API ${api.info.name} ${api.info.version}`);
  const scopes = resource.scopes;
  for (let i = 0; i < scopes.length; i++) {
    if (!p.scopes.has(scopes[i]!)) throw new InsufficientScope(`This resource requires the scope${scopes.length > 1 ? 's' : ''} ${scopes.join(' ')}`, scopes.join(' '));
  }
}
