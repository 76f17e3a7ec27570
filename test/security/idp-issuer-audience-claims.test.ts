import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { exchange, newClient, startWorld, TT, type World } from '../identity-providers/setup.js';

/**
 * Issue 15, item 6: two organizations could claim the same (issuer,
 * audience) pair. An org admin registered another org's IdP issuer with that
 * org's audience and exchanged tokens meant for it. A pair now belongs to one
 * organization of the installation (409 naming the pair, not the
 * organization), unless DRAWBRIDGE_IDP_SHARED_AUDIENCES is on.
 */
describe('an (issuer, audience) pair belongs to one organization', () => {
  let w: World;
  let intruder: { id: string; handle: string };
  const conflictMessage = (issuer: string, audience: string) =>
    `Issuer ${JSON.stringify(issuer)} with audience ${JSON.stringify(audience)} is already registered by another organization of this installation; an audience must be unique per issuer across the installation. Use an audience that only this organization's tokens carry (at the identity provider: a dedicated API or resource identifier).`;

  beforeAll(async () => {
    w = await startWorld(); // "Acme" registers the test IdP with its audience as "corp"
    intruder = (await w.platform.admin.post('/api/v1/orgs', { name: 'Intruder' })).body;
  }, 30_000);
  afterAll(async () => {
    await w?.close();
  });

  const register = (handle: string, body: Record<string, unknown>) => w.platform.admin.post(`/api/v1/orgs/${handle}/identity-providers`, { kind: 'generic-oidc', ...body });

  it("refuses another organization's registration of the same issuer and audience with 409, naming the pair but not the organization", async () => {
    const res = await register(intruder.handle, { name: 'stolen', wellKnownUrl: w.idp.wellKnownUrl, audiences: ['api://mine', w.idp.audience] });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 409,
      body: {
        code: 'conflict',
        message: conflictMessage(w.idp.issuer, w.idp.audience),
        fields: { audiences: `${JSON.stringify(w.idp.audience)} is already claimed for this issuer by another organization` },
      },
    });
    for (const secret of [w.org.handle, w.org.id, 'Acme', 'corp']) expect(res.text).not.toContain(secret);
    expect((await w.platform.admin.get(`/api/v1/orgs/${intruder.handle}/identity-providers`)).body).toEqual([]);
  });

  it("so the other organization's client cannot exchange tokens meant for the first", async () => {
    const client = await newClient(w.platform.admin, intruder.handle, 'intruder-app');
    const token = await w.idp.clientCredentialsToken();
    const res = await exchange(w, { subject_token: token, subject_token_type: TT.access }, client);
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: `The subject token was refused (issuer): ${JSON.stringify(w.idp.issuer)} is not the issuer of any identity provider of this organization`,
    });
    expect((await exchange(w, { subject_token: token, subject_token_type: TT.access })).status).toBe(200);
  });

  it('allows the same issuer with an audience of its own, and refuses a PATCH that adds the claimed audience', async () => {
    const own = await register(intruder.handle, { name: 'shared-idp', issuer: w.idp.issuer, jwksUri: w.idp.jwksUri, audiences: ['api://intruder-only'] });
    expect(own.status).toBe(201);
    const widened = await w.platform.admin.patch(`/api/v1/orgs/${intruder.handle}/identity-providers/shared-idp`, { audiences: ['api://intruder-only', w.idp.audience] });
    expect({ status: widened.status, message: widened.body.message }).toEqual({ status: 409, message: conflictMessage(w.idp.issuer, w.idp.audience) });
    const described = await w.platform.admin.patch(`/api/v1/orgs/${intruder.handle}/identity-providers/shared-idp`, { description: 'still fine' });
    expect(described.status).toBe(200);
  });

  it('the first organization may keep changing its own provider', async () => {
    const res = await w.platform.admin.patch(`/api/v1/orgs/${w.org.handle}/identity-providers/corp`, { audiences: [w.idp.audience, 'api://acme-extra'] });
    expect(res.status).toBe(200);
  });

  it('issuer templates: another tenant of the same template is another issuer; the same tenant is refused', async () => {
    const template = `${w.idp.issuer}/{tenantid}/v2.0`;
    const base = { kind: 'microsoft', issuer: template, jwksUri: w.idp.jwksUri, audiences: ['api://entra'] };
    expect((await register(w.org.handle, { ...base, name: 'entra', allowedTenantIds: ['tenant-a'] })).status).toBe(201);
    expect((await register(intruder.handle, { ...base, name: 'entra', allowedTenantIds: ['tenant-b'] })).status).toBe(201);
    const widened = await w.platform.admin.patch(`/api/v1/orgs/${intruder.handle}/identity-providers/entra`, { allowedTenantIds: ['tenant-b', 'tenant-a'] });
    expect({ status: widened.status, message: widened.body.message }).toEqual({ status: 409, message: conflictMessage(`${w.idp.issuer}/tenant-a/v2.0`, 'api://entra') });
    const exact = await register(intruder.handle, { name: 'entra-a', issuer: `${w.idp.issuer}/tenant-a/v2.0`, jwksUri: w.idp.jwksUri, audiences: ['api://entra'] });
    expect(exact.status).toBe(409);
  });
});

describe('DRAWBRIDGE_IDP_SHARED_AUDIENCES=true lets organizations share a pair (one company, several organizations)', () => {
  let idp: TestIdp;
  let platform: TestPlatform;
  beforeAll(async () => {
    idp = await startTestIdp();
    platform = await startTestPlatform({ env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true', DRAWBRIDGE_IDP_SHARED_AUDIENCES: 'true' } });
  }, 30_000);
  afterAll(async () => {
    await platform?.close();
    await idp?.close();
  });

  it('registers the same issuer and audience in two organizations', async () => {
    for (const name of ['Retail', 'Bank']) {
      const org = (await platform.admin.post('/api/v1/orgs', { name })).body;
      const res = await platform.admin.post(`/api/v1/orgs/${org.handle}/identity-providers`, { name: 'okta', kind: 'okta', wellKnownUrl: idp.wellKnownUrl, audiences: [idp.audience] });
      expect(res.status).toBe(201);
    }
  });
});
