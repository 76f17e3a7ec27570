import { afterAll, beforeAll, expect, it } from 'vitest';
import { runStandaloneGateway } from '../../src/cli/standalone-gateway.js';
import { createLogger } from '../../src/shared/logger.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture, anotherApiProxy, ordersApi } from './setup.js';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.close();
});

/** Asks until `check` holds (the standalone gateway polls on its own schedule); fails after `attempts`. */
async function eventually(check: () => Promise<boolean>, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition never held');
}

it("runs one environment's gateway alone against the database and picks up changes by polling", async () => {
  const f = await apiProxyFixture(platform);
  await platform.admin.put(f.base, ordersApi('http://127.0.0.1:9'));
  expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'development' })).status).toBe(201);

  const alone = await runStandaloneGateway(platform.config, 'development', { port: 0, pollMs: 100, logger: createLogger('silent') });
  try {
    const first = alone.gateway.status();
    expect(first).toMatchObject({ environment: 'development', ready: true, snapshot: { source: 'live' } });
    // A resource without OAuth2 reaches the (closed) backend: routed, hence 502, not 404.
    expect((await fetch(`${alone.gateway.url}/${f.org}/orders/v1/health`)).status).toBe(502);
    expect((await fetch(`${alone.gateway.url}/${f.org}/billing/v1/`)).status).toBe(404);

    const billing = await anotherApiProxy(platform, f, 'billing');
    await platform.admin.put(billing.base, {
      contextPath: '/billing',
      version: 'v1',
      resources: [{ method: 'GET', path: '/', security: { oauth2: false } }],
      backendUrls: { development: 'http://127.0.0.1:9' },
    });
    expect((await platform.admin.post(`${billing.base}/deployments`, { environment: 'development' })).status).toBe(201);
    await eventually(async () => alone.gateway.status().snapshot!.version > first.snapshot!.version);
    expect((await fetch(`${alone.gateway.url}/${f.org}/billing/v1/`)).status).toBe(502);
  } finally {
    await alone.close();
  }
});

it('refuses an environment without a configured port', async () => {
  await expect(runStandaloneGateway(platform.config, 'staging', { logger: createLogger('silent') })).rejects.toThrow(
    '--port: no port configured for environment "staging" in DRAWBRIDGE_GATEWAYS; pass --port',
  );
});
