import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStandaloneGateway } from '../../src/cli/standalone-gateway.js';
import { createLogger } from '../../src/shared/logger.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture, type ApiFixture } from './setup.js';

/**
 * Per-API limits set in the control plane reach the gateway, and the
 * gateway settings of the configuration reach the listeners `drawbridge
 * start` and `drawbridge gateway` run.
 */

let platform: TestPlatform;
let backend: Server;
let backendUrl: string;
const seen: IncomingMessage['headers'][] = [];

beforeAll(async () => {
  backend = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/slow') return; // never answers
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  platform = await startTestPlatform({ env: { DRAWBRIDGE_GATEWAY_FORWARDED_PROTO: 'https', DRAWBRIDGE_GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1' } });
});
afterAll(async () => {
  await platform?.close();
  backend?.closeAllConnections();
  await new Promise((resolve) => backend?.close(resolve));
});

const anonymous = (method: string, path: string) => ({ method, path, security: { oauth2: false } });

async function deployed(f: ApiFixture, limits: Record<string, number> | undefined, contextPath = '/limited'): Promise<string> {
  const put = await platform.admin.put(f.base, {
    contextPath,
    version: 'v1',
    backendUrls: { development: backendUrl },
    resources: [anonymous('POST', '/upload'), anonymous('GET', '/slow'), anonymous('GET', '/fast')],
    ...(limits && { limits }),
  });
  expect(put.status).toBe(201);
  expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'development' })).status).toBe(201);
  const url = `${platform.runtime.gateway('development')!.url}/${f.org}${contextPath}/v1`;
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${url}/fast`)).status === 200) return url;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the deployment never reached the gateway');
}

describe('API limits', () => {
  it('are part of the definition, shown in the view, and null by default', async () => {
    const f = await apiProxyFixture(platform);
    const put = await platform.admin.put(f.base, { contextPath: '/l', version: 'v1', limits: { maxBodyBytes: 1024, headersTimeoutMs: 200 } });
    expect(put.status).toBe(201);
    expect(put.body.limits).toEqual({ maxBodyBytes: 1024, headersTimeoutMs: 200 });
    const patched = await platform.admin.patch(f.base, { limits: { connectTimeoutMs: 1000, bodyTimeoutMs: 5000 } });
    expect(patched.body.limits).toEqual({ connectTimeoutMs: 1000, bodyTimeoutMs: 5000 });
    expect((await platform.admin.patch(f.base, { visibility: 'private' })).body.limits).toEqual({ connectTimeoutMs: 1000, bodyTimeoutMs: 5000 });
    expect((await platform.admin.patch(f.base, { limits: null })).body.limits).toBeNull();
    expect((await platform.admin.patch(f.base, { limits: {} })).body.limits).toBeNull();
    const other = await apiProxyFixture(platform);
    expect((await platform.admin.put(other.base, { contextPath: '/l2', version: 'v1' })).body.limits).toBeNull();
  });

  it.each([
    [{ maxBodyBytes: 0 }, 'limits.maxBodyBytes', 'must be >= 1'],
    [{ maxBodyBytes: 1024 * 1024 * 1024 + 1 }, 'limits.maxBodyBytes', 'must be <= 1073741824'],
    [{ maxBodyBytes: 1.5 }, 'limits.maxBodyBytes', 'must be integer'],
    [{ connectTimeoutMs: 99 }, 'limits.connectTimeoutMs', 'must be >= 100'],
    [{ connectTimeoutMs: 60_001 }, 'limits.connectTimeoutMs', 'must be <= 60000'],
    [{ headersTimeoutMs: 600_001 }, 'limits.headersTimeoutMs', 'must be <= 600000'],
    [{ bodyTimeoutMs: 50 }, 'limits.bodyTimeoutMs', 'must be >= 100'],
    [{ maxBodyBytes: '1024' }, 'limits.maxBodyBytes', 'must be integer'],
    [{ rateLimit: 5 }, 'limits.rateLimit', 'is not a known property'],
  ])('refuses %j with 400 naming the field', async (limits, field, message) => {
    const f = await apiProxyFixture(platform);
    const res = await platform.admin.put(f.base, { contextPath: '/l', version: 'v1', limits });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.fields[field]).toBe(message);
    expect((await platform.admin.get(f.base)).status).toBe(404);
  });

  it('maxBodyBytes 1024: a 2 KiB body gets 413 with the JSON error, a small one passes', async () => {
    const url = await deployed(await apiProxyFixture(platform), { maxBodyBytes: 1024 }, '/small-bodies');
    const res = await fetch(`${url}/upload`, { method: 'POST', body: 'x'.repeat(2048) });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ code: 'payload_too_large', message: 'The request body is larger than the 1024 bytes this API accepts' });
    expect((await fetch(`${url}/upload`, { method: 'POST', body: 'x'.repeat(1024) })).status).toBe(200);
  });

  it('headersTimeoutMs 200 against a backend that never answers: 504', async () => {
    const url = await deployed(await apiProxyFixture(platform), { headersTimeoutMs: 200 }, '/impatient');
    const res = await fetch(`${url}/slow`);
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ code: 'gateway_timeout', message: 'The backend did not answer in time' });
  });

  it('the revision freezes the limits and the snapshot carries them', async () => {
    const f = await apiProxyFixture(platform);
    await deployed(f, { maxBodyBytes: 2048, connectTimeoutMs: 1500 }, '/frozen');
    const [revision] = (await platform.admin.get(`${f.base}/revisions`)).body;
    expect(revision.definition.limits).toEqual({ maxBodyBytes: 2048, connectTimeoutMs: 1500 });
    const snapshot = await platform.runtime.publisher.compile('development');
    expect(snapshot.apis.find((a) => a.id === f.componentId)!.limits).toEqual({ maxBodyBytes: 2048, connectTimeoutMs: 1500 });
    // Without limits the revision has no `limits` member at all (so definitions made before limits keep their digest).
    const plain = await apiProxyFixture(platform);
    await deployed(plain, undefined, '/plain');
    const [plainRevision] = (await platform.admin.get(`${plain.base}/revisions`)).body;
    expect('limits' in plainRevision.definition).toBe(false);
    expect('limits' in (await platform.runtime.publisher.compile('development')).apis.find((a) => a.id === plain.componentId)!).toBe(false);
  });
});

describe('gateway settings reach the listeners', () => {
  it('drawbridge start: DRAWBRIDGE_GATEWAY_FORWARDED_PROTO and DRAWBRIDGE_GATEWAY_TRUSTED_PROXIES', async () => {
    const url = await deployed(await apiProxyFixture(platform), undefined, '/headers');
    seen.length = 0;
    expect((await fetch(`${url}/fast`)).status).toBe(200);
    expect(seen[0]).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-for': '127.0.0.1' });
    // 127.0.0.1 is trusted here: what it forwards is kept and appended to.
    expect((await fetch(`${url}/fast`, { headers: { 'x-forwarded-for': '198.51.100.4', 'x-forwarded-proto': 'http' } })).status).toBe(200);
    expect(seen[1]).toMatchObject({ 'x-forwarded-proto': 'http', 'x-forwarded-for': '198.51.100.4, 127.0.0.1' });
  });

  it('drawbridge gateway (standalone): the same settings', async () => {
    const f = await apiProxyFixture(platform);
    await deployed(f, undefined, '/standalone');
    const alone = await runStandaloneGateway(platform.config, 'development', { port: 0, pollMs: 100, logger: createLogger('silent') });
    try {
      seen.length = 0;
      expect((await fetch(`${alone.gateway.url}/${f.org}/standalone/v1/fast`, { headers: { 'x-forwarded-for': '198.51.100.5' } })).status).toBe(200);
      expect(seen[0]).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.5, 127.0.0.1' });
    } finally {
      await alone.close();
    }
  });
});
