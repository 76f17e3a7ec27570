import type { BlockList } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { AccessTokenInvalid, type AccessTokenClaims } from '../shared/jwt/index.js';
import { InvalidClient, UnauthorizedClient, UnsupportedGrantType } from '../shared/oauth-errors.js';
import type { Store } from '../store/index.js';
import { authenticateClient, presentedClient, type ClientCache } from './client-auth.js';
import type { FormParams } from './form.js';
import type { AuthenticatedClient, Grant, GrantContext, TokenResponse } from './grants/grant.js';
import type { GrantRegistry } from './grants/index.js';
import { issueAccessToken } from './issue.js';
import type { KeyRing } from './keys.js';
import { noStore } from './render.js';
import { readForm } from './request.js';
import { resolveScope } from './scope.js';
import { sourceAddress, type ClientAuthThrottle } from './throttle.js';

export interface EndpointDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  keys: KeyRing;
  issuer: string;
  grants: GrantRegistry;
  clients: ClientCache;
  /** Brute-force protection of client authentication. */
  throttle: ClientAuthThrottle;
  /** Peers whose X-Forwarded-For gives the source address the throttle counts (`DRAWBRIDGE_TRUSTED_PROXIES`). */
  trustedProxies: BlockList | undefined;
}

// --- steps -----------------------------------------------------------------

/**
 * Client authentication behind the brute-force throttle: a client ID or
 * address held back is refused (429) before its secret is looked at; a
 * failure (unknown client, wrong secret) is counted; a success only read the counters.
 */
async function authenticate(deps: EndpointDeps, request: FastifyRequest, params: FormParams): Promise<AuthenticatedClient> {
  const presented = presentedClient(request, params);
  if (!deps.throttle.enabled) return authenticateClient(deps.clients, deps.clock, presented);
  const address = sourceAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], deps.trustedProxies);
  await deps.throttle.check(presented.clientId, address);
  try {
    return await authenticateClient(deps.clients, deps.clock, presented);
  } catch (error) {
    if (error instanceof InvalidClient) await deps.throttle.failed(presented.clientId, address);
    throw error;
  }
}

function findGrant(deps: EndpointDeps, params: FormParams): Grant {
  const type = params.require('grant_type');
  const grant = deps.grants.find(type);
  if (!grant) throw new UnsupportedGrantType(`The grant type is not supported; supported: ${deps.grants.types().join(', ')}`);
  return grant;
}

function checkGrantAllowed(client: AuthenticatedClient, grant: Grant): void {
  if (!client.credential.grantTypes.includes(grant.type)) {
    throw new UnauthorizedClient(`This client may not use the ${grant.type} grant; enable it on the client's credentials`);
  }
}

function grantContext(deps: EndpointDeps, client: AuthenticatedClient, params: FormParams): GrantContext {
  return {
    client,
    params,
    resolveScope: (requested) => resolveScope(client.credential.scopes, requested),
    issueAccessToken: (input) => issueAccessToken(deps, client, input),
  };
}

/** Renders a grant's answer; an empty or absent `scope` is left out (RFC 6749 §3.3), whatever the grant returned. */
function sendToken(reply: FastifyReply, body: TokenResponse): FastifyReply {
  const { scope, ...rest } = body;
  const rendered: TokenResponse = scope === undefined || scope === '' ? rest : { ...rest, scope };
  return noStore(reply).code(200).type('application/json; charset=utf-8').send(rendered);
}

/**
 * The claims of a token this service issued and that is live now, or
 * undefined (bad signature, expired, revoked, unknown key, malformed).
 */
async function liveClaims(deps: EndpointDeps, token: string): Promise<AccessTokenClaims | undefined> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
    decodeJwt(token);
  } catch {
    return undefined;
  }
  try {
    const claims = await (await deps.keys.verifier(kid)).verify(token, { now: deps.clock.now() });
    return (await deps.store.revocations.isRevoked(claims.jti)) ? undefined : claims;
  } catch (error) {
    if (error instanceof AccessTokenInvalid) return undefined;
    throw error;
  }
}

// --- endpoints: flat lists of the steps above ------------------------------

/** `POST /oauth2/token`: parse → authenticate client → find grant → check it is allowed → run it → render. */
export const tokenEndpoint = (deps: EndpointDeps) => async (request: FastifyRequest, reply: FastifyReply) => {
  const params = readForm(request);
  const client = await authenticate(deps, request, params);
  const grant = findGrant(deps, params);
  checkGrantAllowed(client, grant);
  const response = await grant.handle(grantContext(deps, client, params));
  return sendToken(reply, response);
};

/**
 * `POST /oauth2/introspect` (RFC 7662): the caller authenticates as a client;
 * a token that is not live, or belongs to another organization, is just inactive.
 */
export const introspectionEndpoint = (deps: EndpointDeps) => async (request: FastifyRequest, reply: FastifyReply) => {
  const params = readForm(request);
  const client = await authenticate(deps, request, params);
  const token = params.require('token');
  const claims = await liveClaims(deps, token);
  const body = claims && claims.org_id === client.org.id ? { active: true, token_type: 'Bearer', ...claims } : { active: false };
  return noStore(reply).code(200).type('application/json; charset=utf-8').send(body);
};

/**
 * `POST /oauth2/revoke` (RFC 7009): 200 whatever the token was. Only the
 * client the token was issued to revokes it; anyone else's request changes nothing.
 */
export const revocationEndpoint = (deps: EndpointDeps) => async (request: FastifyRequest, reply: FastifyReply) => {
  const params = readForm(request);
  const client = await authenticate(deps, request, params);
  const token = params.require('token');
  const claims = await liveClaims(deps, token);
  if (claims && claims.org_id === client.org.id && claims.client_id === client.clientId) {
    await deps.store.revocations.revoke({ jti: claims.jti, orgId: claims.org_id, environment: claims.env, expiresAt: new Date(claims.exp * 1000).toISOString() });
    await deps.store.revocations.purgeExpired();
  }
  return noStore(reply).code(200).send();
};
