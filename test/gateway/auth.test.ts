import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { ManualClock } from '../../src/shared/clock.js';
import { InvalidToken } from '../../src/shared/oauth-errors.js';
import type { ExternalTokenVerifier } from '../../src/gateway/tokens.js';
import type { SnapshotIdentityProvider } from '../../src/gateway/snapshot.js';
import { api, APP_ID, CLIENT_ID, ENV, ISSUER, metric, newSigner, ORG_ID, rawRequest, snapshot, startBackend, startTestGateway, type Backend, type Signer, type TestGateway } from './helpers.js';

const BASE = '/acme/orders/v1';
const IDP: SnapshotIdentityProvider = {
  id: 'idp-okta',
  orgId: ORG_ID,
  name: 'okta',
  issuer: 'https://okta.example.test',
  jwksUri: 'https://okta.example.test/keys',
  audiences: ['api://orders'],
  clientIdClaim: 'cid',
  clockSkewSeconds: 30,
};

describe('gateway routing, authentication and authorization', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let backend: Backend;
  let gw: TestGateway;
  let signer: Signer;
  let otherSigner: Signer;
  const externalCalls: string[] = [];
  let externalKey: Awaited<ReturnType<typeof generateKeyPair>>;

  /** A real signature check of the "IdP" token, as the external key cache would do. */
  const externalVerifier: ExternalTokenVerifier = {
    async verify(token: string, idp: SnapshotIdentityProvider): Promise<JWTPayload> {
      externalCalls.push(idp.id);
      const { jwtVerify } = await import('jose');
      try {
        const { payload } = await jwtVerify(token, externalKey.publicKey, { issuer: idp.issuer, audience: idp.audiences, currentDate: new Date(clock.now()), clockTolerance: idp.clockSkewSeconds });
        return payload;
      } catch (e) {
        throw new InvalidToken('The access token could not be verified with its identity provider', (e as Error).message);
      }
    },
  };

  const url = (path: string) => gw.url + BASE + path;
  const get = (path: string, token?: string, headers: Record<string, string> = {}) => fetch(url(path), { headers: token === undefined ? headers : { authorization: `Bearer ${token}`, ...headers } });

  beforeAll(async () => {
    backend = await startBackend();
    signer = await newSigner(clock, 'key-1');
    otherSigner = await newSigner(clock, 'key-1');
    externalKey = await generateKeyPair('ES256');
    const snap = snapshot([signer.jwk], [api(backend.url)], {
      identityProviders: [IDP],
      clients: { builtin: { [CLIENT_ID]: APP_ID }, external: [{ idpId: IDP.id, externalClientId: 'okta-client', appId: APP_ID }] },
    });
    gw = await startTestGateway(snap, { clock, externalVerifier });
  });
  afterAll(async () => {
    await gw?.close();
    await backend?.close();
  });

  it('routes to the backend with a valid token and subscription', async () => {
    const token = await signer.sign();
    const res = await get('/items/42?x=1', token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.url).toBe('/items/42?x=1');
    expect(body.method).toBe('GET');
  });

  it('answers 404 with a JSON body for an unknown path', async () => {
    const res = await fetch(gw.url + '/acme/nothing/v1/items');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'not_found', message: `No API resource is deployed at /acme/nothing/v1/items in ${ENV}` });
  });

  it('answers 405 with Allow for a known path and another method', async () => {
    const res = await fetch(url('/items'), { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST, HEAD');
    expect(await res.json()).toEqual({ code: 'method_not_allowed', message: `DELETE is not allowed on ${BASE}/items; allowed: GET, POST, HEAD` });
  });

  it('prefers a literal resource over a template', async () => {
    const token = await signer.sign({ scope: 'orders:read' });
    const admin = await get('/admin', token);
    expect(admin.status).toBe(403); // /admin needs orders:admin, /{anything} would need nothing
    const other = await get('/other', token);
    expect(other.status).toBe(200);
  });

  it('no token → 401 with a bare Bearer challenge', async () => {
    const res = await get('/items');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="drawbridge"');
    expect(await res.json()).toEqual({ code: 'unauthenticated', message: 'This resource requires an access token: send it as "Authorization: Bearer <token>"' });
  });

  it('another auth scheme → 401 with a bare Bearer challenge', async () => {
    const res = await get('/items', undefined, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="drawbridge"');
  });

  it('a malformed bearer value → 400 invalid_request', async () => {
    const res = await get('/items', undefined, { authorization: 'Bearer a b c' });
    expect(res.status).toBe(400);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="drawbridge", error="invalid_request", error_description="The Authorization header does not carry a well-formed bearer token"');
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'The Authorization header does not carry a well-formed bearer token' });
  });

  const invalidToken = async (res: Response, description: string) => {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="drawbridge", error="invalid_token", error_description="${description}"`);
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: description });
  };

  it('garbage token → 401 invalid_token', async () => {
    await invalidToken(await get('/items', 'not-a-jwt'), 'The access token is not valid: the token is malformed');
  });

  it('expired token → 401 invalid_token "expired"', async () => {
    const now = Math.floor(clock.now() / 1000);
    await invalidToken(await get('/items', await signer.sign({ iat: now - 7200, exp: now - 1 })), 'The access token is not valid: the token has expired');
  });

  it('a cached token stops working when it expires', async () => {
    const token = await signer.sign({ exp: Math.floor(clock.now() / 1000) + 60 });
    expect((await get('/items', token)).status).toBe(200);
    clock.advance(61_000);
    try {
      await invalidToken(await get('/items', token), 'The access token is not valid: the token has expired');
    } finally {
      clock.advance(-61_000);
    }
  });

  it('token signed by an unknown key with a known kid → 401 invalid_token', async () => {
    await invalidToken(await get('/items', await otherSigner.sign()), 'The access token is not valid: the signature is invalid');
  });

  it('token with an unknown kid → 401 invalid_token', async () => {
    await invalidToken(await get('/items', await signer.sign({}, { kid: 'nope' })), 'The access token is not valid: the token was not signed by a published key');
  });

  it('token of the wrong type (typ JWT, e.g. an ID token) → 401 invalid_token', async () => {
    await invalidToken(await get('/items', await signer.sign({}, { typ: 'JWT' })), 'The access token is not valid: claim check failed: typ (check_failed)');
  });

  it('rejects alg none and HS256 tokens (algorithm confusion)', async () => {
    const now = Math.floor(clock.now() / 1000);
    const claims = { iss: ISSUER, sub: 's', aud: `urn:drawbridge:${ORG_ID}:${ENV}`, client_id: CLIENT_ID, iat: now, exp: now + 60, jti: 'x' };
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: 'key-1' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    expect((await get('/items', none)).status).toBe(401);
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'key-1' }).sign(new TextEncoder().encode(JSON.stringify(signer.jwk)));
    expect((await get('/items', hs)).status).toBe(401);
  });

  it('token from another issuer → 401 invalid_token', async () => {
    await invalidToken(await get('/items', await signer.sign({ iss: 'http://evil.test' })), 'The access token was not issued by a trusted issuer for this API');
  });

  it('token for another environment (audience) → 401 invalid_token', async () => {
    const res = await get('/items', await signer.sign({ aud: `urn:drawbridge:${ORG_ID}:production`, env: 'production' }));
    await invalidToken(res, "The access token is not valid for this API's organization and environment (development)");
  });

  it('token of a client without credentials in this environment → 401 invalid_token', async () => {
    await invalidToken(await get('/items', await signer.sign({ client_id: 'ghost' })), 'The client that obtained the access token has no credentials in this environment');
  });

  it('prevents app_id spoofing: app_id must match the client map', async () => {
    await invalidToken(await get('/items', await signer.sign({ app_id: 'someone-else' })), 'The client that obtained the access token has no credentials in this environment');
  });

  it('missing scope → 403 insufficient_scope with the scope', async () => {
    const res = await fetch(url('/items'), { method: 'POST', headers: { authorization: `Bearer ${await signer.sign({ scope: 'orders:read' })}` }, body: '{}' });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="drawbridge", error="insufficient_scope", error_description="This resource requires the scope orders:write", scope="orders:write"');
    expect(await res.json()).toEqual({ error: 'insufficient_scope', error_description: 'This resource requires the scope orders:write' });
  });

  it('not subscribed → 403 forbidden', async () => {
    const snap = snapshot([signer.jwk], [api(backend.url)], { subscriptions: {}, version: 2 });
    await gw.setSnapshot(snap);
    try {
      const res = await get('/items', await signer.sign());
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(await res.json()).toEqual({ code: 'forbidden', message: 'The application is not subscribed to API Orders v1' });
    } finally {
      await restore();
    }
  });

  it('revoked token → 401 invalid_token after the next snapshot', async () => {
    const token = await signer.sign({ jti: 'to-revoke' });
    expect((await get('/items', token)).status).toBe(200);
    await gw.setSnapshot(snapshot([signer.jwk], [api(backend.url)], { revokedTokens: [{ jti: 'to-revoke', exp: 0 }], version: 3 }));
    try {
      await invalidToken(await get('/items', token), 'The access token has been revoked');
    } finally {
      await restore();
    }
  });

  it('duplicate Authorization headers → 400 invalid_request', async () => {
    const token = await signer.sign();
    const res = await rawRequest(gw.url, `GET ${BASE}/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer other\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: 'invalid_request', error_description: 'The request has more than one Authorization header' });
  });

  it('a token header with characters no HTTP header may carry gets a 401, not a crashed process', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const forged = `${part({ alg: 'X€"\\\u0001', kid: 'key-1', typ: 'at+jwt' })}.${part({ iss: ISSUER, sub: 'x' })}.c2ln`;
    const res = await get('/items', forged);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="drawbridge", error="invalid_token", error_description="The access token is not valid: the key key-1 signs with ES256, not X'/"`);
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'The access token is not valid: the key key-1 signs with ES256, not X€"\\\u0001' });
    expect((await get('/items', await signer.sign())).status).toBe(200);
  });

  it('verifies a token signature once, then serves it from the cache', async () => {
    const labels = { environment: ENV, kind: 'platform', outcome: 'valid' };
    const before = await metric(gw.url, 'drawbridge_gateway_token_verifications_total', labels);
    const hitsBefore = await metric(gw.url, 'drawbridge_gateway_token_cache_total', { environment: ENV, result: 'hit' });
    const token = await signer.sign();
    const results = await Promise.all(Array.from({ length: 20 }, () => get('/items', token)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    for (let i = 0; i < 5; i++) expect((await get('/items/1', token)).status).toBe(200);
    expect(await metric(gw.url, 'drawbridge_gateway_token_verifications_total', labels)).toBe(before + 1);
    expect(await metric(gw.url, 'drawbridge_gateway_token_cache_total', { environment: ENV, result: 'hit' })).toBeGreaterThanOrEqual(hitsBefore + 5);
  });

  it('the consumer token is not forwarded to the backend', async () => {
    const res = await get('/items', await signer.sign());
    const body = (await res.json()) as any;
    expect(body.headers.authorization).toBeUndefined();
  });

  it('anonymous resources pass without a token and do not forward Authorization', async () => {
    const res = await get('/public', undefined, { authorization: 'Bearer whatever' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).headers.authorization).toBeUndefined();
  });

  describe('direct external IdP tokens', () => {
    const signExternal = (claims: JWTPayload) => {
      const now = Math.floor(clock.now() / 1000);
      return new SignJWT({ iss: IDP.issuer, aud: 'api://orders', sub: 'user-7', cid: 'okta-client', scp: ['orders:read'], iat: now, exp: now + 600, ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'okta-1' })
        .sign(externalKey.privateKey);
    };

    it('passes for a linked client, its client-id claim mapped to the application', async () => {
      const before = externalCalls.length;
      const token = await signExternal({});
      expect((await get('/items', token)).status).toBe(200);
      expect((await get('/items', token)).status).toBe(200);
      expect(externalCalls.length).toBe(before + 1);
    });

    it('an unlinked external client → 401 invalid_token', async () => {
      await invalidToken(await get('/items', await signExternal({ cid: 'stranger' })), 'The client stranger is not linked to an application in this environment');
    });

    it('the verifier refusing (wrong audience) → 401 invalid_token', async () => {
      await invalidToken(await get('/items', await signExternal({ aud: 'api://other' })), 'The access token could not be verified with its identity provider');
    });

    it('external token without the client id claim → 401 invalid_token', async () => {
      await invalidToken(await get('/items', await signExternal({ cid: undefined })), 'The access token has no cid claim identifying the client');
    });

    it('scopes from scp are enforced', async () => {
      const res = await fetch(url('/items'), { method: 'POST', headers: { authorization: `Bearer ${await signExternal({})}` }, body: '{}' });
      expect(res.status).toBe(403);
    });
  });

  async function restore(): Promise<void> {
    await gw.setSnapshot(
      snapshot([signer.jwk], [api(backend.url)], {
        identityProviders: [IDP],
        version: 10,
        clients: { builtin: { [CLIENT_ID]: APP_ID }, external: [{ idpId: IDP.id, externalClientId: 'okta-client', appId: APP_ID }] },
      }),
    );
  }
});
