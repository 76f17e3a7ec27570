import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { basic, expectOAuthError, FORM, newConsumer, postForm, startTestPlatform, type Consumer, type TestPlatform } from './fixture.js';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);

describe('introspection (RFC 7662) and revocation (RFC 7009)', () => {
  let p: TestPlatform;
  let a: Consumer;
  let b: Consumer;
  const clock = new ManualClock(NOW);
  const runtimeChanges: string[] = [];

  const tokenFor = async (c: Consumer) => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };
  const introspect = (c: Consumer, token: string) => postForm(p, '/oauth2/introspect', `token=${token}`, { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
  const revoke = (c: Consumer, body: string) => postForm(p, '/oauth2/revoke', body, { ...FORM, authorization: basic(c.clientId, c.clientSecret) });

  beforeAll(async () => {
    p = await startTestPlatform({ clock });
    p.store.changes.subscribe(({ changes }) => runtimeChanges.push(...changes.map((c) => c.kind)));
    a = await newConsumer(p, { settings: { scopes: ['read'], tokenLifetime: 600 } });
    b = await newConsumer(p, { name: 'Other' });
  });
  afterAll(() => p.close());

  it("describes a live token of the caller's organization", async () => {
    const token = await tokenFor(a);
    const res = await introspect(a, token);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({
      active: true,
      token_type: 'Bearer',
      iss: p.config.publicUrl,
      sub: a.clientId,
      aud: `urn:drawbridge:${a.org.id}:development`,
      client_id: a.clientId,
      scope: 'read',
      iat: NOW / 1000,
      exp: NOW / 1000 + 600,
      jti: expect.any(String),
      org_id: a.org.id,
      env: 'development',
      app_id: a.appId,
    });
  });

  it('a token of another organization is just inactive', async () => {
    const res = await introspect(b, await tokenFor(a));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(res.text).toBe('{"active":false}');
  });

  it('garbage, a forged signature and an expired token are inactive', async () => {
    const token = await tokenFor(a);
    expect((await introspect(a, 'not-a-jwt')).body).toEqual({ active: false });
    const [h, pl] = token.split('.');
    expect((await introspect(a, `${h}.${pl}.AAAA`)).body).toEqual({ active: false });

    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ client_id: a.clientId, org_id: a.org.id, env: 'development', scope: '', jti: 'x', sub: 's', aud: 'a' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: JSON.parse(Buffer.from(h!, 'base64url').toString()).kid })
      .setIssuer(p.config.publicUrl)
      .setIssuedAt(NOW / 1000)
      .setExpirationTime(NOW / 1000 + 60)
      .sign(privateKey);
    expect((await introspect(a, forged)).body).toEqual({ active: false });

    clock.advance(601_000);
    expect((await introspect(a, token)).body).toEqual({ active: false });
    clock.set(NOW);
  });

  it('an unsigned token (alg none) is never active', async () => {
    const [h, pl] = (await tokenFor(a)).split('.');
    const header = { ...JSON.parse(Buffer.from(h!, 'base64url').toString()), alg: 'none' };
    const unsigned = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${pl}.`;
    expect((await introspect(a, unsigned)).body).toEqual({ active: false });
  });

  it('a token HMAC-signed with the published public key is never active (algorithm confusion)', async () => {
    const [h, pl] = (await tokenFor(a)).split('.');
    const kid = JSON.parse(Buffer.from(h!, 'base64url').toString()).kid;
    const jwk = (await p.api.get('/oauth2/jwks')).body.keys.find((k: { kid: string }) => k.kid === kid);
    const { createHmac } = await import('node:crypto');
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid })).toString('base64url');
    const sig = createHmac('sha256', JSON.stringify(jwk)).update(`${header}.${pl}`).digest('base64url');
    expect((await introspect(a, `${header}.${pl}.${sig}`)).body).toEqual({ active: false });
  });

  it('a token whose claims were altered after signing is never active', async () => {
    const [h, pl, sig] = (await tokenFor(a)).split('.');
    const claims = { ...JSON.parse(Buffer.from(pl!, 'base64url').toString()), scope: 'read admin' };
    expect((await introspect(a, `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`)).body).toEqual({ active: false });
  });

  it('introspection requires client authentication', async () => {
    const token = await tokenFor(a);
    expectOAuthError(await postForm(p, '/oauth2/introspect', `token=${token}`), 401, 'invalid_client', 'Client authentication is required (client_secret_basic or client_secret_post)');
    expectOAuthError(await postForm(p, '/oauth2/introspect', `token=${token}`, { ...FORM, authorization: basic(a.clientId, 'dbs_wrong') }), 401, 'invalid_client', 'Client authentication failed');
  });

  it('introspection requires the token parameter', async () => {
    const res = await postForm(p, '/oauth2/introspect', '', { ...FORM, authorization: basic(a.clientId, a.clientSecret) });
    expectOAuthError(res, 400, 'invalid_request', 'The token parameter is required');
  });

  it('a revoked token is inactive, and the gateways are told', async () => {
    const token = await tokenFor(a);
    runtimeChanges.length = 0;
    const res = await revoke(a, `token=${token}&token_type_hint=access_token`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(runtimeChanges).toEqual(['revocations']);
    expect((await introspect(a, token)).body).toEqual({ active: false });
    const active = await p.store.revocations.active(a.org.id, 'development');
    expect(active.map((r) => r.expiresAt)).toContain(new Date(NOW + 600_000).toISOString());
  });

  it('revoking twice is still 200', async () => {
    const token = await tokenFor(a);
    expect((await revoke(a, `token=${token}`)).status).toBe(200);
    expect((await revoke(a, `token=${token}`)).status).toBe(200);
  });

  it('an unknown or malformed token is 200 (RFC 7009 §2.2)', async () => {
    runtimeChanges.length = 0;
    expect((await revoke(a, 'token=whatever')).status).toBe(200);
    expect(runtimeChanges).toEqual([]);
  });

  it('another client cannot revoke a token it was not issued', async () => {
    const token = await tokenFor(a);
    const res = await revoke(b, `token=${token}`);
    expect(res.status).toBe(200);
    expect((await introspect(a, token)).body.active).toBe(true);
  });

  it('revocation requires client authentication and the token parameter', async () => {
    const token = await tokenFor(a);
    expectOAuthError(await postForm(p, '/oauth2/revoke', `token=${token}`), 401, 'invalid_client', 'Client authentication is required (client_secret_basic or client_secret_post)');
    expectOAuthError(await postForm(p, '/oauth2/revoke', `token=${token}`, { ...FORM, authorization: basic(a.clientId, 'dbs_wrong') }), 401, 'invalid_client', 'Client authentication failed');
    // Refused requests revoked nothing.
    expect((await introspect(a, token)).body.active).toBe(true);
    const missing = await revoke(a, 'token_type_hint=access_token');
    expectOAuthError(missing, 400, 'invalid_request', 'The token parameter is required');
  });

  it('a repeated token parameter is refused', async () => {
    const res = await revoke(a, 'token=a&token=b');
    expectOAuthError(res, 400, 'invalid_request', 'The token parameter is repeated');
  });

  it('introspection and revocation refuse a JSON body like the token endpoint', async () => {
    for (const path of ['/oauth2/introspect', '/oauth2/revoke']) {
      const res = await postForm(p, path, JSON.stringify({ token: 'x' }), { 'content-type': 'application/json', authorization: basic(a.clientId, a.clientSecret) });
      expectOAuthError(res, 400, 'invalid_request', 'Send the body as application/x-www-form-urlencoded');
    }
  });
});
