/**
 * A real external identity provider for tests: `oidc-provider` 9 on
 * 127.0.0.1 (ephemeral port, plain http: start the platform with
 * `DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS=true`).
 *
 *     const idp = await startTestIdp();            // { audience: 'https://api.test', alg: 'RS256' }
 *     idp.wellKnownUrl                             // `${issuer}/.well-known/openid-configuration`
 *     await idp.clientCredentialsToken()           // a JWT access token (typ at+jwt) issued by oidc-provider
 *     await idp.sign({ sub: 'u1', aud: ... })      // any claims, signed with the IdP's current signing key
 *     await idp.rotateKeys()                       // new signing key (new kid) published first; old one kept published
 *     idp.setJwksFailing(true)                     // the JWKS endpoint answers 503 (an outage)
 *     idp.jwksRequests                             // JWKS fetches the IdP has served (or refused)
 *     await idp.close()                            // closes within ~2 s even with keep-alive connections
 *
 * Client: `clientId`/`clientSecret` (client credentials, scopes `read write`).
 * Access tokens: `aud` = the resource (`audience` by default), `client_id` =
 * the client, `sub` = the client (client credentials), header `typ: at+jwt`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
// @ts-expect-error oidc-provider ships no type declarations
import Provider from 'oidc-provider';

export interface TestIdpOptions {
  /** Default resource / audience of access tokens. */
  audience?: string;
  alg?: 'RS256' | 'ES256' | 'PS256' | 'EdDSA';
  clientId?: string;
  clientSecret?: string;
  /** Access-token lifetime in seconds. */
  accessTokenTtl?: number;
}

export interface TestIdp {
  issuer: string;
  wellKnownUrl: string;
  jwksUri: string;
  tokenEndpoint: string;
  audience: string;
  clientId: string;
  clientSecret: string;
  /** kid of the current signing key. */
  readonly kid: string;
  readonly jwksRequests: number;
  clientCredentialsToken(options?: { scope?: string; resource?: string }): Promise<string>;
  /** Signs `claims` with the current signing key; `iss` defaults to the issuer, `iat`/`exp` to now/+5 min. */
  sign(claims: Record<string, unknown>, options?: { header?: Record<string, unknown>; omit?: string[] }): Promise<string>;
  /** The current signing key's private JWK (to build hostile tokens such as HS256-with-the-public-key). */
  publicJwk(): JWK;
  rotateKeys(): Promise<void>;
  setJwksFailing(failing: boolean): void;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  privateKey: Parameters<SignJWT['sign']>[0];
}

let kidCounter = 0;

async function newKey(alg: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `test-${alg.toLowerCase()}-${++kidCounter}-${Date.now().toString(36)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, privateJwk, publicJwk, privateKey };
}

export async function startTestIdp(options: TestIdpOptions = {}): Promise<TestIdp> {
  const alg = options.alg ?? 'RS256';
  const audience = options.audience ?? 'https://api.test';
  const clientId = options.clientId ?? 'test-client';
  const clientSecret = options.clientSecret ?? 'test-client-secret-0123456789abcdef';
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  let jwksRequests = 0;
  let jwksFailing = false;
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/jwks')) {
      jwksRequests++;
      if (jwksFailing) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
        return;
      }
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let keys: SigningKey[] = [await newKey(alg)];

  const build = () => {
    const provider = new Provider(issuer, {
      clients: [{ client_id: clientId, client_secret: clientSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: 'read write' }],
      // The first key signs; the others stay published (rotation).
      jwks: { keys: keys.map((k) => k.privateJwk) as never },
      scopes: ['read', 'write'],
      ttl: { ClientCredentials: options.accessTokenTtl ?? 3600 },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: false },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => audience,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resourceIndicator: string) => ({
            scope: 'read write',
            audience: resourceIndicator,
            accessTokenFormat: 'jwt',
            accessTokenTTL: options.accessTokenTtl ?? 3600,
            jwt: { sign: { alg } },
          }),
        },
      },
      enabledJWA: { idTokenSigningAlgValues: [alg] },
    } as never);
    // Test noise: oidc-provider logs every server error on the console.
    provider.on('server_error', () => {});
    handler = provider.callback();
  };
  build();

  const tokenEndpoint = `${issuer}/token`;
  return {
    issuer,
    wellKnownUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUri: `${issuer}/jwks`,
    tokenEndpoint,
    audience,
    clientId,
    clientSecret,
    get kid() {
      return keys[0]!.kid;
    },
    get jwksRequests() {
      return jwksRequests;
    },
    async clientCredentialsToken(opts = {}) {
      const form = new URLSearchParams({ grant_type: 'client_credentials', resource: opts.resource ?? audience, scope: opts.scope ?? 'read' });
      const res = await fetch(tokenEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
        },
        body: form,
      });
      const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
      if (res.status !== 200 || !body.access_token) throw new Error(`test IdP token request failed: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async sign(claims, opts = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = { iss: issuer, iat: now, exp: now + 300, ...claims };
      for (const name of opts.omit ?? []) delete payload[name];
      const key = keys[0]!;
      return new SignJWT(payload).setProtectedHeader({ alg, kid: key.kid, ...opts.header } as never).sign(key.privateKey);
    },
    publicJwk: () => keys[0]!.publicJwk,
    async rotateKeys() {
      keys = [await newKey(alg), ...keys];
      build();
    },
    setJwksFailing(failing) {
      jwksFailing = failing;
    },
    async close() {
      server.closeIdleConnections();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const timeout = new Promise<void>((resolve) =>
        setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, 2000).unref(),
      );
      await Promise.race([closed, timeout]);
    },
  };
}
