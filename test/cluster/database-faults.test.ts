import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { storeBackends, type TestDatabase } from '../helpers/stores.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const postgres = storeBackends().filter((b) => b.name === 'postgres');
const UNAVAILABLE = { code: 'unavailable', message: 'The database is unavailable; try again shortly' };

async function until<T>(what: () => Promise<T>, ok: (value: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(postgres.length === 0).each(postgres)('a node whose database fails ($name)', (backend) => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let p: TestPlatform;

  beforeAll(async () => {
    database = await backend.createDatabase();
    const target = new URL(database.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const url = new URL(database.url);
    url.port = String(proxy.port);
    // Short limits so a silent database is noticed within about a second.
    url.search = '?connectionTimeoutMillis=1000&query_timeout=1500&statement_timeout=1000';
    p = await startTestPlatform({ env: { DRAWBRIDGE_DATABASE_URL: url.toString() } });
    expect((await p.admin.post('/api/v1/orgs', { name: 'Faulty' })).status).toBe(201);
  });
  afterAll(async () => {
    proxy?.setMode('pass');
    await p?.close();
    await proxy?.close();
    await database?.drop();
  });

  it('does not crash when its connections are cut under traffic, answers only 200 or 503 meanwhile, and recovers without a restart', async () => {
    const statuses: number[] = [];
    const traffic = (async () => {
      for (let i = 0; i < 60; i++) {
        const res = await Promise.all([p.admin.get('/api/v1/orgs'), p.admin.get('/api/v1/orgs/faulty/projects')]);
        statuses.push(...res.map((r) => r.status));
      }
    })();
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 40));
      proxy.cut();
    }
    await traffic;
    expect(statuses).toHaveLength(120);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    const after = await until(
      () => p.admin.get('/api/v1/orgs'),
      (r) => r.status === 200,
    );
    expect(after.status).toBe(200);
    expect(after.body.map((o: { handle: string }) => o.handle)).toContain('faulty');
  });

  it('answers 503 with Retry-After (not a hang, not a 500; temporarily_unavailable at the token endpoint) while the database is silent, reports not-ready but stays live, and recovers by itself', async () => {
    proxy.setMode('blackhole');
    proxy.cut();
    const started = Date.now();
    const res = await p.admin.get('/api/v1/orgs');
    expect(res.status).toBe(503);
    expect(res.body).toEqual(UNAVAILABLE);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(Date.now() - started).toBeLessThan(10_000);
    const ready = await p.api.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'not_ready', database: 'unavailable' });
    expect((await p.api.get('/healthz')).status).toBe(200);
    const token = await fetch(`${p.api.base}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('unknown-client:some-secret').toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect({ status: token.status, body: await token.json() }).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'The token service cannot reach its database; try again shortly' },
    });
    expect(token.headers.get('retry-after')).toBe('5');
    expect(token.headers.get('cache-control')).toBe('no-store');

    proxy.setMode('pass');
    const back = await until(
      () => p.api.get('/readyz'),
      (r) => r.status === 200,
    );
    expect(back.body).toEqual({ status: 'ready', database: 'ok' });
    expect(
      (
        await until(
          () => p.admin.get('/api/v1/orgs'),
          (r) => r.status === 200,
        )
      ).status,
    ).toBe(200);
  });

  it('answers 503 while the database refuses connections, and 200 again once it accepts them', async () => {
    proxy.setMode('refuse');
    proxy.cut();
    const res = await p.admin.get('/api/v1/orgs');
    expect(res.status).toBe(503);
    expect(res.body).toEqual(UNAVAILABLE);
    proxy.setMode('pass');
    expect(
      (
        await until(
          () => p.admin.get('/api/v1/orgs'),
          (r) => r.status === 200,
        )
      ).status,
    ).toBe(200);
  });
});
