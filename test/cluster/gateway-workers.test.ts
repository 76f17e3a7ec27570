/**
 * Gateway worker processes behind one port (DRAWBRIDGE_GATEWAY_WORKERS / --workers),
 * over real HTTP with the real `drawbridge` executable: a gateway-only node with
 * two workers, each reporting its slot in `X-Drawbridge-Worker` on the ops endpoints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { anotherApiProxy, apiProxyFixture, ordersApi, type ApiFixture } from '../apis/setup.js';

async function eventually(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One request on a new connection (so the primary hands it to the next worker); an answer that takes over 10 s is an error, not a hang. */
function fresh(url: string): Promise<{ status: number; worker: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode!, worker: res.headers['x-drawbridge-worker'] as string | undefined, body }));
    });
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer from ${url} in 10 s`)));
    request.on('error', reject);
  });
}

/** Snapshot version per worker seen on a run of new connections (callers retry until both workers are in it). */
async function versionsByWorker(url: string): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < 12; i++) {
    const r = await fresh(`${url}/_drawbridge/healthz`);
    seen.set(r.worker!, JSON.parse(r.body).snapshot?.version ?? -1);
  }
  return seen;
}

/** The worker processes of a primary: its children running the drawbridge executable (not, e.g., a compiler service). */
const childPids = (pid: number): number[] =>
  execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('drawbridge.js'))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((n) => n > 0);

let platform: TestPlatform;
let backend: Server;
let backendUrl: string;
let fixture: ApiFixture;
let node: ChildProcess | undefined;
let gatewayUrl: string;
const dataDir = mkdtempSync(join(tmpdir(), 'drawbridge-gateway-workers-'));

beforeAll(async () => {
  platform = await startTestPlatform();
  backend = createServer((req, res) => res.end(`backend saw ${req.url}`));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  fixture = await apiProxyFixture(platform);
  expect((await platform.admin.put(fixture.base, ordersApi(backendUrl))).status).toBe(201);
  expect((await platform.admin.post(`${fixture.base}/deployments`, { environment: 'development' })).status).toBe(201);
  const created = await platform.admin.post('/api/v1/admin/gateway-nodes', { name: 'edge-workers', environment: 'development' });
  expect(created.status).toBe(201);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DRAWBRIDGE_')) env[k] = v;
  Object.assign(env, {
    DRAWBRIDGE_DATA_DIR: dataDir,
    DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1',
    DRAWBRIDGE_GATEWAYS: 'development=0',
    DRAWBRIDGE_LOG_LEVEL: 'warn',
    DRAWBRIDGE_EGRESS_ALLOW: 'loopback',
    DRAWBRIDGE_GATEWAY_TOKEN: created.body.token,
  });
  node = spawn(process.execPath, [BIN, 'gateway', '--env', 'development', '--control-plane', platform.url, '--workers', '2'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  gatewayUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    node!.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /listening on (http:\/\/\S+) \(2 worker processes\)/.exec(out);
      if (m) resolve(m[1]!);
    });
    node!.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${out}`)));
  });
}, 60_000);

afterAll(async () => {
  if (node && node.exitCode === null) {
    node.kill('SIGKILL');
    await new Promise((r) => node!.once('exit', r));
  }
  await platform?.close();
  await new Promise((r) => backend?.close(r));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('drawbridge gateway --workers 2', () => {
  it('serves requests from both workers behind the one port', async () => {
    // The kernel picks the worker that accepts each new connection (a shared accept queue): ask until both have answered.
    const workers = new Set<string>();
    await eventually(async () => {
      const health = await fresh(`${gatewayUrl}/_drawbridge/healthz`);
      expect(health.status).toBe(200);
      workers.add(health.worker!);
      return workers.size === 2;
    });
    expect([...workers].sort()).toEqual(['1', '2']);
    for (let i = 0; i < 12; i++) {
      const api = await fresh(`${gatewayUrl}/${fixture.org}/orders/v1/health`);
      expect(api.status).toBe(200);
      expect(api.body).toBe('backend saw /health');
    }
  });

  it('a change reaches both workers', async () => {
    const before = Math.max(...(await versionsByWorker(gatewayUrl)).values());
    const billing = await anotherApiProxy(platform, fixture, 'billing');
    expect((await platform.admin.put(billing.base, { ...ordersApi(backendUrl), contextPath: '/billing', resources: [{ method: 'GET', path: '/', security: { oauth2: false } }] })).status).toBe(201);
    expect((await platform.admin.post(`${billing.base}/deployments`, { environment: 'development' })).status).toBe(201);
    await eventually(async () => {
      const versions = await versionsByWorker(gatewayUrl);
      return versions.size === 2 && [...versions.values()].every((v) => v > before);
    });
    for (let i = 0; i < 6; i++) expect((await fresh(`${gatewayUrl}/${fixture.org}/billing/v1/`)).status).toBe(200);
  });

  it('a killed worker does not drop service (no connection is left waiting on the dead worker), and its slot is refilled', async () => {
    const [victim] = childPids(node!.pid!);
    expect(victim).toBeGreaterThan(0);
    process.kill(victim!, 'SIGKILL');
    await eventually(async () => !childPids(node!.pid!).includes(victim!));
    for (let i = 0; i < 10; i++) expect((await fresh(`${gatewayUrl}/${fixture.org}/orders/v1/health`)).status).toBe(200);
    // A new worker loads the code and fetches its snapshot: seconds on a loaded machine.
    await eventually(async () => (await versionsByWorker(gatewayUrl)).size === 2, 60_000);
    expect(childPids(node!.pid!)).toHaveLength(2);
  }, 90_000);

  it('SIGTERM drains the workers and the node exits with 0', async () => {
    const workers = childPids(node!.pid!);
    const exited = new Promise<number | null>((r) => node!.once('exit', (code) => r(code)));
    node!.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('drawbridge start with DRAWBRIDGE_GATEWAY_WORKERS=2', () => {
  it("runs each environment's gateway in two workers behind its port, both with the snapshot, and stops cleanly", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drawbridge-start-workers-'));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DRAWBRIDGE_')) env[k] = v;
    Object.assign(env, {
      DRAWBRIDGE_DATA_DIR: dir,
      DRAWBRIDGE_PORT: '0',
      DRAWBRIDGE_HOST: '127.0.0.1',
      DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1',
      DRAWBRIDGE_GATEWAYS: 'development=0',
      DRAWBRIDGE_LOG_LEVEL: 'warn',
      DRAWBRIDGE_GATEWAY_WORKERS: '2',
      DRAWBRIDGE_ADMIN_PASSWORD: 'a-long-admin-password-1',
    });
    const child = spawn(process.execPath, [BIN, 'start', '--dev'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.setEncoding('utf8').on('data', (c: string) => {
          out += c;
          const m = /Gateway development\s+(http:\/\/\S+)\s+\(2 worker processes\)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`start exited with ${code}: ${out}`)));
      });
      await eventually(async () => {
        const seen = await versionsByWorker(url);
        return seen.size === 2 && [...seen.values()].every((v) => v >= 0);
      });
      expect(childPids(child.pid!)).toHaveLength(2);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
