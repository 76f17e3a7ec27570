// Over 300 lines on purpose: one suite for the snapshot contract: loading, refusals and the disk copy share one set-up.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { ConfigError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { Writable } from 'node:stream';
import { snapshotFile } from '../../src/gateway/holder.js';
import { SEALED_SECRET_CONTEXT, type GatewaySnapshot, type SnapshotApi } from '../../src/gateway/snapshot.js';
import { MasterKey } from '../../src/shared/crypto.js';
import { api, ENV, metric, newSigner, snapshot, startBackend, startTestGateway, type Backend, type Signer } from './helpers.js';

const tagged = (signer: Signer, backendUrl: string, tag: string, version: number): GatewaySnapshot =>
  snapshot(
    [signer.jwk],
    [
      api(backendUrl, {
        resources: [
          {
            method: 'GET',
            path: '/hold',
            security: { oauth2: false, scopes: [] },
            policies: [{ name: 'set-headers', version: '1.0.0', phase: 'response', config: { headers: [{ name: 'x-snapshot', value: tag }] } }],
          },
          { method: 'GET', path: '/items', security: { oauth2: true, scopes: [] }, policies: [] },
        ],
      }),
    ],
    { version },
  );

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
      const held = new Promise<void>((r) => {
        release = r;
      });
      let arrived!: () => void;
      const atBackend = new Promise<void>((r) => {
        arrived = r;
      });
      backend.routes.set('/hold', (_req, res) => {
        arrived();
        void held.then(() => res.end('held'));
      });
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

  it('a snapshot that is invalid as a whole is refused with the exact path and the running one stays', async () => {
    const gw = await startTestGateway(tagged(signer, backend.url, 'one', 1), { clock });
    try {
      const otherEnv = { ...tagged(signer, backend.url, 'x', 3), environment: 'production' };
      await expect(gw.setSnapshot(otherEnv)).rejects.toThrow('environment: is "production" but this gateway serves "development"');
      const noSubscriptions = { ...tagged(signer, backend.url, 'x', 4), subscriptions: [] } as unknown as GatewaySnapshot;
      await expect(gw.setSnapshot(noSubscriptions)).rejects.toThrow(new ConfigError('snapshot.subscriptions', 'must be an object'));
      expect(gw.status().snapshot?.version).toBe(1);
      expect((await fetch(`${gw.url}/acme/orders/v1/hold`)).headers.get('x-snapshot')).toBe('one');
    } finally {
      await gw.close();
    }
  });

  it('a bad API is left out (logged with its path) and the rest of the snapshot is served', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const gw = await startTestGateway(tagged(signer, backend.url, 'one', 1), { clock, logger: createLogger('info', sink) });
    try {
      const good = (id: string, contextPath: string) => api(backend.url, { id, contextPath, resources: [{ method: 'GET', path: '/hold', security: { oauth2: false, scopes: [] }, policies: [] }] });
      const bad = (id: string, overrides: Partial<SnapshotApi>) => ({ ...good(id, `/${id}`), ...overrides });
      const dup = bad('dup', {});
      dup.resources.push({ ...dup.resources[0]! });
      const next = snapshot(
        [signer.jwk],
        [
          bad('ftp', { backendUrl: 'ftp://backend' }),
          bad('query', { backendUrl: `${backend.url}/x?a=1` }),
          dup,
          bad('shadow', { orgHandle: '_drawbridge', contextPath: '/healthz' }),
          bad('policy', {
            resources: [
              {
                method: 'GET',
                path: '/hold',
                security: { oauth2: false, scopes: [] },
                policies: [{ name: 'set-headers', version: '1.0.0', phase: 'request', config: { headers: [{ name: 'host', value: 'x' }] } }],
              },
            ],
          }),
          good('served', '/served'),
        ],
        { version: 2 },
      );
      await gw.setSnapshot(next);
      expect(gw.status().snapshot).toMatchObject({ version: 2, apis: 1 });
      const served = await fetch(`${gw.url}/acme/served/v1/hold`);
      expect(served.status).toBe(200);
      for (const path of ['/acme/ftp/v1/hold', '/acme/query/v1/hold', '/acme/dup/v1/hold', '/acme/policy/v1/hold']) {
        const res = await fetch(gw.url + path);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ code: 'not_found', message: `No API resource is deployed at ${path} in ${ENV}` });
      }
      expect((await fetch(`${gw.url}/_drawbridge/healthz`)).status).toBe(200);
      const skipped = lines
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === 'API left out of the gateway snapshot')
        .map((l) => [l.apiId, l.path, l.reason]);
      expect(skipped).toEqual([
        ['ftp', 'apis[0].backendUrl', 'apis[0].backendUrl: must be an absolute http(s) URL without credentials, query or fragment'],
        ['query', 'apis[1].backendUrl', 'apis[1].backendUrl: must be an absolute http(s) URL without credentials, query or fragment'],
        ['dup', 'apis[2].resources[1]', 'apis[2].resources[1]: GET /hold is defined twice'],
        ['shadow', 'apis[3].orgHandle', 'apis[3].orgHandle: must be an organization handle (lowercase slug)'],
        [
          'policy',
          'apis[4].resources[0].policies[0].config.headers[0].name',
          'apis[4].resources[0].policies[0].config.headers[0].name: header "host" is managed by the gateway and cannot be used here',
        ],
      ]);

      // Later snapshots still arrive: a revocation in the next one is applied although the bad APIs are still there.
      const token = await signer.sign({ jti: 'revoke-me' });
      const withItems = (version: number, revokedTokens: GatewaySnapshot['revokedTokens']) =>
        snapshot([signer.jwk], [...next.apis, api(backend.url, { id: 'items', contextPath: '/items' })], { version, revokedTokens, subscriptions: { 'app-1': ['items'] } });
      await gw.setSnapshot(withItems(3, []));
      expect((await fetch(`${gw.url}/acme/items/v1/items`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      await gw.setSnapshot(withItems(4, [{ jti: 'revoke-me', exp: Math.floor(clock.now() / 1000) + 3600 }]));
      expect(gw.status().snapshot?.version).toBe(4);
      const revoked = await fetch(`${gw.url}/acme/items/v1/items`, { headers: { authorization: `Bearer ${token}` } });
      expect(revoked.status).toBe(401);
    } finally {
      await gw.close();
    }
  });

  it('between two APIs claiming one route, the one listed first (deployed first) keeps it; the other is left out', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const gw = await startTestGateway(undefined, { clock, logger: createLogger('info', sink) });
    try {
      const open = { oauth2: false, scopes: [] };
      // /acme/orders/v1/x twice: context /orders + version v1 + GET /x, and context /orders/v1 + version x + GET /.
      const first = api(backend.url, {
        id: 'first',
        contextPath: '/orders',
        version: 'v1',
        resources: [{ method: 'GET', path: '/x', security: open, policies: [{ name: 'set-headers', version: '1.0.0', phase: 'response', config: { headers: [{ name: 'x-api', value: 'first' }] } }] }],
      });
      const second = api(backend.url, {
        id: 'second',
        contextPath: '/orders/v1',
        version: 'x',
        resources: [
          { method: 'GET', path: '/', security: open, policies: [] },
          { method: 'GET', path: '/other', security: open, policies: [] },
        ],
      });
      const sameBase = api(backend.url, { id: 'same-base', contextPath: '/orders', version: 'v1', resources: [{ method: 'POST', path: '/y', security: open, policies: [] }] });
      const third = api(backend.url, { id: 'third', contextPath: '/billing', resources: [{ method: 'GET', path: '/', security: open, policies: [] }] });
      await gw.setSnapshot(snapshot([signer.jwk], [first, second, sameBase, third], { version: 5 }));
      expect(gw.status().snapshot).toMatchObject({ version: 5, apis: 2 });
      const x = await fetch(`${gw.url}/acme/orders/v1/x`);
      expect(x.status).toBe(200);
      expect(x.headers.get('x-api')).toBe('first');
      expect((await fetch(`${gw.url}/acme/orders/v1/x/other`)).status).toBe(404);
      expect((await fetch(`${gw.url}/acme/orders/v1/y`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${gw.url}/acme/billing/v1`)).status).toBe(200);
      const skipped = lines
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === 'API left out of the gateway snapshot')
        .map((l) => [l.apiId, l.reason]);
      expect(skipped).toEqual([
        ['second', 'apis[1].resources[0]: GET /acme/orders/v1/x is already served by API first'],
        ['same-base', 'apis[2].contextPath: /acme/orders/v1 is already served by API first'],
      ]);
    } finally {
      await gw.close();
    }
  });

  it('two identity providers of one organization with the same issuer: the first keeps it, the snapshot still loads', async () => {
    const gw = await startTestGateway(undefined, { clock });
    try {
      const idp = (id: string, audiences: string[]) => ({
        id,
        orgId: 'org-acme',
        name: id,
        issuer: 'https://idp.example',
        jwksUri: 'https://idp.example/jwks',
        audiences,
        clientIdClaim: 'cid',
        clockSkewSeconds: 60,
      });
      const s = snapshot([signer.jwk], [api(backend.url, { resources: [{ method: 'GET', path: '/x', security: { oauth2: false, scopes: [] }, policies: [] }] })], {
        version: 9,
        identityProviders: [idp('okta-a', ['api://a']), idp('okta-b', ['api://b'])],
      });
      await gw.setSnapshot(s);
      expect(gw.status().snapshot).toMatchObject({ version: 9, apis: 1 });
      expect((await fetch(`${gw.url}/acme/orders/v1/x`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it('opens sealed values wherever a secret parameter went: a header value and the backend URL', async () => {
    const masterKey = MasterKey.fromBytes(Buffer.alloc(32, 7));
    const seal = (v: string) => ({ $sealed: masterKey.encrypt(v, SEALED_SECRET_CONTEXT) });
    const gw = await startTestGateway(undefined, { clock, masterKey });
    try {
      const sealedApi = api(seal(`${backend.url}/tenants/t-0s3cr3t`) as unknown as string, {
        resources: [
          {
            method: 'GET',
            path: '/x',
            security: { oauth2: false, scopes: [] },
            policies: [{ name: 'set-headers', version: '1.0.0', phase: 'request', config: { headers: [{ name: seal('X-Key') as unknown as string, value: seal('k-0s3cr3t') }] } }],
          },
        ],
      });
      await gw.setSnapshot(snapshot([signer.jwk], [sealedApi], { version: 3 }));
      expect(gw.status().snapshot).toMatchObject({ version: 3, apis: 1 });
      const res = await fetch(`${gw.url}/acme/orders/v1/x`);
      expect(res.status).toBe(200);
      const seen = (await res.json()) as { url: string; headers: Record<string, string> };
      expect(seen.url).toBe('/tenants/t-0s3cr3t/x');
      expect(seen.headers['x-key']).toBe('k-0s3cr3t');
      // A gateway with another master key leaves that API out instead of refusing the snapshot.
      const other = await startTestGateway(snapshot([signer.jwk], [sealedApi, api(backend.url, { id: 'plain', contextPath: '/plain' })]), {
        clock,
        masterKey: MasterKey.fromBytes(Buffer.alloc(32, 9)),
      });
      try {
        expect(other.status().snapshot).toMatchObject({ apis: 1 });
        expect((await fetch(`${other.url}/acme/orders/v1/x`)).status).toBe(404);
      } finally {
        await other.close();
      }
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
      clock,
      dataDir,
      reloadIntervalMs: 50,
      snapshotSource: {
        load: async () => {
          if (!sourceUp) throw new Error('database unreachable');
          return tagged(signer, backend.url, 'live', 8);
        },
      },
    });
    try {
      const health = (await (await fetch(`${second.url}/_drawbridge/healthz`)).json()) as any;
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
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
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
