import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import type { TestPlatform } from '../helpers/platform.js';
import { echoBackend, portalOrg, publishedApi, runCurl, startPortalPlatform, type PortalOrg } from './setup.js';

/**
 * The developer portal story over real HTTP, with a real external IdP
 * (oidc-provider): a developer makes an application, generates keys with
 * token exchange, follows "User Keys" (the curl command, run as given) with a
 * real IdP token, and calls a subscribed API through the gateway.
 */

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

let platform: TestPlatform;
let idp: TestIdp;
let backend: Awaited<ReturnType<typeof echoBackend>>;
let org: PortalOrg;
let orders: { id: string; ref: string };
let billing: { id: string; ref: string };

beforeAll(async () => {
  [platform, idp, backend] = await Promise.all([startPortalPlatform(), startTestIdp({ audience: 'https://api.portal.test' }), echoBackend()]);
  org = await portalOrg(platform);
  const registered = await platform.admin.post(`${org.path}/identity-providers`, { name: 'corp-idp', kind: 'generic-oidc', wellKnownUrl: idp.wellKnownUrl, audiences: [idp.audience] });
  expect(registered.status, registered.text).toBe(201);
  orders = await publishedApi(platform, org, 'orders', backend.url);
  billing = await publishedApi(platform, org, 'billing', backend.url);
});
afterAll(async () => {
  await platform?.close();
  await idp?.close();
  await backend?.close();
});

const gateway = (env: string) => platform.runtime.gateway(env)!.url;

describe('developer portal story', () => {
  it('a developer creates an app, exchanges a real IdP token with the User Keys curl, and calls only subscribed APIs', async () => {
    const dev = org.developer;
    const portal = `${org.path}/portal`;

    // Browse: both published APIs, each with its production endpoint.
    const apis = await dev.get(`${portal}/apis`);
    expect(apis.status).toBe(200);
    expect(apis.body.map((a: { ref: string }) => a.ref).sort()).toEqual([billing.ref, orders.ref]);
    const ordersView = apis.body.find((a: { ref: string }) => a.ref === 'default/orders');
    expect(ordersView).toMatchObject({
      id: orders.id,
      name: 'Orders API',
      contextPath: '/orders',
      version: 'v1',
      visibility: 'public',
      lifecycle: 'published',
      resources: [{ method: 'GET', path: '/items/{id}', summary: 'One item', oauth2: true, scopes: [] }],
      versions: [{ id: orders.id, version: 'v1', lifecycle: 'published' }],
      endpoints: [
        { environment: 'development', url: `${gateway('development')}/${org.handle}/orders/v1`, revision: 1 },
        { environment: 'production', url: `${gateway('production')}/${org.handle}/orders/v1`, revision: 1 },
      ],
    });
    expect((await dev.get(`${portal}/apis?q=BILL`)).body.map((a: { ref: string }) => a.ref)).toEqual(['default/billing']);

    // Application, owned by the developer.
    const created = await dev.post(`${portal}/applications`, { name: 'Mobile App', description: 'iOS' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Mobile App', description: 'iOS', component: null, owner: org.developerEmail, canManage: true, subscriptions: 0, environmentsWithKeys: [] });
    const app = `${portal}/applications/${created.body.id}`;

    // Generate Credentials for production with token exchange and a custom lifetime.
    const keys = await dev.post(`${app}/keys/production`, { grantTypes: ['client_credentials', TOKEN_EXCHANGE], tokenLifetime: 900 });
    expect(keys.status, keys.text).toBe(201);
    expect(keys.headers.get('cache-control')).toBe('no-store');
    expect(keys.body).toMatchObject({
      environment: 'production',
      label: 'Production Keys',
      kind: 'builtin',
      tokenEndpoint: `${platform.config.publicUrl}/oauth2/token`,
      grantTypes: ['client_credentials', TOKEN_EXCHANGE],
      tokenLifetime: 900,
    });
    const consumerKey: string = keys.body.consumerKey;
    const consumerSecret: string = keys.body.consumerSecret;
    expect(consumerSecret).toMatch(/^dbs_/);
    // Shown once: reading the keys again never returns the secret.
    const again = await dev.get(`${app}/keys/production`);
    expect(again.body.consumerKey).toBe(consumerKey);
    expect(again.text).not.toContain(consumerSecret);

    // User Keys for the org's IdP: steps and a curl command with placeholders only.
    const userKeys = await dev.get(`${app}/keys/production/user-keys/corp-idp`);
    expect(userKeys.status, userKeys.text).toBe(200);
    expect(userKeys.body).toMatchObject({
      environment: 'production',
      identityProvider: { name: 'corp-idp', kind: 'generic-oidc', issuer: idp.issuer, tokenEndpoint: idp.tokenEndpoint, audiences: [idp.audience] },
      idpTokenRequest: { tokenEndpoint: idp.tokenEndpoint, audience: idp.audience, parameter: 'resource', value: idp.audience },
      tokenExchange: { tokenEndpoint: `${platform.config.publicUrl}/oauth2/token`, consumerKey, grantType: TOKEN_EXCHANGE, audience: `urn:drawbridge:${org.id}:production` },
    });
    expect(userKeys.body.steps).toHaveLength(4);
    const curl: string = userKeys.body.curl;
    expect(curl).toContain('${CONSUMER_SECRET}');
    expect(curl).toContain('${IDP_TOKEN}');
    expect(curl).not.toContain(consumerSecret);

    // A real token from the IdP, asked for the way the steps say; then the curl command, run as given.
    const idpToken = await idp.clientCredentialsToken({ [userKeys.body.idpTokenRequest.parameter]: userKeys.body.idpTokenRequest.value });
    const exchanged = await runCurl(curl, { CONSUMER_SECRET: consumerSecret, IDP_TOKEN: idpToken });
    expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
    expect(exchanged.body).toMatchObject({ token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
    expect(exchanged.body.expires_in).toBeLessThanOrEqual(900);
    const platformToken: string = exchanged.body.access_token;
    const claims = JSON.parse(Buffer.from(platformToken.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: idp.clientId, client_id: consumerKey, app_id: created.body.id, env: 'production', idp: 'corp-idp', aud: `urn:drawbridge:${org.id}:production` });

    // Subscribe to orders only; the gateway lets the token through to orders and refuses billing.
    const sub = await dev.post(`${app}/subscriptions`, { api: orders.id });
    expect(sub.status).toBe(201);
    expect(sub.body).toMatchObject({ applicationId: created.body.id, apiId: orders.id, api: 'default/orders', apiName: 'Orders API', connections: [] });
    expect((await dev.post(`${app}/subscriptions`, { api: 'default/orders' })).status).toBe(200);
    await platform.runtime.publisher.refresh();

    const ok = await fetch(`${gateway('production')}/${org.handle}/orders/v1/items/7`, { headers: { authorization: `Bearer ${platformToken}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ method: 'GET', url: '/orders/items/7', authorization: null });
    const refused = await fetch(`${gateway('production')}/${org.handle}/billing/v1/items/7`, { headers: { authorization: `Bearer ${platformToken}` } });
    expect(refused.status).toBe(403);

    // Generate Test Token: the same exchange through the portal, and client credentials.
    const test = await dev.post(`${app}/keys/production/test-token`, { consumerSecret, subjectToken: await idp.clientCredentialsToken() });
    expect(test.status).toBe(200);
    expect(test.headers.get('cache-control')).toBe('no-store');
    expect(test.body).toMatchObject({ token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
    const cc = await dev.post(`${app}/keys/production/test-token`, { grantType: 'client_credentials', consumerSecret });
    expect(cc.status).toBe(200);
    expect(JSON.parse(Buffer.from(cc.body.access_token.split('.')[1], 'base64url').toString())).toMatchObject({ sub: consumerKey, client_id: consumerKey, env: 'production' });
    const viaGateway = await fetch(`${gateway('production')}/${org.handle}/orders/v1/items/8`, { headers: { authorization: `Bearer ${cc.body.access_token}` } });
    expect(viaGateway.status).toBe(200);

    // Subscriptions list, unsubscribe, and the gateway follows.
    const subs = await dev.get(`${app}/subscriptions`);
    expect(subs.body.map((s: { apiId: string }) => s.apiId)).toEqual([orders.id]);
    expect((await dev.delete(`${app}/subscriptions/${sub.body.id}`)).status).toBe(204);
    await platform.runtime.publisher.refresh();
    expect((await fetch(`${gateway('production')}/${org.handle}/orders/v1/items/7`, { headers: { authorization: `Bearer ${platformToken}` } })).status).toBe(403);
  });
});
