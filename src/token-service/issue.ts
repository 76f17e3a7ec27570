import { randomUUID } from 'node:crypto';
import { epochSeconds, type Clock } from '../shared/clock.js';
import { gatewayAudience, type AccessTokenClaims } from '../shared/jwt/index.js';
import type { AuthenticatedClient, IssueAccessTokenInput, IssuedAccessToken } from './grants/grant.js';
import { MAX_TOKEN_LIFETIME, type KeyRing } from './keys.js';

export interface IssueDeps {
  keys: KeyRing;
  clock: Clock;
  issuer: string;
}

/** Default lifetime of a credential's access tokens (seconds). */
export const DEFAULT_TOKEN_LIFETIME = 3600;

/** The lifetime a token gets: the credential's, capped by the installation maximum and the grant's bound. */
function lifetimeFor(credentialLifetime: number, maxLifetime?: number): number {
  const bound = Math.min(credentialLifetime, MAX_TOKEN_LIFETIME, maxLifetime ?? Number.POSITIVE_INFINITY);
  return Math.max(1, Math.floor(bound));
}

/** Signs an RFC 9068 access token for `client` (claims per the shared contract in `src/shared/jwt`). */
export async function issueAccessToken(deps: IssueDeps, client: AuthenticatedClient, input: IssueAccessTokenInput): Promise<IssuedAccessToken> {
  const signer = await deps.keys.signer();
  const iat = epochSeconds(deps.clock);
  const expiresIn = lifetimeFor(client.credential.tokenLifetime, input.maxLifetime);
  const claims: AccessTokenClaims = {
    iss: deps.issuer,
    sub: input.subject,
    aud: gatewayAudience(client.org.id, client.environment.name),
    client_id: client.clientId,
    // RFC 6749 §3.3 / RFC 9068 §2.2.3: no scope granted, no scope claim (never `scope: ""`).
    ...(input.scope !== '' && { scope: input.scope }),
    iat,
    exp: iat + expiresIn,
    jti: randomUUID(),
    org_id: client.org.id,
    env: client.environment.name,
    app_id: client.application.id,
    ...(input.idp !== undefined && { idp: input.idp }),
  };
  return { token: await signer.sign(claims), jti: claims.jti, expiresIn, expiresAt: claims.exp, ...(claims.scope !== undefined && { scope: claims.scope }) };
}
