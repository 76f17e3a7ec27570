import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from '../helpers/platform.js';
import { echoBackend, portalOrg, publishedApi, startPortalPlatform, type PortalOrg } from './setup.js';

/**
 * Try it (POST /portal/applications/:app/try-it) over real HTTP: a call
 * through the platform's own gateway with a test token the control plane
 * gets for the application, and every refusal.
 */

let platform: TestPlatform;
let backend: Awaited<ReturnType<typeof echoBackend>>;
let big: Server;
let bigUrl: string;
let org: PortalOrg;
let other: PortalOrg;
let orders: { id: string; ref: string };
let billing: { id: string; ref: string };
let foreignApi: { id: string; ref: string };
let app: string;
let appId: string;
let secret: string;

const gateway = (env: string) => platform.runtime.gateway(env)!.url;

beforeAll(async () => {
  [platform, backend] = await Promise.all([startPortalPlatform(), echoBackend()]);
  big = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('x'.repeat(300 * 1024));
  });
  await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
  bigUrl = `http://127.0.0.1:${(big.address() as AddressInfo).port}`;
  [org, other] = [await portalOrg(platform), await portalOrg(platform)];
  orders = await publishedApi(platform, org, 'orders', backend.url);
  billing = await publishedApi(platform, org, 'billing', backend.url);
  foreignApi = await publishedApi(platform, other, 'orders', backend.url);
  const created = await org.developer.post(`${org.path}/portal/applications`, { name: 'Try App' });
  appId = created.body.id;
  app = `${org.path}/portal/applications/${appId}`;
  const keys = await org.developer.post(`${app}/keys/production`, {});
  expect(keys.status).toBe(201);
  secret = keys.body.consumerSecret;
  expect((await org.developer.post(`${app}/subscriptions`, { api: orders.ref })).status).toBe(201);
  // The gateway follows subscriptions from its next snapshot.
  await platform.runtime.publisher.refresh();
});
afterAll(async () => {
  await platform?.close();
  await backend?.close();
  await new Promise((resolve) => {
    big?.closeAllConnections();
    big?.close(resolve);
  });
});

async function tryIt(body: Record<string, unknown>, client = org.developer) {
  return client.post(`${app}/try-it`, { api: orders.ref, environment: 'production', method: 'GET', path: '/items/42', consumerSecret: secret, ...body });
}

describe('try it', () => {
  it('calls the resource through the production gateway with a client-credentials token and answers status, headers, body and a redacted curl', async () => {
    const res = await tryIt({ query: [{ name: 'q', value: 'a b' }], headers: [{ name: 'Accept', value: 'application/json' }] });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const url = `${gateway('production')}/${org.handle}/orders/v1/items/42?q=a+b`;
    expect(res.body.request).toEqual({
      method: 'GET',
      url,
      tokenSource: 'client_credentials',
      headers: [
        { name: 'Authorization', value: 'Bearer ${ACCESS_TOKEN}' },
        { name: 'Accept', value: 'application/json' },
      ],
      curl: `curl -sS -i -X GET '${url}' \\\n  -H "Authorization: Bearer \${ACCESS_TOKEN}" \\\n  -H 'Accept: application/json'`,
    });
    expect(res.body.response).toMatchObject({ status: 200, bodyEncoding: 'utf8', truncated: false });
    // The backend got the call (the gateway does not forward the consumer's token).
    expect(JSON.parse(res.body.response.body)).toEqual({ method: 'GET', url: '/orders/items/42?q=a+b', authorization: null });
    expect(res.body.response.headers).toContainEqual({ name: 'content-type', value: 'application/json' });
    expect(res.body.response.durationMs).toBeGreaterThanOrEqual(0);
    // Neither the secret nor any token comes back.
    expect(res.text).not.toContain(secret);
    expect(res.text).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
  });

  it('uses a platform token the page holds for this application and environment (Generate Test Token)', async () => {
    const issued = await org.developer.post(`${app}/keys/production/test-token`, { consumerSecret: secret });
    expect(issued.status).toBe(200);
    const get = await tryIt({ consumerSecret: undefined, accessToken: issued.body.access_token, path: '/items/7' });
    expect(get.status, get.text).toBe(200);
    expect(get.body.response.status).toBe(200);
    expect(JSON.parse(get.body.response.body)).toEqual({ method: 'GET', url: '/orders/items/7', authorization: null });
    const res = await tryIt({
      consumerSecret: undefined,
      accessToken: issued.body.access_token,
      method: 'POST',
      path: '/items/7',
      body: '{"a":1}',
      headers: [{ name: 'Content-Type', value: 'application/json' }],
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.request.tokenSource).toBe('access_token');
    expect(res.body.request.curl).toBe(
      `curl -sS -i -X POST '${gateway('production')}/${org.handle}/orders/v1/items/7' \\\n  -H "Authorization: Bearer \${ACCESS_TOKEN}" \\\n  -H 'Content-Type: application/json' \\\n  --data-raw '{"a":1}'`,
    );
    // POST /items/7 is not a resource of the API: the gateway's own answer comes back as it is.
    expect(res.body.response.status).toBe(405);
    expect(res.text).not.toContain(issued.body.access_token);
  });

  it('shows at most 256 KiB of the response body and says it was cut', async () => {
    const api = await publishedApi(platform, org, 'bulk', bigUrl);
    expect((await org.developer.post(`${app}/subscriptions`, { api: api.ref })).status).toBe(201);
    await platform.runtime.publisher.refresh();
    const res = await tryIt({ api: api.ref, path: '/items/1' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.response).toMatchObject({ status: 200, truncated: true, bodyEncoding: 'utf8' });
    expect(res.body.response.body).toBe('x'.repeat(256 * 1024));
  });

  it('refuses an application not subscribed to the API (409)', async () => {
    const res = await tryIt({ api: billing.ref });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 'conflict', message: 'Application "Try App" is not subscribed to this API; subscribe it first', fields: { api: 'is not subscribed' } });
  });

  it("answers 404 for another organization's API, by id or by name, and for another organization altogether", async () => {
    for (const api of [foreignApi.id, foreignApi.ref.replace('default/', 'nope/')]) {
      const res = await tryIt({ api });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ code: 'not_found', message: 'API not found' });
    }
    const foreign = await other.developer.post(`${other.path}/portal/applications/${appId}/try-it`, {
      api: foreignApi.ref,
      environment: 'production',
      method: 'GET',
      path: '/items/1',
      consumerSecret: secret,
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({ code: 'not_found', message: 'Application not found' });
    const outsider = await other.developer.post(`${org.path}/portal/applications/${appId}/try-it`, {
      api: orders.ref,
      environment: 'production',
      method: 'GET',
      path: '/items/1',
      consumerSecret: secret,
    });
    expect(outsider.body).toEqual({ code: 'not_found', message: 'Organization not found' });
  });

  it("refuses a path outside the API's base path", async () => {
    for (const path of ['/../../billing/v1/items/1', '/%2e%2e/%2e%2e/billing/v1/items/1', '/items/%2F..%2Fx']) {
      const res = await tryIt({ path });
      expect(res.status, path).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(Object.keys(res.body.fields)).toEqual(['path']);
    }
    expect((await tryIt({ path: '/../../billing/v1/items/1' })).body).toEqual({
      code: 'validation_failed',
      message: 'The path was refused: dot segment in path',
      fields: { path: 'dot segment in path' },
    });
    expect((await tryIt({ path: '/items?x=1' })).body).toEqual({ code: 'validation_failed', message: 'Put query parameters in "query", not in the path', fields: { path: 'must not contain ? or #' } });
  });

  it("refuses an arbitrary host: no URL is accepted, a path naming a host is refused, and only this node's gateways are called", async () => {
    const absolute = await tryIt({ path: 'http://169.254.169.254/latest/meta-data' });
    expect(absolute.status).toBe(400);
    expect(absolute.body).toEqual({ code: 'validation_failed', message: 'The path must start with "/" and is relative to the API\'s base path', fields: { path: 'must start with /' } });
    const withUrl = await tryIt({ url: 'http://169.254.169.254/' });
    expect(withUrl.status).toBe(400);
    expect(withUrl.body.code).toBe('validation_failed');
    // An environment whose gateway URL points elsewhere and that this node runs no gateway for.
    expect((await platform.admin.post(`${org.path}/environments`, { name: 'staging', gatewayUrl: 'http://169.254.169.254' })).status).toBe(201);
    const staging = await tryIt({ environment: 'staging' });
    expect(staging.status).toBe(409);
    expect(staging.body).toEqual({
      code: 'conflict',
      message: 'This node runs no gateway for environment "staging"; Try it calls only the platform\'s own gateways',
      fields: { environment: 'has no gateway on this node' },
    });
    const unknown = await tryIt({ environment: 'nowhere' });
    expect(unknown.body).toEqual({ code: 'not_found', message: 'Environment "nowhere" not found' });
    // "//host/x" stays a path under the API (the gateway collapses repeated slashes).
    const doubled = await tryIt({ path: '//169.254.169.254/x' });
    expect(doubled.status).toBe(200);
    expect(doubled.body.request.url).toBe(`${gateway('production')}/${org.handle}/orders/v1/169.254.169.254/x`);
  });

  it('refuses headers it sets itself or that a trusted proxy would believe, and a body on GET', async () => {
    const auth = await tryIt({ headers: [{ name: 'Authorization', value: 'Bearer x' }] });
    expect(auth.status).toBe(400);
    expect(auth.body).toEqual({ code: 'validation_failed', message: 'The Authorization header cannot be set here: Try it sends the test token itself', fields: { 'headers.0.name': 'cannot be set' } });
    for (const name of ['Host', 'X-Forwarded-For', 'Cookie', 'Transfer-Encoding', 'Proxy-Foo']) {
      expect((await tryIt({ headers: [{ name, value: 'x' }] })).body.fields, name).toEqual({ 'headers.0.name': 'cannot be set' });
    }
    expect((await tryIt({ headers: [{ name: 'Bad Name', value: 'x' }] })).body.fields).toEqual({ 'headers.0.name': 'is not a valid header name' });
    expect((await tryIt({ headers: [{ name: 'X-Ok', value: 'a\r\nInjected: 1' }] })).body.fields).toEqual({ 'headers.0.value': 'is not a valid header value' });
    expect((await tryIt({ body: 'x' })).body).toEqual({ code: 'validation_failed', message: 'A GET request has no body', fields: { body: 'is not allowed with GET' } });
    expect((await tryIt({ body: 'x'.repeat(64 * 1024 + 1), method: 'POST' })).status).toBe(400);
  });

  it('needs a consumer secret the token endpoint accepts, or a token of this very application and environment', async () => {
    const wrong = await tryIt({ consumerSecret: 'dbs_wrong' });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toEqual({
      code: 'unprocessable',
      message: 'The token endpoint refused a test token: invalid_client (Client authentication failed)',
      fields: { consumerSecret: 'invalid_client' },
    });
    const neither = await tryIt({ consumerSecret: undefined });
    expect(neither.status).toBe(400);
    expect(neither.body.fields).toEqual({ consumerSecret: 'or accessToken is required' });
    // A token of another application.
    const otherApp = await org.developer.post(`${org.path}/portal/applications`, { name: 'Other App' });
    const otherKeys = await org.developer.post(`${org.path}/portal/applications/${otherApp.body.id}/keys/production`, {});
    const otherToken = await org.developer.post(`${org.path}/portal/applications/${otherApp.body.id}/keys/production/test-token`, { consumerSecret: otherKeys.body.consumerSecret });
    const foreign = await tryIt({ consumerSecret: undefined, accessToken: otherToken.body.access_token });
    expect(foreign.status).toBe(422);
    expect(foreign.body).toEqual({
      code: 'unprocessable',
      message: 'The access token is not a platform token of application "Try App" in environment "production"',
      fields: { accessToken: 'is not a token of this application and environment' },
    });
    // Keys missing in development.
    const dev = await tryIt({ environment: 'development' });
    expect(dev.status).toBe(404);
    expect(dev.body).toEqual({ code: 'not_found', message: 'Keys for environment "development" (generate them first) not found' });
  });

  it("is for the application's owner and admins: another developer gets 403", async () => {
    const email = `second-${Date.now()}@portal.test`;
    const second = await platform.newUser(email);
    expect((await platform.admin.post(`${org.path}/members`, { email, role: 'developer' })).status).toBe(201);
    const res = await tryIt({}, second);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'forbidden', message: "Only the application's owner or an organization admin can change it" });
    const admin = await tryIt({}, platform.admin);
    expect(admin.status).toBe(200);
  });

  it('answers 404 for a private API the developer may not see, even when the application is subscribed', async () => {
    const hidden = await publishedApi(platform, org, 'hidden', backend.url, { visibility: 'private' });
    expect((await platform.admin.post(`${app}/subscriptions`, { api: hidden.ref })).status).toBe(201);
    const res = await tryIt({ api: hidden.ref });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'not_found', message: 'API not found' });
  });
});
