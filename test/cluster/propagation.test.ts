import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { POSTGRES_URL_ENV, storeBackends, type TestDatabase } from '../helpers/stores.js';
import { publishOrders } from './setup.js';

const postgres = storeBackends().filter((b) => b.name === 'postgres');

async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe.skipIf(postgres.length === 0).each(postgres)('changes pushed to every node ($name)', (backend) => {
  let database: TestDatabase;
  let a: TestPlatform;
  let b: TestPlatform;
  let upstream: Server;
  let upstreamUrl: string;
  const org = 'pushed';
  const orgPath = `/api/v1/orgs/${org}`;
  const base = `${orgPath}/projects/default/components/orders/api`;
  let clientId: string;
  let secret: string;

  const tokenAt = async (node: TestPlatform, s = secret) =>
    fetch(`${node.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: basic(clientId, s), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
  const callAt = (node: TestPlatform, path: string, token?: string) =>
    fetch(`${node.runtime.gateway('development')!.url}/${org}/orders/v1${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    database = await backend.createDatabase();
    // Two nodes on one database, with the same master key, and no snapshot polling at all:
    // whatever reaches the other node's gateway was pushed.
    const env = { DRAWBRIDGE_DATABASE_URL: database.url, DRAWBRIDGE_MASTER_KEY: randomBytes(32).toString('hex') };
    a = await startTestPlatform({ env, snapshotPollMs: 0 });
    b = await startTestPlatform({ env, snapshotPollMs: 0 });
    upstream = createServer((req, res) => res.end(`upstream ${req.url}`));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

    ({ clientId, clientSecret: secret } = await publishOrders(a.admin, { name: 'Pushed', handle: org }, upstreamUrl));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await new Promise((r) => upstream?.close(r));
    await database?.drop();
  });

  it("a deployment made on one node is served by the other node's gateway", async () => {
    expect((await callAt(b, '/health')).status).toBe(404);
    expect((await a.admin.post(`${base}/deployments`, { environment: 'development' })).status).toBe(201);
    await eventually(async () => (await callAt(b, '/health')).status === 200);
    expect(await (await callAt(b, '/health')).text()).toBe('upstream /health');
  });

  it("a token revoked on one node is refused by the other node's gateway", async () => {
    const issued = await tokenAt(a);
    expect(issued.status).toBe(200);
    const token = ((await issued.json()) as { access_token: string }).access_token;
    await eventually(async () => (await callAt(b, '/items', token)).status === 200);
    const revoked = await fetch(`${a.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${token}`,
    });
    expect(revoked.status).toBe(200);
    await eventually(async () => (await callAt(b, '/items', token)).status === 401);
  });

  it("a secret regenerated on one node stops working on the other node's token endpoint", async () => {
    expect((await tokenAt(b)).status).toBe(200); // b's client cache now holds the old secret's record
    const application = (await a.admin.get(`${orgPath}/projects/default/components/mobile/application`)).body as { id: string };
    const regenerated = await a.admin.post(`/api/v1/orgs/${org}/applications/${application.id}/credentials/development/secret`, {});
    expect(regenerated.status).toBe(200);
    const old = secret;
    secret = regenerated.body.clientSecret;
    await eventually(async () => (await tokenAt(b, old)).status === 401);
    expect((await tokenAt(b)).status).toBe(200);
  });

  it('after its listening connection is cut, a node reconnects and picks up what changed meanwhile', async () => {
    const admin = new pg.Client({ connectionString: process.env[POSTGRES_URL_ENV] });
    await admin.connect();
    try {
      const cut = await admin.query<{ n: number }>("select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and query ilike 'LISTEN%'", [
        new URL(database.url).pathname.slice(1),
      ]);
      expect(cut.rows[0]!.n).toBe(2);
    } finally {
      await admin.end();
    }
    // Undeployed while the listeners are gone (announcements sent now are lost).
    expect(
      (await a.admin.put(base, { contextPath: '/orders', version: 'v2', resources: [{ method: 'GET', path: '/health', security: { oauth2: false } }], backendUrls: { development: upstreamUrl } }))
        .status,
    ).toBe(200);
    expect((await a.admin.post(`${base}/deployments`, { environment: 'development' })).status).toBe(201);
    await eventually(async () => (await fetch(`${b.runtime.gateway('development')!.url}/${org}/orders/v2/health`)).status === 200, 20_000);
  });
});
