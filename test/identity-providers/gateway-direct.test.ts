import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStandaloneGateway } from '../../src/cli/standalone-gateway.js';
import { createLogger } from '../../src/shared/logger.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

/**
 * Direct external tokens at the gateway (DESIGN flow 3) from a Microsoft-kind
 * IdP: a multi-tenant issuer template, and the client ID taken from the first
 * present of the IdP's client-ID claims (`azp`, then `appid`), exactly as the
 * shared IdP verifier determines it. An IdP only ever vouches for its own
 * organization's APIs.
 */
describe('direct IdP tokens at the gateway', () => {
  let platform: TestPlatform;
  let idp: TestIdp;
  let backend: Server;
  let backendUrl: string;
  let gatewayUrl: string;
  const orgs: Record<'a' | 'b', { id: string; handle: string }> = {} as never;

  const template = () => `${idp.issuer}/{tenantid}/v2.0`;
  const entraToken = (tenant: string, claims: Record<string, unknown>) =>
    idp.sign({ iss: `${idp.issuer}/${tenant}/v2.0`, tid: tenant, sub: 'daemon', oid: 'daemon-oid', aud: 'api://entra', ...claims });
  const call = (org: 'a' | 'b', token: string) => fetch(`${gatewayUrl}/${orgs[org].handle}/orders/v1/items/7`, { headers: { authorization: `Bearer ${token}` } });

  async function orgWithApi(name: string): Promise<{ id: string; handle: string }> {
    const admin = platform.admin;
    const org = (await admin.post('/api/v1/orgs', { name })).body as { id: string; handle: string };
    const base = `/api/v1/orgs/${org.handle}/projects/default/components/orders/api`;
    expect((await admin.post(`/api/v1/orgs/${org.handle}/projects/default/components`, { type: 'api-proxy', name: 'orders', displayName: 'Orders' })).status).toBe(201);
    expect((await admin.put(base, { contextPath: '/orders', version: 'v1', resources: [{ method: 'GET', path: '/items/{id}' }], backendUrls: { development: backendUrl } })).status).toBe(201);
    expect((await admin.post(`${base}/deployments`, { environment: 'development' })).status).toBe(201);
    expect((await admin.post(`${base}/lifecycle`, { state: 'published' })).status).toBe(200);
    return org;
  }

  /** Registers an IdP and links a new subscribed application to `externalClientId` in development. */
  async function linkedConsumer(org: { id: string; handle: string }, idpBody: Record<string, unknown>, externalClientId: string): Promise<void> {
    const registered = await platform.admin.post(`/api/v1/orgs/${org.handle}/identity-providers`, idpBody);
    expect(registered.status).toBe(201);
    const application = await platform.store.applications.create({ orgId: org.id, name: `${String(idpBody.name)}-consumer` });
    const [devEnv] = await platform.store.orgs.environments(org.id);
    await platform.store.credentials.createExternal({ orgId: org.id, applicationId: application.id, environmentId: devEnv!.id, idpId: registered.body.id, externalClientId });
    expect((await platform.admin.post(`/api/v1/orgs/${org.handle}/subscriptions`, { applicationId: application.id, api: 'default/orders' })).status).toBe(201);
  }

  beforeAll(async () => {
    backend = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url }));
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    idp = await startTestIdp({ audience: 'api://entra' });
    platform = await startTestPlatform({ env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' } });

    orgs.a = await orgWithApi('Tenant A Corp');
    // Organization a's IdP sets a subject claim and a maximum token age the defaults would not apply.
    await linkedConsumer(
      orgs.a,
      { name: 'entra', kind: 'microsoft', issuer: template(), jwksUri: idp.jwksUri, audiences: ['api://entra'], allowedTenantIds: ['tenant-a'], subjectClaim: 'oid', maxTokenAge: 600 },
      'entra-app',
    );
    // Another organization trusting the same IdP keys: a different tenant, and the IdP's plain issuer.
    orgs.b = await orgWithApi('Tenant B Corp');
    await linkedConsumer(orgs.b, { name: 'entra', kind: 'microsoft', issuer: template(), jwksUri: idp.jwksUri, audiences: ['api://entra'], allowedTenantIds: ['tenant-b'] }, 'entra-app');
    await linkedConsumer(orgs.b, { name: 'corp', kind: 'generic-oidc', issuer: idp.issuer, jwksUri: idp.jwksUri, audiences: ['api://entra'] }, 'entra-app');

    // The keys fetched at registration are saved in the background; the snapshot carries the saved ones.
    await platform.deps.idpKeys!.flush();
    await platform.runtime.publisher.refresh();
    gatewayUrl = platform.runtime.gateway('development')!.url;
  }, 30_000);
  afterAll(async () => {
    await platform?.close();
    await idp?.close();
    await new Promise((resolve) => backend?.close(resolve));
  });

  it('accepts a multi-tenant token carrying only appid for the linked consumer', async () => {
    const res = await call('a', await entraToken('tenant-a', { appid: 'entra-app' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ url: '/items/7' });
  });

  it('takes the client ID from azp before appid', async () => {
    const res = await call('a', await entraToken('tenant-a', { azp: 'someone-else', appid: 'entra-app' }));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'The client someone-else is not linked to an application in this environment' });
  });

  it('refuses a token without any client-ID claim, naming the claims', async () => {
    const res = await call('a', await entraToken('tenant-a', {}));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'None of the client-ID claims (azp, appid) is present' });
  });

  it("prevents another organization's tenant from reaching this organization's API", async () => {
    const token = await entraToken('tenant-b', { appid: 'entra-app' });
    const refused = await call('a', token);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'invalid_token', error_description: 'Tenant "tenant-b" is not among the allowed tenant IDs of identity provider "entra"' });
    expect((await call('b', token)).status).toBe(200);
    // Now verified (and cached) for organization b's IdP: still refused here.
    const again = await call('a', token);
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({ error: 'invalid_token', error_description: 'The access token was not issued by a trusted issuer for this API' });
  });

  it('verifies from the saved snapshot alone (database gone) with the template, tenants and claim list it carries', async () => {
    const alone = await runStandaloneGateway({ ...platform.config, databaseUrl: 'postgres://drawbridge@127.0.0.1:1/unreachable' }, 'development', {
      port: 0,
      pollMs: 60_000,
      logger: createLogger('silent'),
    });
    try {
      const at = (token: string) => fetch(`${alone.gateway.url}/${orgs.a.handle}/orders/v1/items/7`, { headers: { authorization: `Bearer ${token}` } });
      const ok = await at(await entraToken('tenant-a', { appid: 'entra-app' }));
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ url: '/items/7' });
      const refused = await at(await entraToken('tenant-b', { appid: 'entra-app', jti: 'fresh' }));
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ error: 'invalid_token', error_description: 'Tenant "tenant-b" is not among the allowed tenant IDs of identity provider "entra"' });
    } finally {
      await alone.close();
    }
  });

  it('carries every verification setting and the last good public keys in the snapshot entry', async () => {
    const snapshot = await platform.runtime.publisher.compile('development');
    const entry = snapshot.identityProviders.find((p) => p.orgId === orgs.a.id && p.name === 'entra');
    expect(entry).toEqual({
      id: expect.any(String),
      orgId: orgs.a.id,
      name: 'entra',
      issuer: template(),
      issuerTemplate: template(),
      allowedTenantIds: ['tenant-a'],
      jwksUri: idp.jwksUri,
      audiences: ['api://entra'],
      clientIdClaim: 'azp',
      clientIdClaims: ['azp', 'appid'],
      clockSkewSeconds: 60,
      subjectClaim: 'oid',
      maxTokenAge: 600,
      tokenTyping: 'none',
      jwks: { keys: [{ kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: idp.kid, alg: 'RS256', use: 'sig' }], fetchedAt: expect.any(String) },
    });
  });

  it('from the disk snapshot alone (database and IdP both down) verifies with the keys it carries and applies the configured subject claim and maximum age', async () => {
    idp.setJwksFailing(true);
    const alone = await runStandaloneGateway({ ...platform.config, databaseUrl: 'postgres://drawbridge@127.0.0.1:1/unreachable' }, 'development', {
      port: 0,
      pollMs: 60_000,
      logger: createLogger('silent'),
    });
    try {
      expect(alone.gateway.status().snapshot?.source).toBe('disk');
      const at = (token: string) => fetch(`${alone.gateway.url}/${orgs.a.handle}/orders/v1/items/7`, { headers: { authorization: `Bearer ${token}` } });
      const before = idp.jwksRequests;
      const ok = await at(await entraToken('tenant-a', { appid: 'entra-app', jti: 'disk-ok' }));
      expect(ok.status).toBe(200);
      expect(idp.jwksRequests).toBe(before);

      const now = Math.floor(Date.now() / 1000);
      const old = await at(await entraToken('tenant-a', { appid: 'entra-app', iat: now - 1200 }));
      expect(old.status).toBe(401);
      expect(await old.json()).toEqual({
        error: 'invalid_token',
        error_description: `The token was issued at ${new Date((now - 1200) * 1000).toISOString()}, longer ago than the maximum token age of 600 s`,
      });
      const noOid = await at(await entraToken('tenant-a', { appid: 'entra-app', oid: undefined }));
      expect(noOid.status).toBe(401);
      expect(await noOid.json()).toEqual({ error: 'invalid_token', error_description: 'The subject claim "oid" is missing or not a usable string' });
    } finally {
      await alone.close();
      idp.setJwksFailing(false);
    }
  });

  it('with the database reachable, starts from the keys saved there (no fetch while the IdP is down)', async () => {
    idp.setJwksFailing(true);
    const withStore = await runStandaloneGateway(platform.config, 'development', { port: 0, pollMs: 60_000, logger: createLogger('silent') });
    try {
      expect(withStore.gateway.status().snapshot?.source).toBe('live');
      const before = idp.jwksRequests;
      const res = await fetch(`${withStore.gateway.url}/${orgs.a.handle}/orders/v1/items/7`, {
        headers: { authorization: `Bearer ${await entraToken('tenant-a', { appid: 'entra-app', jti: 'db-ok' })}` },
      });
      expect(res.status).toBe(200);
      expect(idp.jwksRequests).toBe(before);
    } finally {
      await withStore.close();
      idp.setJwksFailing(false);
    }
  });

  it("prevents another organization's IdP issuer from matching this organization's API", async () => {
    const token = await idp.sign({ sub: 'daemon', aud: 'api://entra', client_id: 'entra-app' });
    const refused = await call('a', token);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'invalid_token', error_description: 'The access token was not issued by a trusted issuer for this API' });
    expect((await call('b', token)).status).toBe(200);
    const again = await call('a', token);
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({ error: 'invalid_token', error_description: 'The access token was not issued by a trusted issuer for this API' });
  });
});
