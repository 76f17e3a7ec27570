import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture, type ApiFixture } from '../apis/setup.js';
import { startCountingIdp, startTokenBackend, type CountingIdp, type TokenBackend } from './helpers.js';

/**
 * `headerName: "${param}"` cannot be judged when the policy is attached; its
 * value is checked at deploy. A bad value fails that deploy with a clear error
 * naming the setting, and the deployment already running keeps serving.
 */
const CLIENT = { id: 'orders-gw', secret: 'header-secret-91c4e07b2a5d38f6' };

describe('outbound-oauth2: headerName given as a parameter', () => {
  let platform: TestPlatform;
  let idp: CountingIdp;
  let backend: TokenBackend;
  let f: ApiFixture;
  const params = (backendHeader: string) => ({ backendHeader, clientSecret: { value: CLIENT.secret, secret: true } });
  const call = async () => fetch(`${platform.runtime.gateway('development')!.url}/${f.org}/orders/v1/items`);

  beforeAll(async () => {
    idp = await startCountingIdp([CLIENT], { expiresIn: 3600 });
    backend = await startTokenBackend({ header: 'x-backend-token', issuer: idp.issuer, jwks: idp.jwks });
    platform = await startTestPlatform();
    f = await apiProxyFixture(platform);
    expect(
      (
        await platform.admin.put(f.base, {
          contextPath: '/orders',
          version: 'v1',
          resources: [{ method: 'GET', path: '/items', security: { oauth2: false } }],
          backendUrls: { development: backend.url },
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await platform?.close();
    await Promise.all([idp, backend].map((s) => s?.close()));
  });

  it('is accepted when attached, whatever the parameter will hold', async () => {
    const attached = await platform.admin.post(`${f.base}/policies`, {
      policy: 'outbound-oauth2@1.0.1',
      config: { tokenUrl: idp.tokenUrl, clientId: CLIENT.id, clientSecret: '${clientSecret}', headerName: '${backendHeader}' },
    });
    expect(attached.status, attached.text).toBe(201);
  });

  it('deploys with a good value: the backend gets the token in that header', async () => {
    const deployed = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: params('X-Backend-Token') });
    expect(deployed.status, deployed.text).toBe(201);
    expect(deployed.body).toMatchObject({ revision: 1, status: 'active' });
    await platform.runtime.publisher.refresh();
    expect((await call()).status).toBe(200);
    expect(backend.calls.at(-1)!.token).toBe(idp.issued[0]);
  });

  for (const [value, message] of [
    ['Transfer-Encoding', 'header "Transfer-Encoding" is managed by the gateway and cannot be used here'],
    ['Bad Header', '"Bad Header" is not a valid header name'],
  ] as const) {
    it(`refuses a deploy whose value is ${JSON.stringify(value)} with a clear 422; the running deployment is untouched`, async () => {
      const before = await platform.admin.get(`${f.base}/deployments?environment=development`);
      const refused = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: params(value) });
      expect(refused.status, refused.text).toBe(422);
      expect(refused.body).toEqual({
        code: 'unprocessable',
        message: `Policy outbound-oauth2@1.0.1 is misconfigured: policies[0].config.headerName: ${message}`,
        fields: { 'policies[0].config.headerName': message },
      });
      expect(refused.text).not.toContain(CLIENT.secret);

      const after = await platform.admin.get(`${f.base}/deployments?environment=development`);
      expect(after.body).toEqual(before.body);
      expect(after.body.filter((d: { status: string }) => d.status === 'active').map((d: { revision: number; params: unknown }) => [d.revision, d.params])).toEqual([
        [1, { backendHeader: { secret: false, value: 'X-Backend-Token' }, clientSecret: { secret: true } }],
      ]);
      await platform.runtime.publisher.refresh();
      expect((await call()).status).toBe(200);
      expect(backend.calls.at(-1)!.header).toBe(idp.issued[0]);
      expect(idp.count).toBe(1);
    });
  }
});
