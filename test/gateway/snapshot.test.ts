import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { ConfigError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { Writable } from 'node:stream';
import { snapshotFile } from '../../src/gateway/holder.js';
import type { GatewaySnapshot } from '../../src/gateway/snapshot.js';
import { api, ENV, metric, newSigner, snapshot, startBackend, startTestGateway, type Backend, type Signer } from './helpers.js';

const tagged = (signer: Signer, backendUrl: string, tag: string, version: number): GatewaySnapshot =>
  snapshot([signer.jwk], [api(backendUrl, { resources: [
    { method: 'GET', path: '/hold', security: { oauth2: false, scopes: [] }, policies: [{ name: 'set-headers', version: '1.0.0', phase: 'response', config: { headers: [{ name: 'x-snapshot', value: tag }] } }] },
    { method: 'GET', path: '/items', security: { oauth2: true, scopes: [] }, policies: [] },
  ] })], { version });

describe('gateway snapshots and operations endpoints', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let backend: Backend;
  let signer: Signer;
  const dataDir = mkdtempSync(join(tmpdir(), 'drawbridge-gw-snap-'));

  beforeAll(async () => {
    backend = await startBackend();
    signer = await newSigner(clock);
  });
  afterAll(async () => {
    await backend?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('without any snapshot: healthy, not ready, API calls 503', async () => {
    const gw = await startTestGateway(undefined, { clock });
    try {
      const health = await fetch(`${gw.url}/_drawbridge/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', environment: ENV, ready: false, snapshot: null });
      expect((await fetch(`${gw.url}/_drawbridge/readyz`)).status).toBe(503);
      const res = await fetch(`${gw.url}/acme/orders/v1/items`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ code: 'unavailable', message: `The gateway for ${ENV} has no configuration yet` });
      expect((await fetch(`${gw.url}/_drawbridge/nothing`)).status).toBe(404);
    } finally {
      await gw.close();
    }
  });

  it('in-flight requests finish on the snapshot they started with; new ones use the new one', async () => {
    const gw = await startTestGateway(tagged(signer, backend.url, 'one', 1), { clock });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => { release = r; });
      let arrived!: () => void;
      const atBackend = new Promise<void>((r) => { arrived = r; });
      backend.routes.set('/hold', (_req, res) => { arrived(); void held.then(() => res.end('held')); });
      const inFlight = fetch(`${gw.url}/acme/orders/v1/hold`);
      await atBackend;
      await gw.setSnapshot(tagged(signer, backend.url, 'two', 2));
      backend.routes.delete('/hold');
      const fresh = await fetch(`${gw.url}/acme/orders/v1/hold`);
      expect(fresh.headers.get('x-snapshot')).toBe('two');
      release();
      const old = await inFlight;
      expect(old.status).toBe(200);
      expect(old.headers.get('x-snapshot')).toBe('one');
      expect(await old.text()).toBe('held');
      expect(gw.status().snapshot).toMatchObject({ version: 2, source: 'live' });
      expect(await metric(gw.url, 'drawbridge_gateway_snapshot_version', { environment: ENV })).toBe(2);
    } finally {
      await gw.close();
    }
  });

  it('an invalid snapshot is refused with the exact path and the running one stays', async () => {
    const gw = await startTestGateway(tagged(signer, backend.url, 'one', 1), { clock });
    try {
      const bad = tagged(signer, 'ftp://backend', 'x', 2);
      await expect(gw.setSnapshot(bad)).rejects.toThrow(new ConfigError('apis[0].backendUrl', 'must be an absolute http(s) URL without query, fragment or credentials'));
      const otherEnv = { ...tagged(signer, backend.url, 'x', 3), environment: 'production' };
      await expect(gw.setSnapshot(otherEnv)).rejects.toThrow('environment: is "production" but this gateway serves "development"');
      const dup = tagged(signer, backend.url, 'x', 4);
      dup.apis[0]!.resources.push({ ...dup.apis[0]!.resources[0]! });
      await expect(gw.setSnapshot(dup)).rejects.toThrow('apis[0].resources[2]: GET /hold is defined twice');
      expect(gw.status().snapshot?.version).toBe(1);
      expect((await fetch(`${gw.url}/acme/orders/v1/hold`)).headers.get('x-snapshot')).toBe('one');
    } finally {
      await gw.close();
    }
  });

  it('an organization handle cannot shadow the operations prefix', async () => {
    const gw = await startTestGateway(undefined, { clock });
    try {
      const shadow = snapshot([signer.jwk], [api(backend.url, { orgHandle: '_drawbridge', contextPath: '/healthz' })]);
      await expect(gw.setSnapshot(shadow)).rejects.toThrow('apis[0].orgHandle: must be an organization handle (lowercase slug)');
    } finally {
      await gw.close();
    }
  });

  it('refuses private key material in the snapshot keys (a leaked signing key would be written to disk)', async () => {
    const gw = await startTestGateway(undefined, { clock });
    try {
      const withPrivate = tagged(signer, backend.url, 'x', 1);
      withPrivate.keys = [{ ...signer.jwk, d: 'AAAA' }];
      await expect(gw.setSnapshot(withPrivate)).rejects.toThrow('keys[0].d: private or symmetric key material is not allowed in a snapshot');
    } finally {
      await gw.close();
    }
  });

  it('saves the last good snapshot atomically and serves from it when the source is down, then recovers', async () => {
    const first = await startTestGateway(tagged(signer, backend.url, 'saved', 7), { clock, dataDir });
    const token = await signer.sign();
    await first.close();
    const file = snapshotFile(dataDir, ENV);
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe(7);
    expect(readdirSync(join(dataDir, 'gateway')).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    let sourceUp = false;
    const second = await startTestGateway(undefined, {
      clock, dataDir, reloadIntervalMs: 50,
      snapshotSource: { load: async () => { if (!sourceUp) throw new Error('database unreachable'); return tagged(signer, backend.url, 'live', 8); } },
    });
    try {
      const health = await (await fetch(`${second.url}/_drawbridge/healthz`)).json() as any;
      expect(health.snapshot).toMatchObject({ version: 7, source: 'disk' });
      expect((await fetch(`${second.url}/_drawbridge/readyz`)).status).toBe(200);
      const served = await fetch(`${second.url}/acme/orders/v1/items`, { headers: { authorization: `Bearer ${token}` } });
      expect(served.status).toBe(200);
      sourceUp = true;
      for (let i = 0; i < 100 && second.status().snapshot?.source !== 'live'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(second.status().snapshot).toMatchObject({ version: 8, source: 'live' });
      expect((await fetch(`${second.url}/acme/orders/v1/hold`)).headers.get('x-snapshot')).toBe('live');
    } finally {
      await second.close();
    }
    expect(existsSync(file)).toBe(true);
  });

  it('counts requests by API and status in Prometheus metrics', async () => {
    const gw = await startTestGateway(tagged(signer, backend.url, 'm', 1), { clock });
    try {
      await fetch(`${gw.url}/acme/orders/v1/hold`);
      await fetch(`${gw.url}/acme/orders/v1/items`);
      await fetch(`${gw.url}/nowhere`);
      expect(await metric(gw.url, 'drawbridge_gateway_requests_total', { environment: ENV, api: '/acme/orders/v1', status: '200' })).toBe(1);
      expect(await metric(gw.url, 'drawbridge_gateway_requests_total', { environment: ENV, api: '/acme/orders/v1', status: '401' })).toBe(1);
      expect(await metric(gw.url, 'drawbridge_gateway_requests_total', { environment: ENV, api: 'none', status: '404' })).toBe(1);
      expect(await metric(gw.url, 'drawbridge_gateway_request_duration_seconds_count', { environment: ENV, api: '/acme/orders/v1' })).toBe(2);
    } finally {
      await gw.close();
    }
  });

  it('writes a JSON access log line per request, without tokens or query strings', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
    const gw = await startTestGateway(tagged(signer, backend.url, 'log', 1), { clock, logger: createLogger('info', sink) });
    try {
      const token = await signer.sign();
      expect((await fetch(`${gw.url}/acme/orders/v1/items?api_key=secret-in-query`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': 'log-test' } })).status).toBe(200);
      for (let i = 0; i < 50 && !lines.some((l) => l.includes('log-test')); i++) await new Promise((r) => setTimeout(r, 10));
      const entry = JSON.parse(lines.find((l) => l.includes('"log-test"'))!);
      expect(entry).toMatchObject({ msg: 'request', reqId: 'log-test', env: ENV, method: 'GET', path: '/acme/orders/v1/items', status: 200, api: '/acme/orders/v1', app: 'app-1' });
      expect(typeof entry.ms).toBe('number');
      const all = lines.join('\n');
      expect(all).not.toContain(token);
      expect(all).not.toContain(token.split('.')[2]);
      expect(all).not.toContain('secret-in-query');
    } finally {
      await gw.close();
    }
  });
});
