import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRemoteGateway, type RemoteGateway } from '../../src/cli/remote-gateway.js';
import { DELTA_MEDIA_TYPE, SNAPSHOT_ID_HEADER } from '../../src/control-plane/gateway-sync-delta.js';
import { GATEWAY_SYNC_PATH, nodeSealingKey } from '../../src/control-plane/gateway-sync.js';
import { SEALED_SECRET_CONTEXT, type GatewaySnapshot } from '../../src/gateway/index.js';
import { loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { anotherApiProxy, apiProxyFixture, ordersApi, type ApiFixture } from '../apis/setup.js';

/**
 * Gateway-only nodes get deltas: after the first snapshot, what changed since
 * the snapshot they hold (by its id), sealed for them; unchanged APIs stay the
 * node's own objects.
 */

let platform: TestPlatform;
let backend: Server;
let backendHost: string;
let orders: ApiFixture;
let vault: ApiFixture;
const dataDir = mkdtempSync(join(tmpdir(), 'drawbridge-gateway-delta-'));
const remotes: RemoteGateway[] = [];

const createNode = async (name: string) => {
  const res = await platform.admin.post('/api/v1/admin/gateway-nodes', { name, environment: 'development' });
  expect(res.status).toBe(201);
  return res.body as { id: string; token: string };
};

interface SyncAnswer {
  status: number;
  type: string | null;
  id: string | null;
  body: any;
}
const sync = async (token: string, query: string): Promise<SyncAnswer> => {
  const res = await fetch(`${platform.url}${GATEWAY_SYNC_PATH}?${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type'), id: res.headers.get(SNAPSHOT_ID_HEADER), body: res.status === 204 ? undefined : await res.json() };
};

/** A node token the tests wait with: its long poll returns once the control plane published. */
let watcher: string;

/**
 * Deploys `vault` with its backend path secret (`path` ends up sealed in its
 * backendUrl) and waits until the snapshot with it is published, the way a
 * change reaches the control plane in production (its change feed; no
 * `publisher.refresh()`, which rebuilds every part as new objects).
 */
const deployVault = async (path: string) => {
  let seen = (await sync(watcher, 'wait=0')).body as GatewaySnapshot;
  const res = await platform.admin.post(`${vault.base}/deployments`, { environment: 'development', params: { backendHost, tail: { value: path, secret: true } } });
  expect(res.status).toBe(201);
  const published = (s: GatewaySnapshot) => s.apis.some((a) => a.id === vault.componentId && openBackend(a, watcher) === `http://${backendHost}/${path}`);
  while (!published(seen)) {
    const next = await sync(watcher, `after=${seen.version}&wait=10`);
    expect(next.status).toBe(200);
    seen = next.body;
  }
};

beforeAll(async () => {
  platform = await startTestPlatform();
  backend = createServer((req, res) => res.end(`backend saw ${req.url}`));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendHost = `127.0.0.1:${(backend.address() as AddressInfo).port}`;
  orders = await apiProxyFixture(platform);
  expect((await platform.admin.put(orders.base, ordersApi(`http://${backendHost}`))).status).toBe(201);
  expect((await platform.admin.post(`${orders.base}/deployments`, { environment: 'development' })).status).toBe(201);
  vault = await anotherApiProxy(platform, orders, 'vault');
  const put = await platform.admin.put(vault.base, {
    contextPath: '/vault',
    version: 'v1',
    resources: [{ method: 'GET', path: '/', security: { oauth2: false } }],
    backendUrls: { development: 'http://${backendHost}/${tail}' },
  });
  expect(put.status).toBe(201);
  watcher = (await createNode('delta-watcher')).token;
  await deployVault('first');
});
afterAll(async () => {
  for (const r of remotes) await r.close();
  await platform?.close();
  await new Promise((r) => backend?.close(r));
  rmSync(dataDir, { recursive: true, force: true });
});

const openBackend = (api: { backendUrl: unknown }, token: string) => nodeSealingKey(token).decrypt((api.backendUrl as { $sealed: string }).$sealed, SEALED_SECRET_CONTEXT);

describe('snapshot deltas on the wire', () => {
  it('sends only the changed API, sealed for the asking node alone, when the node names the snapshot it holds', async () => {
    const one = (await createNode('delta-wire-1')).token;
    const two = (await createNode('delta-wire-2')).token;
    const full = await sync(one, 'wait=0');
    expect(full.status).toBe(200);
    expect(full.type).toBe('application/json; charset=utf-8');
    expect(full.id).toMatch(/^[A-Za-z0-9_-]+\.\d+$/);
    expect(full.id!.endsWith(`.${full.body.version}`)).toBe(true);
    const count = full.body.apis.length;
    const vaultAt = full.body.apis.findIndex((a: { id: string }) => a.id === vault.componentId);
    expect(openBackend(full.body.apis[vaultAt], one)).toBe(`http://${backendHost}/first`);

    await deployVault('second');
    for (const [token, other] of [
      [one, two],
      [two, one],
    ] as const) {
      const delta = await sync(token, `after=${full.body.version}&wait=10&have=${full.id}`);
      expect(delta.status).toBe(200);
      expect(delta.type).toBe(`${DELTA_MEDIA_TYPE}; charset=utf-8`);
      expect(delta.id).not.toBe(full.id);
      expect(delta.body.delta).toEqual({ base: full.id, count, at: [vaultAt], removed: [] });
      // Nothing but the scalars and the one API: the keys, subscriptions, clients, IdPs and revocations did not change.
      expect(Object.keys(delta.body).sort()).toEqual(['apis', 'delta', 'environment', 'format', 'generatedAt', 'issuer', 'version']);
      expect(delta.body.apis.map((a: { id: string }) => a.id)).toEqual([vault.componentId]);
      expect(openBackend(delta.body.apis[0], token)).toBe(`http://${backendHost}/second`);
      expect(() => openBackend(delta.body.apis[0], other)).toThrow();
      expect(JSON.stringify(delta.body)).not.toContain('second');
    }

    // A revoked token gets no delta either.
    const { id } = (await platform.admin.get('/api/v1/admin/gateway-nodes')).body.find((n: { name: string }) => n.name === 'delta-wire-2');
    expect((await platform.admin.delete(`/api/v1/admin/gateway-nodes/${id}`)).status).toBe(204);
    const revoked = await sync(two, `after=${full.body.version}&wait=0&have=${full.id}`);
    expect(revoked.status).toBe(401);
  });

  it('sends the full snapshot to an older node (no have), and for a base it does not keep (unknown, or too old)', async () => {
    const token = (await createNode('delta-wire-full')).token;
    const first = await sync(token, 'wait=0');
    await deployVault('third');
    const old = await sync(token, `after=${first.body.version}&wait=10`);
    expect(old.status).toBe(200);
    expect(old.type).toBe('application/json; charset=utf-8');
    expect(old.body.apis.map((a: { id: string }) => a.id)).toEqual(first.body.apis.map((a: { id: string }) => a.id));
    expect(old.body.delta).toBeUndefined();

    const unknown = await sync(token, `after=${first.body.version}&wait=0&have=${'x'.repeat(12)}.${first.body.version}`);
    expect(unknown.type).toBe('application/json; charset=utf-8');
    expect(unknown.body.apis).toHaveLength(first.body.apis.length);

    // The control plane keeps the last 16 snapshots of an environment: 16 more changes and `first` is gone.
    for (let i = 0; i < 16; i++) await deployVault(`churn-${i}`);
    const tooOld = await sync(token, `after=${first.body.version}&wait=0&have=${first.id}`);
    expect(tooOld.type).toBe('application/json; charset=utf-8');
    expect(tooOld.body.delta).toBeUndefined();
    expect(
      openBackend(
        tooOld.body.apis.find((a: { id: string }) => a.id === vault.componentId),
        token,
      ),
    ).toBe(`http://${backendHost}/churn-15`);
    const recent = await sync(token, `after=${old.body.version}&wait=0&have=${old.id}`);
    expect(recent.type).toBe('application/json; charset=utf-8'); // `old` was 17 changes ago too
    const latest = await sync(token, `wait=0`);
    expect(latest.id).toBe(tooOld.id);
  });

  it('refuses a malformed have with 400', async () => {
    const token = (await createNode('delta-wire-bad')).token;
    const res = await sync(token, 'wait=0&have=not%20an%20id');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'bad_request', message: `have must be a snapshot id (the ${SNAPSHOT_ID_HEADER} header of an earlier answer)` });
  });
});

describe('a gateway-only node applying deltas', () => {
  it('patches the changed API in, keeps the unchanged ones as they were, serves both, and drops a removed API', async () => {
    const token = (await createNode('delta-node')).token;
    const config = loadConfig({
      DRAWBRIDGE_DATA_DIR: dataDir,
      DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1',
      DRAWBRIDGE_GATEWAYS: 'development=0',
      DRAWBRIDGE_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      DRAWBRIDGE_LOG_LEVEL: 'silent',
      DRAWBRIDGE_EGRESS_ALLOW: 'loopback',
    });
    const node = await runRemoteGateway(config, { controlPlaneUrl: platform.url, token, environment: 'development', port: 0, waitSeconds: 5, logger: createLogger('silent') });
    remotes.push(node);
    const given: GatewaySnapshot[] = [];
    const setSnapshot = node.gateway.setSnapshot.bind(node.gateway);
    node.gateway.setSnapshot = (snapshot) => {
      given.push(snapshot);
      return setSnapshot(snapshot);
    };
    const get = async (path: string) => {
      const res = await fetch(`${node.gateway.url}/${orders.org}${path}`);
      return { status: res.status, text: await res.text() };
    };
    expect(await get('/orders/v1/health')).toEqual({ status: 200, text: 'backend saw /health' });
    const before = (await get('/vault/v1/')).text;

    await deployVault('delta');
    await expect.poll(async () => (await get('/vault/v1/')).text, { timeout: 10_000 }).toBe('backend saw /delta');
    expect(before).not.toBe('backend saw /delta');
    await deployVault('delta-2');
    await expect.poll(async () => (await get('/vault/v1/')).text, { timeout: 10_000 }).toBe('backend saw /delta-2');
    expect(await get('/orders/v1/health')).toEqual({ status: 200, text: 'backend saw /health' });
    // The unchanged API is the very object the node held: the delta was applied onto it, not a full snapshot.
    const [first, second] = given.slice(-2);
    const ordersNow = second!.apis.find((a) => a.id === orders.componentId)!;
    expect(ordersNow).toBe(first!.apis.find((a) => a.id === orders.componentId));
    expect(second!.apis.find((a) => a.id === vault.componentId)).not.toBe(first!.apis.find((a) => a.id === vault.componentId));

    const held = await sync(watcher, 'wait=0');
    const removed = await platform.admin.delete(`/api/v1/orgs/${orders.org}/projects/default/components/vault`);
    expect(removed.status).toBe(204);
    const gone = await sync(watcher, `after=${held.body.version}&wait=10&have=${held.id}`);
    expect(gone.type).toBe(`${DELTA_MEDIA_TYPE}; charset=utf-8`);
    expect(gone.body.delta).toEqual({ base: held.id, count: held.body.apis.length - 1, at: [], removed: [vault.componentId] });
    expect(gone.body.apis).toEqual([]);
    await expect.poll(async () => (await get('/vault/v1/')).status, { timeout: 10_000 }).toBe(404);
    expect(await get('/orders/v1/health')).toEqual({ status: 200, text: 'backend saw /health' });
    const last = given.at(-1)!;
    expect(last.apis.map((a) => a.id)).not.toContain(vault.componentId);
    expect(last.apis.find((a) => a.id === orders.componentId)).toBe(ordersNow);
  });
});
