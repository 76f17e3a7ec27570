import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRemoteGateway, type RemoteGateway } from '../../src/cli/remote-gateway.js';
import { GATEWAY_SYNC_PATH, nodeSealingKey, reseal } from '../../src/control-plane/gateway-sync.js';
import { SEALED_SECRET_CONTEXT, type GatewaySnapshot } from '../../src/gateway/index.js';
import { MasterKey } from '../../src/shared/crypto.js';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { anotherApiProxy, apiProxyFixture, ordersApi, type ApiFixture } from '../apis/setup.js';

async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 50));
  }
}

let platform: TestPlatform;
let backend: Server;
let backendUrl: string;
let fixture: ApiFixture;
const dataDir = mkdtempSync(join(tmpdir(), 'drawbridge-gateway-node-'));
const remotes: RemoteGateway[] = [];

/** A gateway-only node's config: its own data folder and a database URL it must never use. */
const nodeConfig = () =>
  loadConfig({
    DRAWBRIDGE_DATA_DIR: dataDir,
    DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1',
    DRAWBRIDGE_GATEWAYS: 'development=0',
    DRAWBRIDGE_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    DRAWBRIDGE_LOG_LEVEL: 'silent',
    DRAWBRIDGE_EGRESS_ALLOW: 'loopback', // the test backend is on loopback, which production's egress policy refuses
  });
const startNode = async (token: string) => {
  const node = await runRemoteGateway(nodeConfig(), { controlPlaneUrl: platform.url, token, environment: 'development', port: 0, waitSeconds: 5, logger: createLogger('silent') });
  remotes.push(node);
  return node;
};
const createNode = async (name: string) => {
  const res = await platform.admin.post('/api/v1/admin/gateway-nodes', { name, environment: 'development' });
  expect(res.status).toBe(201);
  return res.body as { id: string; token: string };
};

beforeAll(async () => {
  platform = await startTestPlatform();
  backend = createServer((req, res) => res.end(`backend saw ${req.url}`));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  fixture = await apiProxyFixture(platform);
  expect((await platform.admin.put(fixture.base, ordersApi(backendUrl))).status).toBe(201);
  expect((await platform.admin.post(`${fixture.base}/deployments`, { environment: 'development' })).status).toBe(201);
});
afterAll(async () => {
  for (const r of remotes) await r.close();
  await platform?.close();
  await new Promise((r) => backend?.close(r));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('gateway-node tokens', () => {
  it('are for the installation administrator only, shown once, and listed without the token', async () => {
    const member = await platform.newUser('gw-member@example.com');
    const refused = await member.post('/api/v1/admin/gateway-nodes', { name: 'edge-x', environment: 'development' });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ code: 'forbidden', message: 'Only the platform administrator can manage gateway nodes' });
    const created = await createNode('edge-list');
    expect(created.token).toMatch(/^dbg_[A-Za-z0-9_-]{43}$/);
    const listed = await platform.admin.get('/api/v1/admin/gateway-nodes');
    expect(listed.status).toBe(200);
    expect(listed.body.find((n: { id: string }) => n.id === created.id)).toEqual({
      id: created.id,
      name: 'edge-list',
      environment: 'development',
      createdAt: expect.any(String),
      lastSeenAt: null,
      revokedAt: null,
    });
    expect(listed.text).not.toContain(created.token);
    const duplicate = await platform.admin.post('/api/v1/admin/gateway-nodes', { name: 'edge-list', environment: 'development' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toEqual({ code: 'conflict', message: 'A gateway node named "edge-list" exists', fields: { name: 'is taken' } });
  });

  it("prevents reading snapshots without a live token: none, unknown, a user's API token and a revoked one all get 401", async () => {
    const unauthorized = { code: 'unauthenticated', message: 'Send a live gateway-node token as "Authorization: Bearer dbg_…"' };
    const sync = (authorization?: string) => fetch(`${platform.url}${GATEWAY_SYNC_PATH}?wait=0`, { headers: authorization ? { authorization } : {} });
    for (const authorization of [undefined, `Bearer dbg_${'x'.repeat(43)}`, `Bearer ${platform.admin.token}`]) {
      const res = await sync(authorization);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(unauthorized);
    }
    const node = await createNode('edge-revoked');
    expect((await sync(`Bearer ${node.token}`)).status).toBe(200);
    expect((await platform.admin.delete(`/api/v1/admin/gateway-nodes/${node.id}`)).status).toBe(204);
    const revoked = await sync(`Bearer ${node.token}`);
    expect(revoked.status).toBe(401);
    expect((await platform.admin.delete(`/api/v1/admin/gateway-nodes/${node.id}`)).status).toBe(404);
  });

  it('refuses a bad long-poll request with 400', async () => {
    const node = await createNode('edge-bad');
    const res = await fetch(`${platform.url}${GATEWAY_SYNC_PATH}?wait=600`, { headers: { authorization: `Bearer ${node.token}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 'bad_request', message: 'wait must be a whole number of seconds from 0 to 60' });
  });
});

describe('a gateway-only node (hybrid mode)', () => {
  it("serves the control plane's snapshot without any database, and a new deployment reaches it through the long poll", async () => {
    const token = (await createNode('edge-1')).token;
    const node = await startNode(token);
    expect(node.gateway.status()).toMatchObject({ environment: 'development', ready: true, snapshot: { source: 'live' } });
    const health = await fetch(`${node.gateway.url}/${fixture.org}/orders/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('backend saw /health');

    const billing = await anotherApiProxy(platform, fixture, 'billing');
    await platform.admin.put(billing.base, {
      contextPath: '/billing',
      version: 'v1',
      resources: [{ method: 'GET', path: '/', security: { oauth2: false } }],
      backendUrls: { development: backendUrl },
    });
    expect((await fetch(`${node.gateway.url}/${fixture.org}/billing/v1/`)).status).toBe(404);
    expect((await platform.admin.post(`${billing.base}/deployments`, { environment: 'development' })).status).toBe(201);
    await eventually(async () => (await fetch(`${node.gateway.url}/${fixture.org}/billing/v1/`)).status === 200);
    const listed = await platform.admin.get('/api/v1/admin/gateway-nodes');
    expect(listed.body.find((n: { name: string }) => n.name === 'edge-1').lastSeenAt).toEqual(expect.any(String));
  });

  it('keeps the last snapshot on disk and serves from it while the control plane is gone', async () => {
    const token = (await createNode('edge-2')).token;
    const first = await startNode(token);
    const saved = readFileSync(join(dataDir, 'gateway', 'development.snapshot.json'), 'utf8');
    expect(saved).toContain(fixture.org);
    await first.close();
    remotes.splice(remotes.indexOf(first), 1);

    await platform.close(); // the control plane goes away
    const fromDisk = await startNode(token);
    expect(fromDisk.gateway.status()).toMatchObject({ ready: true, snapshot: { source: 'disk' } });
    const res = await fetch(`${fromDisk.gateway.url}/${fixture.org}/orders/v1/health`);
    expect(res.status).toBe(200);
  });
});

describe('snapshot sealing for nodes', () => {
  it("re-seals every secret for the node: its token's key opens them, the master key no longer does, and nothing else changes", () => {
    const master = MasterKey.fromBytes(randomBytes(32));
    const node = nodeSealingKey(`dbg_${'a'.repeat(43)}`);
    const sealed = (v: string) => ({ $sealed: master.encrypt(v, SEALED_SECRET_CONTEXT) });
    const snapshot = {
      format: 1,
      version: 7,
      apis: [{ backendUrl: sealed('http://secret-backend'), policies: [{ config: { clientSecret: sealed('s3cret'), headerName: 'Authorization' } }] }],
    } as unknown as GatewaySnapshot;
    const out = reseal(snapshot, master, node) as unknown as {
      version: number;
      apis: { backendUrl: { $sealed: string }; policies: { config: { clientSecret: { $sealed: string }; headerName: string } }[] }[];
    };
    expect(out.version).toBe(7);
    expect(out.apis[0]!.policies[0]!.config.headerName).toBe('Authorization');
    expect(node.decrypt(out.apis[0]!.backendUrl.$sealed, SEALED_SECRET_CONTEXT)).toBe('http://secret-backend');
    expect(node.decrypt(out.apis[0]!.policies[0]!.config.clientSecret.$sealed, SEALED_SECRET_CONTEXT)).toBe('s3cret');
    expect(() => master.decrypt(out.apis[0]!.backendUrl.$sealed, SEALED_SECRET_CONTEXT)).toThrow();
    expect(JSON.stringify(out)).not.toContain('s3cret');
  });
});
