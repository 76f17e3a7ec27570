import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import type { TestPlatform } from '../helpers/platform.js';
import { echoBackend, portalOrg, publishedApi, startPortalPlatform, type PortalOrg } from './setup.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

let platform: TestPlatform;
let idp: TestIdp;
let backend: Awaited<ReturnType<typeof echoBackend>>;
let org: PortalOrg;
let other: PortalOrg;
let app: string;
let secret: string;

beforeAll(async () => {
  [platform, idp, backend] = await Promise.all([startPortalPlatform(), startTestIdp(), echoBackend()]);
  [org, other] = [await portalOrg(platform), await portalOrg(platform)];
  for (const o of [org, other]) {
    const name = o === org ? 'corp-idp' : 'other-idp';
    expect(
      (await platform.admin.post(`${o.path}/identity-providers`, { name, kind: 'generic-oidc', wellKnownUrl: idp.wellKnownUrl, audiences: [o === org ? idp.audience : 'https://other.test'] })).status,
    ).toBe(201);
  }
  const created = await org.developer.post(`${org.path}/portal/applications`, { name: 'Errors App' });
  app = `${org.path}/portal/applications/${created.body.id}`;
  const keys = await org.developer.post(`${app}/keys/production`, { grantTypes: [TOKEN_EXCHANGE] });
  expect(keys.status).toBe(201);
  secret = keys.body.consumerSecret;
});
afterAll(async () => {
  await platform?.close();
  await idp?.close();
  await backend?.close();
});

describe('user keys', () => {
  it('answers 404 for an unknown identity provider', async () => {
    const res = await org.developer.get(`${app}/keys/production/user-keys/nope`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'not_found', message: 'Identity provider not found' });
  });

  it('answers 404 for an identity provider of another organization, by name or by id (no cross-tenant lookups)', async () => {
    expect((await org.developer.get(`${app}/keys/production/user-keys/other-idp`)).body).toEqual({ code: 'not_found', message: 'Identity provider not found' });
    const foreign = await platform.admin.get(`${other.path}/identity-providers/other-idp`);
    expect(foreign.status).toBe(200);
    expect((await org.developer.get(`${app}/keys/production/user-keys/${foreign.body.id}`)).status).toBe(404);
  });

  it('lists every allowed audience and builds the steps for the one asked for with ?audience=; another is 400', async () => {
    const second = 'https://second-audience.test';
    const idpPath = `${org.path}/identity-providers/corp-idp`;
    expect((await platform.admin.patch(idpPath, { audiences: [idp.audience, second] })).status).toBe(200);
    const byDefault = await org.developer.get(`${app}/keys/production/user-keys/corp-idp`);
    expect(byDefault.status).toBe(200);
    expect(byDefault.body.identityProvider.audiences).toEqual([idp.audience, second]);
    expect(byDefault.body.audiences).toEqual([
      { audience: idp.audience, parameter: 'resource', value: idp.audience, hint: `Ask for the resource (RFC 8707) or audience ${idp.audience}` },
      { audience: second, parameter: 'resource', value: second, hint: `Ask for the resource (RFC 8707) or audience ${second}` },
    ]);
    expect(byDefault.body.idpTokenRequest).toMatchObject({ audience: idp.audience, parameter: 'resource', value: idp.audience });

    const chosen = await org.developer.get(`${app}/keys/production/user-keys/corp-idp?audience=${encodeURIComponent(second)}`);
    expect(chosen.status).toBe(200);
    expect(chosen.body.idpTokenRequest).toEqual({
      tokenEndpoint: byDefault.body.idpTokenRequest.tokenEndpoint,
      audience: second,
      parameter: 'resource',
      value: second,
      hint: `Ask for the resource (RFC 8707) or audience ${second}`,
    });
    expect(chosen.body.steps[0].detail).toContain(`with resource=${second}.`);
    expect(chosen.body.curl).toBe(byDefault.body.curl);

    const refused = await org.developer.get(`${app}/keys/production/user-keys/corp-idp?audience=${encodeURIComponent('https://elsewhere.test')}`);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      code: 'validation_failed',
      message: `"https://elsewhere.test" is not an allowed audience of identity provider "corp-idp" (allowed: ${idp.audience}, ${second})`,
      fields: { audience: 'is not an allowed audience of the identity provider' },
    });
    expect((await platform.admin.patch(idpPath, { audiences: [idp.audience] })).status).toBe(200);
  });

  it('answers 404 when the environment has no keys, 409 when its keys do not allow token exchange', async () => {
    const dev = await org.developer.get(`${app}/keys/development/user-keys/corp-idp`);
    expect(dev.status).toBe(404);
    expect(dev.body.message).toBe('Keys for environment "development" (generate them first) not found');
    expect((await org.developer.post(`${app}/keys/development`, {})).status).toBe(201);
    const noExchange = await org.developer.get(`${app}/keys/development/user-keys/corp-idp`);
    expect(noExchange.status).toBe(409);
    expect(noExchange.body.fields).toEqual({ grantTypes: `lacks ${TOKEN_EXCHANGE}` });
  });
});

describe('keys', () => {
  it('refuses generating keys twice with a 409 that says to regenerate', async () => {
    const twice = await org.developer.post(`${app}/keys/production`, {});
    expect(twice.status).toBe(409);
    expect(twice.body).toEqual({ code: 'conflict', message: 'Keys already exist for the production environment; regenerate the secret instead' });
  });

  it('regenerates the secret once; the old one stops working', async () => {
    const generated = await org.developer.post(`${org.path}/portal/applications`, { name: 'Rotating App' });
    const rotating = `${org.path}/portal/applications/${generated.body.id}`;
    const keys = await org.developer.post(`${rotating}/keys/development`, {});
    expect(keys.status).toBe(201);
    const oldSecret: string = keys.body.consumerSecret;
    expect((await org.developer.post(`${rotating}/keys/development/test-token`, { consumerSecret: oldSecret })).status).toBe(200);

    const regenerated = await org.developer.post(`${rotating}/keys/development/regenerate-secret`, {});
    expect(regenerated.status).toBe(200);
    expect(regenerated.body.consumerSecret).toMatch(/^dbs_/);
    expect(regenerated.body.consumerSecret).not.toBe(oldSecret);
    expect(regenerated.body.previousSecretExpiresAt).toBeNull();
    const cc = await org.developer.post(`${rotating}/keys/development/test-token`, { grantType: 'client_credentials', consumerSecret: regenerated.body.consumerSecret });
    expect(cc.status).toBe(200);

    // The old secret is refused, by the portal's test token and by the token endpoint itself.
    const old = await org.developer.post(`${rotating}/keys/development/test-token`, { grantType: 'client_credentials', consumerSecret: oldSecret });
    expect(old.status).toBe(400);
    expect(old.body).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    const direct = await fetch(`${platform.config.publicUrl}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${keys.body.consumerKey}:${oldSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(direct.status).toBe(401);
    expect(await direct.json()).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
  });

  it('lets only the owner or an admin change an application, while every member reads it', async () => {
    const colleagueEmail = `colleague-${Date.now()}@portal.test`;
    const colleague = await platform.newUser(colleagueEmail);
    expect((await platform.admin.post(`${org.path}/members`, { email: colleagueEmail, role: 'developer' })).status).toBe(201);
    expect((await colleague.get(app)).body.canManage).toBe(false);
    const res = await colleague.post(`${app}/keys/production/regenerate-secret`, {});
    expect(res.status).toBe(403);
    expect((await colleague.patch(app, { description: 'mine now' })).status).toBe(403);
    expect((await platform.admin.patch(app, { description: 'admin edit' })).body.description).toBe('admin edit');
  });

  it('refuses an application name already used in the organization', async () => {
    const res = await org.developer.post(`${org.path}/portal/applications`, { name: 'errors app' });
    expect(res.status).toBe(409);
    expect(res.body.fields).toEqual({ name: 'is taken' });
  });

  it('hides the portal from non-members: 404 for the organization', async () => {
    expect((await other.developer.get(`${org.path}/portal/apis`)).status).toBe(404);
    expect((await other.developer.get(app)).status).toBe(404);
  });
});

describe('test token', () => {
  it("passes a bad pasted token's RFC 8693 error through exactly", async () => {
    const res = await org.developer.post(`${app}/keys/production/test-token`, { consumerSecret: secret, subjectToken: 'not-a-jwt' });
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(/^The subject token was refused \(format\)/);
  });

  it('passes a token signed for another audience through as invalid_request naming the check', async () => {
    const wrongAudience = await idp.sign({ sub: 'u1', aud: 'https://elsewhere.test', client_id: 'x' });
    const res = await org.developer.post(`${app}/keys/production/test-token`, { consumerSecret: secret, subjectToken: wrongAudience });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain('audience');
  });

  it('answers a wrong secret with 400 invalid_client (401 would mean the caller must sign in), and never stores the secret', async () => {
    const res = await org.developer.post(`${app}/keys/production/test-token`, { consumerSecret: 'dbs_wrong', subjectToken: await idp.clientCredentialsToken() });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    const audit = await platform.admin.get(`${org.path}/audit`);
    expect(audit.text).not.toContain(secret);
  });

  it('refuses client credentials when the keys only allow token exchange (unauthorized_client)', async () => {
    const res = await org.developer.post(`${app}/keys/production/test-token`, { grantType: 'client_credentials', consumerSecret: secret });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unauthorized_client');
  });
});

describe('private APIs and applications with subscriptions', () => {
  it('hides a private API from members not allowed, 404 on subscribe too, until an admin allows them', async () => {
    const secretApi = await publishedApi(platform, org, 'payroll', backend.url, { visibility: 'private' });
    const dev = org.developer;
    expect((await dev.get(`${org.path}/portal/apis`)).body.map((a: { ref: string }) => a.ref)).not.toContain('default/payroll');
    expect((await dev.get(`${org.path}/portal/apis/${secretApi.id}`)).status).toBe(404);
    const sub = await dev.post(`${app}/subscriptions`, { api: secretApi.id });
    expect(sub.status).toBe(404);
    expect(sub.body).toEqual({ code: 'not_found', message: 'API not found' });
    expect((await platform.admin.get(`${org.path}/portal/apis/${secretApi.id}`)).status).toBe(200);
    expect((await dev.post(`${org.path}/portal/apis/${secretApi.id}/access`, { email: org.developerEmail })).status).toBe(403);

    const allowed = await platform.admin.post(`${org.path}/portal/apis/${secretApi.id}/access`, { email: org.developerEmail });
    expect(allowed.status).toBe(200);
    expect(allowed.body.map((e: { email: string }) => e.email)).toEqual([org.developerEmail]);
    expect((await dev.get(`${org.path}/portal/apis/${secretApi.id}`)).body).toMatchObject({ ref: 'default/payroll', visibility: 'private' });
    expect((await dev.post(`${app}/subscriptions`, { api: secretApi.id })).status).toBe(201);
  });

  it('asks for ?force=true before deleting an application with live subscriptions', async () => {
    const created = await org.developer.post(`${org.path}/portal/applications`, { name: 'Doomed' });
    const doomed = `${org.path}/portal/applications/${created.body.id}`;
    const ledger = await publishedApi(platform, org, 'ledger', backend.url);
    expect((await org.developer.post(`${doomed}/subscriptions`, { api: ledger.ref })).status).toBe(201);
    const refused = await org.developer.delete(doomed);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      code: 'conflict',
      message: 'Application "Doomed" has 1 live subscription(s); its clients will lose access. Delete with ?force=true to confirm.',
      fields: { force: 'is required' },
    });
    expect((await org.developer.request('DELETE', `${doomed}?force=true`)).status).toBe(204);
    expect((await org.developer.get(doomed)).status).toBe(404);
    expect((await platform.admin.get(`${org.path}/subscriptions?applicationId=${created.body.id}`)).body).toEqual([]);
  });

  it("shows an external consumer's application in the portal too (one model)", async () => {
    const consumer = await org.developer.post(`${org.path}/projects/default/components`, { type: 'external-consumer', name: 'kiosk', displayName: 'Kiosk' });
    expect(consumer.status).toBe(201);
    const apps = (await org.developer.get(`${org.path}/portal/applications`)).body as { component: string | null; name: string }[];
    expect(apps.find((a) => a.component === 'default/kiosk')).toMatchObject({ name: 'kiosk' });
  });
});

describe('security regressions', () => {
  it("prevents using another organization's application through one's own portal path", async () => {
    const foreign = await other.developer.post(`${other.path}/portal/applications`, { name: 'Foreign App' });
    expect(foreign.status).toBe(201);
    const viaOwnOrg = `${org.path}/portal/applications/${foreign.body.id}`;
    for (const res of [
      await org.developer.get(viaOwnOrg),
      await org.developer.get(`${viaOwnOrg}/keys`),
      await org.developer.post(`${viaOwnOrg}/keys/production`, {}),
      await org.developer.post(`${viaOwnOrg}/subscriptions`, { api: 'default/x' }),
      await platform.admin.request('DELETE', `${viaOwnOrg}?force=true`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ code: 'not_found', message: 'Application not found' });
    }
    expect((await other.developer.get(`${other.path}/portal/applications/${foreign.body.id}`)).status).toBe(200);
  });

  it('prevents the consumer secret and a pasted IdP token from being stored, listed or audited', async () => {
    const idpToken = await idp.clientCredentialsToken();
    expect((await org.developer.post(`${app}/keys/production/test-token`, { consumerSecret: secret, subjectToken: idpToken })).status).toBe(200);
    const everything = [
      await org.developer.get(`${app}/keys`),
      await org.developer.get(app),
      await org.developer.get(`${app}/keys/production/user-keys/corp-idp`),
      await platform.admin.get(`${org.path}/audit`),
    ]
      .map((r) => r.text)
      .join('\n');
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(idpToken);
    const audit = (await platform.admin.get(`${org.path}/audit`)).body as { action: string }[];
    expect(audit.map((e) => e.action)).toContain('credentials.generated');
  });
});
