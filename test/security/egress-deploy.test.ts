import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../gateway/helpers.js';
import { signIn, startTestPlatform, type Api, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture, ordersApi } from '../apis/setup.js';

/**
 * Issue 15, item 1: the gateway as an SSRF proxy. In production a
 * developer-role member deployed an API whose backend was
 * http://127.0.0.1:<port>/internal-admin and read it anonymously through the
 * gateway, and an outbound-oauth2 tokenUrl on 169.254.169.254 was accepted.
 * Deploys are now checked against the installation's egress policy (422).
 */

const publicApi = (backend: string) => ({
  ...ordersApi(backend),
  resources: [{ method: 'GET', path: '/status', security: { oauth2: false } }],
});

async function developer(platform: TestPlatform, org: string, email: string): Promise<Api> {
  const invite = await platform.admin.post(`/api/v1/orgs/${org}/members`, { email, role: 'developer' });
  if (invite.status !== 201) throw new Error(invite.text);
  return signIn(platform.api, email, invite.body.temporaryPassword);
}

describe('production: deploys are checked against the egress policy', () => {
  let platform: TestPlatform;
  let internal: Backend;
  beforeAll(async () => {
    // Production with the default egress policy (the test helper allows loopback; this test does not).
    platform = await startTestPlatform({ env: { DRAWBRIDGE_MODE: 'production', DRAWBRIDGE_EGRESS_ALLOW: '' } });
    internal = await startBackend();
  });
  afterAll(async () => {
    await platform?.close();
    await internal?.close();
  });

  it('refuses a loopback backend (the internal-admin case) with 422, deploys nothing, and the gateway serves nothing', async () => {
    const f = await apiProxyFixture(platform);
    const dev = await developer(platform, f.org, 'ssrf-dev@example.com');
    expect((await dev.put(f.base, publicApi(`${internal.url}/internal-admin`))).status).toBe(201);
    const res = await dev.post(`${f.base}/deployments`, { environment: 'development' });
    const reason = '127.0.0.1 is a loopback address; the egress policy refuses it in production (list it in DRAWBRIDGE_EGRESS_ALLOW to allow it)';
    expect({ status: res.status, body: res.body }).toEqual({
      status: 422,
      body: { code: 'unprocessable', message: `The gateway would not serve this deployment: backendUrl: ${reason}`, fields: { backendUrl: reason } },
    });
    expect((await dev.get(`${f.base}/deployments`)).body).toEqual([]);
    const through = await fetch(`${platform.runtime.gateway('development')!.url}/${f.org}/orders/v1/status`);
    expect(through.status).toBe(404);
    expect(internal.requests).toEqual([]);
  });

  it('refuses a host name that resolves to loopback, and the unspecified address', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, publicApi(`http://localhost:${new URL(internal.url).port}/internal-admin`));
    const byName = await platform.admin.post(`${f.base}/deployments`, { environment: 'development' });
    expect(byName.status).toBe(422);
    expect(byName.body.fields.backendUrl).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), which is a loopback address; the egress policy refuses it in production/);
    await platform.admin.put(f.base, publicApi('http://0.0.0.0:8080'));
    const unspecified = await platform.admin.post(`${f.base}/deployments`, { environment: 'development' });
    expect(unspecified.body.fields).toEqual({
      backendUrl: '0.0.0.0 is the unspecified address (it reaches this host); the egress policy refuses it in production (list it in DRAWBRIDGE_EGRESS_ALLOW to allow it)',
    });
  });

  it('refuses an outbound-oauth2 tokenUrl on the cloud metadata address, naming the setting (also through a ${parameter})', async () => {
    const f = await apiProxyFixture(platform);
    expect((await platform.admin.put(f.base, publicApi('https://orders.example.com'))).status).toBe(201);
    const attached = await platform.admin.post(`${f.base}/policies`, {
      policy: 'outbound-oauth2@1.0.1',
      config: { tokenUrl: '${tokenUrl}', clientId: 'gw', clientSecret: '${secret}' },
    });
    expect(attached.status).toBeLessThan(300);
    const res = await platform.admin.post(`${f.base}/deployments`, {
      environment: 'development',
      params: { tokenUrl: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/', secret: { value: 's3cr3t-value', secret: true } },
    });
    const reason = '169.254.169.254 is a link-local address (cloud metadata lives there); the egress policy refuses it in production (list it in DRAWBRIDGE_EGRESS_ALLOW to allow it)';
    expect({ status: res.status, body: res.body }).toEqual({
      status: 422,
      body: {
        code: 'unprocessable',
        message: `The gateway would not serve this deployment: resources[0].policies[0].config.tokenUrl: ${reason}`,
        fields: { 'resources[0].policies[0].config.tokenUrl': reason },
      },
    });
    expect(res.text).not.toContain('s3cr3t-value');
  });

  it('allows private and public addresses (checked, not fetched)', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, publicApi('http://10.20.30.40:8080/svc'));
    expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'development' })).status).toBe(201);
  });
});

describe("production: the platform's own listeners are refused even where loopback is allowed", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({ env: { DRAWBRIDGE_MODE: 'production', DRAWBRIDGE_EGRESS_ALLOW: 'loopback' } });
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('a backend on the control plane port or a gateway port is refused; another loopback port is not', async () => {
    const f = await apiProxyFixture(platform);
    const controlPlane = new URL(platform.url);
    for (const [name, url] of [
      ['control plane', platform.url],
      ['production gateway', platform.runtime.gateway('production')!.url],
    ] as const) {
      await platform.admin.put(f.base, publicApi(`${url}/api/v1`));
      const res = await platform.admin.post(`${f.base}/deployments`, { environment: 'development' });
      const { port } = new URL(url);
      expect({ name, status: res.status, fields: res.body.fields }).toEqual({
        name,
        status: 422,
        fields: { backendUrl: `127.0.0.1:${port} is one of the platform's own listeners; the egress policy refuses it in production (DRAWBRIDGE_EGRESS_ALLOW=self allows it)` },
      });
    }
    const other = await startBackend();
    try {
      await platform.admin.put(f.base, publicApi(other.url));
      expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'development' })).status).toBe(201);
      expect(Number(new URL(other.url).port)).not.toBe(Number(controlPlane.port));
    } finally {
      await other.close();
    }
  });
});

describe('development mode allows everything, as before', () => {
  let platform: TestPlatform;
  let backend: Backend;
  beforeAll(async () => {
    platform = await startTestPlatform({ env: { DRAWBRIDGE_MODE: 'development', DRAWBRIDGE_EGRESS_ALLOW: '' } });
    backend = await startBackend();
  });
  afterAll(async () => {
    await platform?.close();
    await backend?.close();
  });

  it('deploys a loopback backend and serves it', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, publicApi(`${backend.url}/internal-admin`));
    expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'development' })).status).toBe(201);
    const gw = platform.runtime.gateway('development')!;
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await fetch(`${gw.url}/${f.org}/orders/v1/status`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
    expect(backend.requests.at(-1)!.url).toBe('/internal-admin/status');
  });
});
