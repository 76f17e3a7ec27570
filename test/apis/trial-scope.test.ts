import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture, ordersApi, type ApiFixture } from './setup.js';

/**
 * The deploy-time trial compiles only the deploying organization's APIs:
 * routes begin with the organization's handle, so another organization's
 * APIs can neither refuse nor be displaced by it, and their secret
 * parameters are never opened for it.
 */
describe('deploy-time trial', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(async () => {
    await platform?.close();
  });

  async function secretApi(): Promise<ApiFixture> {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.put(f.base, {
      ...ordersApi(),
      policies: [{ policy: 'set-headers@1.0.0', config: { headers: [{ name: 'X-Api-Key', value: '${apiKey}' }] } }],
    });
    if (res.status !== 201) throw new Error(res.text);
    return f;
  }

  it("does not open another organization's secret parameters, and passes the deployments it read", async () => {
    const a = await secretApi();
    const b = await secretApi();
    const deploy = (f: ApiFixture, value: string) => platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { apiKey: { value, secret: true } } });
    expect((await deploy(b, 'org-b-key')).status).toBe(201);
    const active = await platform.store.deployments.activeInEnvironment('development');
    const bApi = active.find((d) => d.orgId === b.orgId)!.apiId;

    // No snapshot compile runs from here on, so every decrypt and read below is the deploy's own.
    await platform.runtime.publisher.close();
    const decrypt = vi.spyOn(platform.deps.masterKey, 'decrypt');
    const reads = vi.spyOn(platform.store.deployments, 'activeInEnvironment');
    try {
      expect((await deploy(a, 'org-a-key')).status).toBe(201);
      const contexts = decrypt.mock.calls.map(([, context]) => String(context));
      expect(contexts.some((c) => c.includes(bApi))).toBe(false);
      expect(contexts.some((c) => c.startsWith('api-param:'))).toBe(true);
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      decrypt.mockRestore();
      reads.mockRestore();
    }
  });
});
