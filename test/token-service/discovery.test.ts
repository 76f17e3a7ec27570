import { createServer } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newConsumer, startTestPlatform, type Consumer, type TestPlatform } from './fixture.js';

/** A free loopback port, so the issuer URL can name the port the server really listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('discovery and JWKS', () => {
  let p: TestPlatform;
  let c: Consumer;
  let issuer: string;

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    p = await startTestPlatform({ env: { DRAWBRIDGE_PUBLIC_URL: issuer }, config: { port } });
    c = await newConsumer(p, { settings: { scopes: ['read', 'write'] } });
  });
  afterAll(() => p.close());

  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    it(`${path} describes the token service with the configured issuer`, async () => {
      const res = await p.api.get(path);
      expect(res.status).toBe(200);
      // Cacheable, but never longer than the publish-ahead delay (600 s by default) allows: min(300, 600).
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.body).toEqual({
        issuer,
        token_endpoint: `${issuer}/oauth2/token`,
        jwks_uri: `${issuer}/oauth2/jwks`,
        introspection_endpoint: `${issuer}/oauth2/introspect`,
        revocation_endpoint: `${issuer}/oauth2/revoke`,
        grant_types_supported: expect.arrayContaining(['client_credentials']),
        response_types_supported: [],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        access_token_signing_alg_values_supported: ['ES256'],
      });
    });
  }

  it("metadata comes from the key ring's cached keys: no database query per request", async () => {
    expect((await p.api.get('/.well-known/openid-configuration')).status).toBe(200);
    const published = vi.spyOn(p.deps.store.signingKeys, 'published');
    try {
      for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
        const res = await p.api.get(path);
        expect(res.body.access_token_signing_alg_values_supported).toEqual(['ES256']);
      }
      expect(published).not.toHaveBeenCalled();
    } finally {
      published.mockRestore();
    }
  });

  it('publishes the signing key as a public JWK only', async () => {
    const res = await p.api.get('/oauth2/jwks');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jwk-set+json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.body.keys).toHaveLength(1);
    const [key] = res.body.keys;
    expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  });

  it("a short publish-ahead delay caps how long discovery and JWKS may be cached, minus the key ring's refresh lag and a margin", async () => {
    const short = await startTestPlatform({ env: { DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD: '90' } });
    try {
      for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/oauth2/jwks']) {
        const res = await short.api.get(path);
        expect([path, res.status, res.headers.get('cache-control')]).toEqual([path, 200, 'public, max-age=50']);
      }
    } finally {
      await short.close();
    }
  });

  it('private keys are encrypted at rest', async () => {
    const rows = await p.store.signingKeys.all();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sealedPrivateJwk).toMatch(/^v1\./);
    expect(rows[0]!.sealedPrivateJwk).not.toContain('"d"');
    expect(JSON.parse(p.deps.masterKey.decrypt(rows[0]!.sealedPrivateJwk, rows[0]!.kid))).toHaveProperty('d');
  });

  it('a standard OAuth client (oauth4webapi) discovers the server and gets a token that jose verifies against the JWKS', async () => {
    const issuerUrl = new URL(issuer);
    const options = { [oauth.allowInsecureRequests]: true };
    const as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, { ...options, algorithm: 'oauth2' }));
    expect(as.token_endpoint).toBe(`${issuer}/oauth2/token`);
    const client: oauth.Client = { client_id: c.clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(c.clientSecret), new URLSearchParams({ scope: 'read' }), options);
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    expect(result.token_type).toBe('bearer');
    expect(result.scope).toBe('read');

    const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(result.access_token, jwks, { issuer, audience: `urn:drawbridge:${c.org.id}:development`, typ: 'at+jwt' });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.client_id).toBe(c.clientId);
    expect(payload.scope).toBe('read');
  });

  it('oauth4webapi with client_secret_post works too', async () => {
    const issuerUrl = new URL(issuer);
    const options = { [oauth.allowInsecureRequests]: true };
    const as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, options));
    const client: oauth.Client = { client_id: c.clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(c.clientSecret), new URLSearchParams(), options);
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    expect(result.scope).toBe('read write');
  });
});
