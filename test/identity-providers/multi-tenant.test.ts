import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, startWorld, TT, type World } from './setup.js';

/** Microsoft multi-tenant: an issuer template with {tenantid} and an allow-list of tenants; `tid` must agree. */
describe('multi-tenant issuer templates', () => {
  let w: World;
  const token = (tenant: string, tid = tenant) => w.idp.sign({ iss: `${w.idp.issuer}/${tenant}/v2.0`, tid, sub: 'bob', aud: 'api://entra', azp: 'entra-app' });

  beforeAll(async () => {
    w = await startWorld();
    const res = await w.platform.admin.post(`/api/v1/orgs/${w.org.handle}/identity-providers`, {
      name: 'entra',
      kind: 'microsoft',
      issuer: `${w.idp.issuer}/{tenantid}/v2.0`,
      jwksUri: w.idp.jwksUri,
      audiences: ['api://entra'],
      allowedTenantIds: ['tenant-a'],
    });
    expect(res.status).toBe(201);
  }, 30_000);
  afterAll(async () => {
    await w?.close();
  });

  it('accepts an allowed tenant whose tid agrees', async () => {
    const res = await exchange(w, { subject_token: await token('tenant-a'), subject_token_type: TT.jwt });
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.access_token)).toMatchObject({ sub: 'bob', idp: 'entra' });
  });

  it('refuses a tenant that is not allowed', async () => {
    const res = await exchange(w, { subject_token: await token('tenant-b'), subject_token_type: TT.jwt });
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: 'The subject token was refused (issuer): Tenant "tenant-b" is not among the allowed tenant IDs of identity provider "entra"',
    });
  });

  it('refuses a tid that disagrees with the issuer', async () => {
    const res = await exchange(w, { subject_token: await token('tenant-a', 'tenant-b'), subject_token_type: TT.jwt });
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'The subject token was refused (issuer): The "tid" claim does not agree with the issuer\'s tenant "tenant-a"' });
  });
});
