// Over 300 lines on purpose: the registry's CRUD and validation cases share one platform and one mock IdP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { startTestPlatform, type Api, type TestPlatform } from '../helpers/platform.js';
import { newClient } from './setup.js';

describe('identity provider registry', () => {
  let platform: TestPlatform;
  let idp: TestIdp;
  let admin: Api;
  let handle: string;
  const base = () => `/api/v1/orgs/${handle}/identity-providers`;

  beforeAll(async () => {
    idp = await startTestIdp();
    platform = await startTestPlatform({ env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' } });
    admin = platform.admin;
    handle = (await admin.post('/api/v1/orgs', { name: 'Acme' })).body.handle;
  }, 30_000);
  afterAll(async () => {
    await platform?.close();
    await idp?.close();
  });

  it('discover returns the metadata and saves nothing', async () => {
    const res = await admin.post(`${base()}/discover`, { wellKnownUrl: idp.wellKnownUrl });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      wellKnownUrl: idp.wellKnownUrl,
      issuer: idp.issuer,
      expectedIssuer: idp.issuer,
      issuerMatches: true,
      tokenEndpoint: idp.tokenEndpoint,
      jwksUri: idp.jwksUri,
      signingAlgs: ['RS256'],
    });
    expect((await admin.get(base())).body).toEqual([]);
  });

  it('creates an IdP from discovery with kind presets and fetches its keys at once', async () => {
    const res = await admin.post(base(), { name: 'okta-prod', kind: 'okta', description: 'Workforce', wellKnownUrl: idp.wellKnownUrl, audiences: ['api://default'] });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'okta-prod',
      description: 'Workforce',
      kind: 'okta',
      wellKnownUrl: idp.wellKnownUrl,
      issuer: idp.issuer,
      allowedTenantIds: [],
      tokenEndpoint: idp.tokenEndpoint,
      jwksUri: idp.jwksUri,
      audiences: ['api://default'],
      clientIdClaims: ['cid'],
      subjectClaim: 'sub',
      tokenTyping: 'none',
      clockSkew: 60,
      maxTokenAge: 86400,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      keys: { fetchedAt: expect.any(String), keyIds: [idp.kid], lastError: null },
    });
    const events = (await admin.get(`/api/v1/orgs/${handle}/audit`)).body as { action: string; details: unknown }[];
    const created = events.find((e) => e.action === 'identity-provider.created');
    expect(created?.details).toEqual({ name: 'okta-prod', kind: 'okta', issuer: idp.issuer, audiences: ['api://default'], jwksUri: idp.jwksUri });
  });

  it('applies the Microsoft preset: azp then appid', async () => {
    const res = await admin.post(base(), {
      name: 'entra',
      kind: 'microsoft',
      issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
      jwksUri: idp.jwksUri,
      audiences: ['api://entra'],
      allowedTenantIds: ['11111111-2222-3333-4444-555555555555'],
    });
    expect(res.status).toBe(201);
    expect(res.body.clientIdClaims).toEqual(['azp', 'appid']);
    expect(res.body.issuer).toBe('https://login.microsoftonline.com/{tenantid}/v2.0');
    const noTenants = await admin.post(base(), { name: 'entra2', kind: 'microsoft', issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', jwksUri: idp.jwksUri, audiences: ['api://x'] });
    expect(noTenants.status).toBe(422);
    expect(noTenants.body.fields).toEqual({ allowedTenantIds: 'is required for an issuer template' });
  });

  it('refuses a discovered issuer that does not match the well-known URL unless overridden (RFC 8414 §3.3)', async () => {
    const liar = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: 'https://someone-else.example', jwks_uri: idp.jwksUri, token_endpoint: idp.tokenEndpoint }));
    });
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}/.well-known/openid-configuration`;
    try {
      const refused = await admin.post(base(), { name: 'liar', kind: 'generic-oidc', wellKnownUrl: url, audiences: ['x'] });
      expect(refused.status).toBe(422);
      expect(refused.body).toEqual({
        code: 'unprocessable',
        message: `The discovery document names issuer "https://someone-else.example", but it was fetched for issuer "${url.replace('/.well-known/openid-configuration', '')}" (RFC 8414 §3.3). Set issuerOverride: true to accept it anyway.`,
        fields: { issuer: 'does not match the well-known URL' },
      });
      const accepted = await admin.post(base(), { name: 'liar', kind: 'generic-oidc', wellKnownUrl: url, audiences: ['x'], issuerOverride: true });
      expect(accepted.status).toBe(201);
      expect(accepted.body.issuer).toBe('https://someone-else.example');
      expect((await admin.delete(`${base()}/liar`)).status).toBe(204);
    } finally {
      liar.closeAllConnections();
      liar.close();
    }
  });

  it('refuses two IdPs with the same issuer and overlapping audiences (409), allows distinct audiences', async () => {
    const dup = await admin.post(base(), { name: 'okta-copy', kind: 'okta', wellKnownUrl: idp.wellKnownUrl, audiences: ['api://other', 'api://default'] });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({
      code: 'conflict',
      message: `Identity provider "okta-prod" already accepts issuer ${JSON.stringify(idp.issuer)} for audience "api://default"; use distinct audiences or edit that provider`,
      fields: { audiences: 'overlap with another provider of the same issuer' },
    });
    const distinct = await admin.post(base(), { name: 'okta-copy', kind: 'okta', wellKnownUrl: idp.wellKnownUrl, audiences: ['api://other'] });
    expect(distinct.status).toBe(201);
    const overlapByUpdate = await admin.patch(`${base()}/okta-copy`, { audiences: ['api://default'] });
    expect(overlapByUpdate.status).toBe(409);
    expect((await admin.delete(`${base()}/okta-copy`)).status).toBe(204);
  });

  it("refuses an exact issuer that another IdP's {tenantid} template accepts with an allowed tenant, and the reverse (409)", async () => {
    const conflictBody = (other: string, issuer: string, audience: string) => ({
      code: 'conflict',
      message: `Identity provider "${other}" already accepts issuer ${JSON.stringify(issuer)} for audience ${JSON.stringify(audience)}; use distinct audiences or edit that provider`,
      fields: { audiences: 'overlap with another provider of the same issuer' },
    });
    // Template first, then an exact issuer of one of its tenants.
    const template = 'https://login.example/{tenantid}/v2.0';
    expect((await admin.post(base(), { name: 'mt', kind: 'microsoft', issuer: template, jwksUri: idp.jwksUri, audiences: ['api://mt'], allowedTenantIds: ['Tenant-A'] })).status).toBe(201);
    const exact = await admin.post(base(), { name: 'single', kind: 'generic-oidc', issuer: 'https://login.example/tenant-a/v2.0', jwksUri: idp.jwksUri, audiences: ['api://mt'] });
    expect(exact.status).toBe(409);
    expect(exact.body).toEqual(conflictBody('mt', 'https://login.example/tenant-a/v2.0', 'api://mt'));
    // A tenant the template does not allow, or a distinct audience, is no overlap.
    expect((await admin.post(base(), { name: 'other-tenant', kind: 'generic-oidc', issuer: 'https://login.example/tenant-z/v2.0', jwksUri: idp.jwksUri, audiences: ['api://mt'] })).status).toBe(201);
    expect((await admin.post(base(), { name: 'single', kind: 'generic-oidc', issuer: 'https://login.example/tenant-a/v2.0', jwksUri: idp.jwksUri, audiences: ['api://single'] })).status).toBe(201);
    // Allowing tenant-z on the template now overlaps "other-tenant".
    const widened = await admin.patch(`${base()}/mt`, { allowedTenantIds: ['Tenant-A', 'tenant-z'] });
    expect(widened.status).toBe(409);
    expect(widened.body).toEqual(conflictBody('other-tenant', 'https://login.example/tenant-z/v2.0', 'api://mt'));

    // Exact issuer first, then a template allowing its tenant.
    expect((await admin.post(base(), { name: 'exact-b', kind: 'generic-oidc', issuer: 'https://login2.example/tenant-b/v2.0', jwksUri: idp.jwksUri, audiences: ['api://b'] })).status).toBe(201);
    const covering = await admin.post(base(), {
      name: 'mt-b',
      kind: 'microsoft',
      issuer: 'https://login2.example/{tenantid}/v2.0',
      jwksUri: idp.jwksUri,
      audiences: ['api://b'],
      allowedTenantIds: ['tenant-c', 'tenant-b'],
    });
    expect(covering.status).toBe(409);
    expect(covering.body).toEqual(conflictBody('exact-b', 'https://login2.example/tenant-b/v2.0', 'api://b'));
    expect(
      (await admin.post(base(), { name: 'mt-b', kind: 'microsoft', issuer: 'https://login2.example/{tenantid}/v2.0', jwksUri: idp.jwksUri, audiences: ['api://b'], allowedTenantIds: ['tenant-c'] }))
        .status,
    ).toBe(201);

    for (const name of ['mt', 'single', 'other-tenant', 'exact-b', 'mt-b']) expect((await admin.delete(`${base()}/${name}`)).status).toBe(204);
  });

  it('refuses a duplicate name with 409', async () => {
    const res = await admin.post(base(), { name: 'okta-prod', kind: 'okta', issuer: 'https://x.example', jwksUri: 'https://x.example/jwks', audiences: ['a'] });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 'conflict', message: 'An identity provider named "okta-prod" already exists', fields: { name: 'is taken' } });
  });

  it('updates fields but refuses to rename (422)', async () => {
    const renamed = await admin.patch(`${base()}/okta-prod`, { name: 'okta-new' });
    expect(renamed.status).toBe(422);
    expect(renamed.body).toEqual({
      code: 'unprocessable',
      message: 'The name of an identity provider cannot be changed (it is "okta-prod"); create a new provider instead',
      fields: { name: 'is immutable' },
    });
    const updated = await admin.patch(`${base()}/okta-prod`, { name: 'okta-prod', description: 'Changed', clockSkew: 120, audiences: ['api://default', 'api://b'] });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'okta-prod', description: 'Changed', clockSkew: 120, audiences: ['api://default', 'api://b'], issuer: idp.issuer });
    expect((await admin.patch(`${base()}/okta-prod`, { clockSkew: 301 })).status).toBe(400);
  });

  it('lets developers list and read, but not change', async () => {
    const dev = await platform.newUser('dev@example.com');
    const userId = (await dev.get('/api/v1/me')).body.id;
    const added = await admin.post(`/api/v1/orgs/${handle}/members`, { email: 'dev@example.com', role: 'developer' });
    expect([200, 201]).toContain(added.status);
    expect(userId).toBeTruthy();
    expect((await dev.get(base())).status).toBe(200);
    expect((await dev.get(`${base()}/okta-prod`)).body.name).toBe('okta-prod');
    const create = await dev.post(base(), { name: 'mine', kind: 'okta', issuer: 'https://y.example', jwksUri: 'https://y.example/jwks', audiences: ['a'] });
    expect(create.status).toBe(403);
    expect((await dev.patch(`${base()}/okta-prod`, { description: 'x' })).status).toBe(403);
    expect((await dev.delete(`${base()}/okta-prod`)).status).toBe(403);
    expect((await dev.post(`${base()}/okta-prod/test`)).status).toBe(403);
    const explained = await dev.post(`${base()}/okta-prod/explain`, { token: 'not-a-jwt' });
    expect(explained.status).toBe(200);
    expect(explained.body.steps).toEqual([{ step: 'format', ok: false, code: 'malformed', message: 'The token is not a JWT (expected three base64url parts separated by dots)' }]);
  });

  it('test fetches the JWKS now and reports the keys, or the error', async () => {
    const ok = await admin.post(`${base()}/okta-prod/test`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true, jwksUri: idp.jwksUri, keys: [{ kid: idp.kid, kty: 'RSA', crv: null, algorithms: ['RS256'] }], skipped: [], fetchedAt: expect.any(String), error: null });
    idp.setJwksFailing(true);
    try {
      const failed = await admin.post(`${base()}/okta-prod/test`);
      expect(failed.status).toBe(200);
      expect(failed.body).toMatchObject({ ok: false, error: `${idp.issuer} answered HTTP 503`, keys: [{ kid: idp.kid }] });
    } finally {
      idp.setJwksFailing(false);
    }
  });

  it('explain reports each check without echoing the token', async () => {
    const token = await idp.clientCredentialsToken();
    const res = await admin.post(`${base()}/okta-prod/explain`, { token, expectedType: 'access_token' });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(token);
    expect(res.body.valid).toBe(false);
    expect(res.body.steps.map((s: { step: string; ok: boolean }) => `${s.step}:${s.ok}`)).toEqual([
      'format:true',
      'header:true',
      'issuer:true',
      'signature:true',
      'expiry:true',
      'not-before:true',
      'issued-at:true',
      'audience:false',
      'token-type:true',
      'subject:true',
      'client-id:true',
    ]);
    expect(res.body.steps[7]).toEqual({
      step: 'audience',
      ok: false,
      code: 'audience_mismatch',
      message: `None of the token's audiences ("${idp.audience}") is allowed for identity provider "okta-prod"`,
    });
    const good = await admin.post(`${base()}/okta-prod/explain`, { token: await idp.clientCredentialsToken({ resource: 'api://default' }) });
    expect(good.body).toMatchObject({ valid: true, subject: idp.clientId, clientId: null, tokenKind: 'access_token' });
    const big = await admin.post(`${base()}/okta-prod/explain`, { token: 'a'.repeat(17_000) });
    expect(big.body).toEqual({ valid: false, steps: [{ step: 'format', ok: false, code: 'too_large', message: 'The token is larger than 16 KiB' }], subject: null, clientId: null, tokenKind: null });
  });

  it('links an external client ID to an application ("Add Keys") and refuses to delete an IdP in use', async () => {
    const client = await newClient(admin, handle, 'partner-app', ['client_credentials']);
    const builtin = await admin.put(`/api/v1/orgs/${handle}/applications/${client.appId}/credentials/development/external`, { idpName: 'okta-prod', clientId: '0oa123' });
    expect(builtin.status).toBe(409);
    const put = await admin.put(`/api/v1/orgs/${handle}/applications/${client.appId}/credentials/production/external`, { idpName: 'okta-prod', clientId: '0oa123' });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ applicationId: client.appId, environment: 'production', kind: 'external', identityProvider: 'okta-prod', externalClientId: '0oa123', createdAt: expect.any(String) });
    const unknownIdp = await admin.put(`/api/v1/orgs/${handle}/applications/${client.appId}/credentials/production/external`, { idpName: 'nope', clientId: '0oa123' });
    expect(unknownIdp.status).toBe(404);
    const del = await admin.delete(`${base()}/okta-prod`);
    expect(del.status).toBe(409);
    expect(del.body.message).toBe('Identity provider "okta-prod" is used by 1 external credential; remove those first');
    expect((await admin.delete(`/api/v1/orgs/${handle}/applications/${client.appId}/credentials/production/external`)).status).toBe(204);
    expect((await admin.delete(`${base()}/okta-prod`)).status).toBe(204);
    expect((await admin.get(`${base()}/okta-prod`)).status).toBe(404);
  });

  it("keeps organizations apart: another org cannot see this org's IdPs", async () => {
    const stranger = await platform.newUser('stranger@example.com');
    expect((await stranger.get(base())).status).toBe(404);
  });
});

describe('discovery refuses private URLs when they are not allowed (SSRF)', () => {
  let platform: TestPlatform;
  let handle: string;
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(302, { location: 'https://169.254.169.254/latest/meta-data/' }).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    platform = await startTestPlatform({ env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'false' } });
    handle = (await platform.admin.post('/api/v1/orgs', { name: 'Acme' })).body.handle;
  }, 30_000);
  afterAll(async () => {
    await platform?.close();
    server.closeAllConnections();
    server.close();
  });

  const discover = (wellKnownUrl: string) => platform.admin.post(`/api/v1/orgs/${handle}/identity-providers/discover`, { wellKnownUrl });

  it('refuses plain http', async () => {
    const res = await discover(`http://${origin}/.well-known/openid-configuration`);
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('Discovery failed [scheme_not_allowed]: Only https:// URLs are allowed (http:// only on loopback when private IdP URLs are allowed)');
  });

  it('refuses a loopback address', async () => {
    const res = await discover(`https://${origin}/.well-known/openid-configuration`);
    expect(res.status).toBe(422);
    expect(res.body.message).toBe(
      'Discovery failed [address_not_allowed]: 127.0.0.1 is a loopback address; private, loopback and link-local addresses are not allowed (DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS)',
    );
  });

  it('refuses a host name that resolves to loopback (the resolved address is checked)', async () => {
    const res = await discover(`https://localhost:${origin.split(':')[1]}/.well-known/openid-configuration`);
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/^Discovery failed \[address_not_allowed\]: localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
  });

  it('refuses the cloud metadata address 169.254.169.254', async () => {
    const res = await discover('https://169.254.169.254/.well-known/openid-configuration');
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      code: 'unprocessable',
      message: 'Discovery failed [address_not_allowed]: 169.254.169.254 is a link-local address; private, loopback and link-local addresses are not allowed (DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS)',
      fields: { wellKnownUrl: '169.254.169.254 is a link-local address; private, loopback and link-local addresses are not allowed (DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS)' },
    });
  });

  it('refuses decimal, hex and IPv4-mapped IPv6 spellings of loopback', async () => {
    for (const host of ['2130706433', '0x7f.0.0.1', '[::ffff:127.0.0.1]']) {
      const res = await discover(`https://${host}/.well-known/openid-configuration`);
      expect(res.status).toBe(422);
      expect(res.body.message).toMatch(/\[address_not_allowed\]: .* is a loopback( \(IPv4-mapped\))? address/);
    }
  });

  it('refuses a typed JWKS URI on a private or link-local address with 422 naming the field, and saves nothing', async () => {
    const message = '169.254.169.254 is a link-local address; private, loopback and link-local addresses are not allowed (DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS)';
    const res = await platform.admin.post(`/api/v1/orgs/${handle}/identity-providers`, {
      name: 'meta',
      kind: 'okta',
      issuer: 'https://idp.example',
      jwksUri: 'https://169.254.169.254/latest/meta-data/jwks',
      audiences: ['a'],
    });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ code: 'unprocessable', message: `The JWKS URI check failed [address_not_allowed]: ${message}`, fields: { jwksUri: message } });
    const local = await platform.admin.post(`/api/v1/orgs/${handle}/identity-providers`, {
      name: 'meta',
      kind: 'okta',
      issuer: 'https://idp.example',
      jwksUri: `https://localhost:${origin.split(':')[1]}/jwks`,
      audiences: ['a'],
    });
    expect(local.status).toBe(422);
    expect(local.body.message).toMatch(/^The JWKS URI check failed \[address_not_allowed\]: localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(Object.keys(local.body.fields)).toEqual(['jwksUri']);
    expect((await platform.admin.get(`/api/v1/orgs/${handle}/identity-providers`)).body).toEqual([]);
  });

  it('refuses to create an IdP whose JWKS URI is not https', async () => {
    const res = await platform.admin.post(`/api/v1/orgs/${handle}/identity-providers`, { name: 'x', kind: 'okta', issuer: 'https://idp.example', jwksUri: `http://${origin}/jwks`, audiences: ['a'] });
    expect(res.status).toBe(422);
    expect(res.body.fields).toEqual({ jwksUri: 'must be an https:// URL' });
  });
});
