import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exchange, startWorld, TT, type World } from './setup.js';

describe('token exchange with a real external IdP (oidc-provider)', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  }, 30_000);
  afterAll(async () => {
    await w?.close();
  });

  it('exchanges an IdP access token for a platform token for the same user', async () => {
    const subjectToken = await w.idp.clientCredentialsToken();
    const res = await exchange(w, { subject_token: subjectToken, subject_token_type: TT.access, scope: 'read' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({ access_token: expect.any(String), issued_token_type: TT.access, token_type: 'Bearer', expires_in: expect.any(Number), scope: 'read' });
    const jwks = createLocalJWKSet((await w.platform.api.get('/oauth2/jwks')).body);
    const { payload, protectedHeader } = await jwtVerify(res.body.access_token, jwks, { issuer: w.platform.config.publicUrl, currentDate: new Date(w.clock.now()) });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload.sub).toBe(w.idp.clientId);
    expect(payload.idp).toBe('corp');
    expect(payload.client_id).toBe(w.client.clientId);
    expect(payload.aud).toBe(`urn:drawbridge:${w.org.id}:development`);
    expect(payload.scope).toBe('read');
  });

  it('never issues a token that outlives the subject token', async () => {
    const subjectToken = await w.idp.sign({ sub: 'short-lived', aud: w.idp.audience, client_id: 'x', exp: Math.floor(w.clock.now() / 1000) + 90 }, { header: { typ: 'at+jwt' } });
    const res = await exchange(w, { subject_token: subjectToken, subject_token_type: TT.access });
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBeLessThanOrEqual(90);
    expect(res.body.scope).toBe('read write');
    const claims = decodeJwt(res.body.access_token);
    expect(claims.exp! - claims.iat!).toBe(res.body.expires_in);
  });

  it('refuses a subject token that has expired by our clock even within the allowed skew (the issued token may not outlive it)', async () => {
    const exp = Math.floor(w.clock.now() / 1000) - 30;
    const subjectToken = await w.idp.sign({ sub: 'late', aud: w.idp.audience, iat: exp - 300, exp }, { header: { typ: 'at+jwt' } });
    const res = await exchange(w, { subject_token: subjectToken, subject_token_type: TT.access });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: `The subject token was refused (expiry): it expired at ${new Date(exp * 1000).toISOString()}; a token can only be exchanged while it is still valid`,
    });
  });

  it('finds the IdP without a database query per exchange, and sees an IdP change made here at once', async () => {
    const token = await w.idp.clientCredentialsToken();
    const repo = w.platform.store.identityProviders;
    const original = repo.list.bind(repo);
    let reads = 0;
    // Only reads made for the grant count (the snapshot publisher lists IdPs on its own schedule).
    const list = vi.spyOn(repo, 'list').mockImplementation((orgId) => {
      if (new Error().stack?.includes('IdpListCache')) reads++;
      return original(orgId);
    });
    try {
      // Past the cache's lifetime (1 s of real time) of the list earlier tests read.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      for (let i = 0; i < 10; i++) expect((await exchange(w, { subject_token: token, subject_token_type: TT.access })).status).toBe(200);
      // One read for ten exchanges (ten within one second would still be one).
      expect(reads).toBe(1);
      const changed = await w.platform.admin.patch(`/api/v1/orgs/${w.org.handle}/identity-providers/corp`, { audiences: ['https://not-this-one.test'] });
      expect(changed.status).toBe(200);
      const refused = await exchange(w, { subject_token: token, subject_token_type: TT.access });
      expect(refused.body).toEqual({
        error: 'invalid_request',
        error_description: `The subject token was refused (audience): None of the token's audiences (${JSON.stringify(w.idp.audience)}) is allowed for identity provider "corp"`,
      });
    } finally {
      list.mockRestore();
      expect((await w.platform.admin.patch(`/api/v1/orgs/${w.org.handle}/identity-providers/corp`, { audiences: [w.idp.audience] })).status).toBe(200);
    }
    expect((await exchange(w, { subject_token: token, subject_token_type: TT.access })).status).toBe(200);
  });

  it('accepts the generic JWT token type', async () => {
    const res = await exchange(w, { subject_token: await w.idp.clientCredentialsToken(), subject_token_type: TT.jwt, requested_token_type: TT.access });
    expect(res.status).toBe(200);
  });

  it('refuses a scope the client may not have with invalid_scope', async () => {
    const res = await exchange(w, { subject_token: await w.idp.clientCredentialsToken(), subject_token_type: TT.access, scope: 'admin' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_scope');
  });

  describe('request parameters', () => {
    it('requires subject_token and subject_token_type', async () => {
      expect((await exchange(w, { subject_token_type: TT.access })).body).toEqual({ error: 'invalid_request', error_description: 'The subject_token parameter is required' });
      expect((await exchange(w, { subject_token: 'a.b.c' })).body).toEqual({ error: 'invalid_request', error_description: 'The subject_token_type parameter is required' });
    });

    it('refuses an unsupported subject_token_type and requested_token_type', async () => {
      const token = await w.idp.clientCredentialsToken();
      const a = await exchange(w, { subject_token: token, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' });
      expect(a.status).toBe(400);
      expect(a.body.error).toBe('invalid_request');
      expect(a.body.error_description).toMatch(/^subject_token_type must be one of/);
      const b = await exchange(w, { subject_token: token, subject_token_type: TT.access, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' });
      expect(b.body).toEqual({ error: 'invalid_request', error_description: `requested_token_type "urn:ietf:params:oauth:token-type:refresh_token" cannot be issued; only ${TT.access} is supported` });
    });

    it('refuses actor_token without actor_token_type and the reverse', async () => {
      const token = await w.idp.clientCredentialsToken();
      expect((await exchange(w, { subject_token: token, subject_token_type: TT.access, actor_token: token })).body).toEqual({
        error: 'invalid_request',
        error_description: 'actor_token_type is required when actor_token is present',
      });
      expect((await exchange(w, { subject_token: token, subject_token_type: TT.access, actor_token_type: TT.access })).body).toEqual({
        error: 'invalid_request',
        error_description: 'actor_token_type must not be sent without actor_token',
      });
    });

    it('answers invalid_target for an audience or resource it will not issue for', async () => {
      const token = await w.idp.clientCredentialsToken();
      const a = await exchange(w, { subject_token: token, subject_token_type: TT.access, audience: 'https://elsewhere.example' });
      expect(a.status).toBe(400);
      expect(a.body).toEqual({ error: 'invalid_target', error_description: `Tokens can only be issued for audience urn:drawbridge:${w.org.id}:development (this client's environment "development")` });
      const b = await exchange(w, { subject_token: token, subject_token_type: TT.access, resource: 'https://evil.example/api' });
      expect(b.body.error).toBe('invalid_target');
      const ok = await exchange(w, { subject_token: token, subject_token_type: TT.access, audience: `urn:drawbridge:${w.org.id}:development` });
      expect(ok.status).toBe(200);
    });

    it('is unauthorized_client for a client without the token-exchange grant', async () => {
      const { newClient } = await import('./setup.js');
      const other = await newClient(w.platform.admin, w.org.handle, 'cc-only', ['client_credentials']);
      const res = await exchange(w, { subject_token: await w.idp.clientCredentialsToken(), subject_token_type: TT.access }, other);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('unauthorized_client');
    });
  });

  it('never echoes the subject token in an error', async () => {
    const token = await w.idp.sign({ sub: 'u', aud: 'https://wrong.example', client_id: 'x' }, { header: { typ: 'at+jwt' } });
    const res = await exchange(w, { subject_token: token, subject_token_type: TT.access });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain(token);
    expect(res.text).not.toContain(token.split('.')[1]);
  });
});

/** Keycloak marks token types with a payload claim: `typ: Bearer` (access token) or `typ: ID` (ID token). */
describe('token exchange with Keycloak-style claim token typing', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ idpBody: { name: 'kc', kind: 'keycloak', tokenTyping: undefined } });
  }, 30_000);
  afterAll(async () => {
    await w?.close();
  });

  const token = (typ: string | undefined) => w.idp.sign({ sub: 'carol', aud: w.idp.audience, azp: 'kc-app', ...(typ !== undefined && { typ }) });

  it('uses the keycloak preset: claim typing', async () => {
    expect((await w.platform.admin.get(`/api/v1/orgs/${w.org.handle}/identity-providers/kc`)).body.tokenTyping).toBe('claim');
  });

  it('accepts typ Bearer as an access token and typ ID as an ID token', async () => {
    expect((await exchange(w, { subject_token: await token('Bearer'), subject_token_type: TT.access })).status).toBe(200);
    expect((await exchange(w, { subject_token: await token('ID'), subject_token_type: TT.id })).status).toBe(200);
  });

  it('refuses typ ID declared as an access token, and typ Bearer declared as an ID token', async () => {
    expect((await exchange(w, { subject_token: await token('ID'), subject_token_type: TT.access })).body).toEqual({
      error: 'invalid_request',
      error_description: 'The subject token was refused (token-type): An ID token was presented where an access token was declared',
    });
    expect((await exchange(w, { subject_token: await token('Bearer'), subject_token_type: TT.id })).body).toEqual({
      error: 'invalid_request',
      error_description: 'The subject token was refused (token-type): An access token was presented where an ID token was declared',
    });
  });

  it('treats a token without the typ claim as unmarked (accepted for either declaration)', async () => {
    expect((await exchange(w, { subject_token: await token(undefined), subject_token_type: TT.access })).status).toBe(200);
    expect((await exchange(w, { subject_token: await token(undefined), subject_token_type: TT.id })).status).toBe(200);
  });
});
