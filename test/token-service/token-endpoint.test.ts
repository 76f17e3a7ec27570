import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPlatformKeys, verifyPlatformToken } from '../../src/gateway/tokens.js';
import { ManualClock } from '../../src/shared/clock.js';
import { basic, expectOAuthError, FORM, newConsumer, postForm, startTestPlatform, type Consumer, type TestPlatform } from './fixture.js';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);

describe('token endpoint: client credentials', () => {
  let p: TestPlatform;
  let c: Consumer;
  const clock = new ManualClock(NOW);

  beforeAll(async () => {
    p = await startTestPlatform({ clock });
    c = await newConsumer(p, { settings: { scopes: ['orders:read', 'orders:write'], tokenLifetime: 900 } });
  });
  afterAll(() => p.close());

  it('issues an RFC 9068 access token with the contract claims', async () => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'orders:read orders:write' });

    const header = decodeProtectedHeader(res.body.access_token);
    expect(header.typ).toBe('at+jwt');
    expect(header.alg).toBe('ES256');
    const jwks = (await p.api.get('/oauth2/jwks')).body;
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
    const { payload } = await jwtVerify(res.body.access_token, createLocalJWKSet(jwks), {
      issuer: p.config.publicUrl,
      typ: 'at+jwt',
      currentDate: new Date(NOW),
      audience: `urn:drawbridge:${c.org.id}:development`,
    });
    expect(payload).toEqual({
      iss: p.config.publicUrl,
      sub: c.clientId,
      aud: `urn:drawbridge:${c.org.id}:development`,
      client_id: c.clientId,
      scope: 'orders:read orders:write',
      iat: NOW / 1000,
      exp: NOW / 1000 + 900,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      org_id: c.org.id,
      env: 'development',
      app_id: c.appId,
    });
  });

  it('accepts client_secret_post', async () => {
    const res = await postForm(p, '/oauth2/token', `grant_type=client_credentials&client_id=${c.clientId}&client_secret=${c.clientSecret}&scope=orders%3Aread`);
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('orders:read');
  });

  it('grants only the requested scopes, de-duplicated', async () => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials&scope=orders%3Awrite+orders%3Awrite', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('orders:write');
  });

  it('refuses a scope the client may not have: invalid_scope', async () => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials&scope=orders%3Aread+admin', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(res, 400, 'invalid_scope', 'The client may not request the scope "admin"');
  });

  it('refuses a malformed scope: invalid_scope', async () => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials&scope=orders%3Aread++x', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(res, 400, 'invalid_scope', 'The scope parameter is malformed: scopes are separated by single spaces');
  });

  it('answers an unknown grant type with unsupported_grant_type', async () => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=password&username=a&password=b', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(res, 400, 'unsupported_grant_type', 'The grant type is not supported; supported: client_credentials, urn:ietf:params:oauth:grant-type:token-exchange');
  });

  it('answers a grant the client may not use with unauthorized_client', async () => {
    const other = await newConsumer(p, { settings: { grantTypes: ['urn:ietf:params:oauth:grant-type:token-exchange'] } });
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials', { ...FORM, authorization: basic(other.clientId, other.clientSecret) });
    expectOAuthError(res, 400, 'unauthorized_client', "This client may not use the client_credentials grant; enable it on the client's credentials");
  });

  it('requires grant_type', async () => {
    const res = await postForm(p, '/oauth2/token', 'scope=orders%3Aread', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(res, 400, 'invalid_request', 'The grant_type parameter is required');
  });

  it('refuses a repeated parameter', async () => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials&grant_type=client_credentials', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(res, 400, 'invalid_request', 'The grant_type parameter is repeated');
  });

  it('refuses a repeated parameter even when one copy is empty', async () => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials&scope=&scope=admin', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(res, 400, 'invalid_request', 'The scope parameter is repeated');
  });

  it('refuses a JSON body: invalid_request', async () => {
    const res = await postForm(p, '/oauth2/token', JSON.stringify({ grant_type: 'client_credentials' }), { 'content-type': 'application/json', authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(res, 400, 'invalid_request', 'Send the body as application/x-www-form-urlencoded');
  });

  it('refuses a body without a content type', async () => {
    // An empty header value (fetch cannot omit it: it would send text/plain for a string body).
    const empty = await postForm(p, '/oauth2/token', 'grant_type=client_credentials', { authorization: basic(c.clientId, c.clientSecret), 'content-type': '' });
    expectOAuthError(empty, 400, 'invalid_request', 'Send the body as application/x-www-form-urlencoded');
    // No Content-Type header at all.
    const none = await postForm(p, '/oauth2/token', new Blob(['grant_type=client_credentials']), { authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(none, 400, 'invalid_request', 'Send the body as application/x-www-form-urlencoded');
  });

  it('refuses a form in another charset', async () => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials', {
      'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1',
      authorization: basic(c.clientId, c.clientSecret),
    });
    expectOAuthError(res, 400, 'invalid_request', 'Send the body as application/x-www-form-urlencoded');
  });

  it('accepts the form content type with charset=UTF-8', async () => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials', {
      'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
      authorization: basic(c.clientId, c.clientSecret),
    });
    expect(res.status).toBe(200);
  });

  it('answers an oversized body with 413 invalid_request', async () => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials&pad=' + 'x'.repeat(20 * 1024), { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(res, 413, 'invalid_request', 'The request body is too large');
  });

  it('refuses malformed percent-encoding', async () => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials&scope=%E0%A4%A', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(res, 400, 'invalid_request', 'The form body is not valid application/x-www-form-urlencoded');
  });

  it('refuses parameters in the URL query', async () => {
    const res = await postForm(p, '/oauth2/token?grant_type=client_credentials', '', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(res, 400, 'invalid_request', 'Send the parameters in the form body, not in the URL query');
  });

  it('caps the lifetime at the credential setting and counts from the clock', async () => {
    clock.advance(60_000);
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    const { payload } = await jwtVerify(res.body.access_token, createLocalJWKSet((await p.api.get('/oauth2/jwks')).body), { currentDate: new Date(clock.now()) });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(payload.iat).toBe(NOW / 1000 + 60);
  });

  it('issues tokens with the default 3600 s lifetime and no scope (neither in the answer nor in the JWT) when nothing is granted', async () => {
    const plain = await newConsumer(p);
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials', { ...FORM, authorization: basic(plain.clientId, plain.clientSecret) });
    expect(res.status).toBe(200);
    // RFC 6749 §3.3 / §5.1: an empty grant is not `scope: ""`; the member is left out.
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    const claims = decodeJwt(res.body.access_token);
    expect(claims).not.toHaveProperty('scope');
    expect(Object.keys(claims).sort()).toEqual(['app_id', 'aud', 'client_id', 'env', 'exp', 'iat', 'iss', 'jti', 'org_id', 'sub']);
    // Introspection reports it without a scope too, and it is still active.
    const intro = await postForm(p, '/oauth2/introspect', `token=${res.body.access_token}`, { ...FORM, authorization: basic(plain.clientId, plain.clientSecret) });
    expect(intro.body.active).toBe(true);
    expect(intro.body).not.toHaveProperty('scope');
    // The gateway's verifier takes a token without `scope` as one with no scopes.
    const keys = importPlatformKeys(p.config.publicUrl, (await p.api.get('/oauth2/jwks')).body.keys);
    const principal = await verifyPlatformToken(res.body.access_token, keys, clock);
    expect([...principal.scopes]).toEqual([]);
    expect(principal.clientId).toBe(plain.clientId);
  });
});
