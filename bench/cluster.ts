/**
 * Propagation across a cluster: 3 nodes (separate processes) on one PostgreSQL
 * database. A change is made on node A; the clock runs until nodes B and C both
 * show it: a new deployment served by their gateways, a revoked token refused by
 * their gateways, a regenerated secret's old value refused by their token
 * endpoints. Target: p99 under 250 ms. Nodes keep their default 2 s snapshot poll,
 * so anything much faster than that came through the change feed (LISTEN/NOTIFY).
 *
 *   DRAWBRIDGE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres node --import tsx bench/cluster.ts
 *
 * The rest of the cluster's evidence lives beside it, one process each (bench/run.ts
 * runs them all): cluster-outbound.ts (outbound token requests for 3 nodes × 100
 * calls sharing Redis), cluster-workers.ts (1 vs 2 gateway workers), cluster-compile.ts
 * (idle CPU and one API's redeploy at 10, 1,000 and 10,000 APIs) and soak.ts (RSS
 * under load with a redeploy every second).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { forkRole, runPlatformNode, type PlatformNodeInfo } from './_process.js';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 20);
const TARGET_MS = 250;
const PASSWORD = 'correct horse battery staple';
const self = import.meta.filename;

type NodeInfo = PlatformNodeInfo;

if (process.argv.includes('--role')) {
  await runPlatformNode(PASSWORD);
} else {
  const adminUrl = process.env.DRAWBRIDGE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `bench_cluster_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;
  // The backend listens on loopback, which the egress policy refuses unless listed.
  const env = { DRAWBRIDGE_DATABASE_URL: dbUrl.toString(), DRAWBRIDGE_MASTER_KEY: randomBytes(32).toString('hex'), DRAWBRIDGE_LOG_LEVEL: 'silent', DRAWBRIDGE_EGRESS_ALLOW: 'loopback' };
  const upstream = createServer((req, res) => res.end(`upstream ${req.url}`));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const children: Awaited<ReturnType<typeof forkRole<NodeInfo>>>[] = [];
  try {
    // One after the other: the first creates the schema and the admin.
    for (let i = 0; i < 3; i++) children.push(await forkRole<NodeInfo>(self, 'node', env));
    const [a, b, c] = children.map((ch) => ch.msg) as [NodeInfo, NodeInfo, NodeInfo];

    const login = await fetch(`${a.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    const cookie = login.headers
      .getSetCookie()
      .map((x) => x.split(';')[0])
      .join('; ');
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const apiToken = (
      (await (await fetch(`${a.url}/api/v1/me/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken }, body: '{"name":"bench"}' })).json()) as {
        token: string;
      }
    ).token;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${a.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiToken}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    };
    const org = '/api/v1/orgs/bench';
    const base = `${org}/projects/default/components/orders/api`;
    await call('POST', '/api/v1/orgs', { name: 'Bench' });
    await call('POST', `${org}/projects/default/components`, { type: 'api-proxy', name: 'orders', displayName: 'Orders' });
    await call('POST', `${org}/projects/default/components`, { type: 'external-consumer', name: 'mobile', displayName: 'Mobile' });
    const define = (version: string) =>
      call('PUT', base, {
        contextPath: '/orders',
        version,
        resources: [
          { method: 'GET', path: '/items' },
          { method: 'GET', path: '/health', security: { oauth2: false } },
        ],
        backendUrls: { development: upstreamUrl },
      });
    await define('v0');
    await call('POST', `${base}/lifecycle`, { state: 'published' });
    await call('POST', `${base}/deployments`, { environment: 'development' });
    const application = await call('GET', `${org}/projects/default/components/mobile/application`);
    const keys = await call('POST', `/api/v1/orgs/bench/applications/${application.id}/credentials/development/keys`, {});
    const clientId: string = keys.clientId;
    let secret: string = keys.clientSecret;
    await call('POST', `${org}/subscriptions`, { applicationId: application.id, api: 'default/orders' });

    const basic = (s: string) => `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(s)}`).toString('base64')}`;
    const tokenAt = (node: NodeInfo, s: string) =>
      fetch(`${node.url}/oauth2/token`, { method: 'POST', headers: { authorization: basic(s), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    const status = async (url: string, headers: Record<string, string> = {}) => {
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      return res.status;
    };
    /** Milliseconds from `start` until `seen` holds on every node (polled every ~2 ms; gives up after 10 s). */
    const until = async (start: number, seen: (node: NodeInfo) => Promise<boolean>) => {
      const times = await Promise.all(
        [b, c].map(async (node) => {
          for (;;) {
            if (await seen(node)) return performance.now() - start;
            if (performance.now() - start > 10_000) return Infinity;
            await new Promise((r) => setTimeout(r, 2));
          }
        }),
      );
      return Math.max(...times);
    };

    const results: Record<string, number[]> = { deployment: [], revocation: [], 'secret regeneration': [] };
    for (let i = 1; i <= TRIALS; i++) {
      await define(`v${i}`);
      let t = performance.now();
      await call('POST', `${base}/deployments`, { environment: 'development' });
      results.deployment!.push(await until(t, async (n) => (await status(`${n.gateway}/bench/orders/v${i}/health`)) === 200));

      const token = ((await (await tokenAt(a, secret)).json()) as { access_token: string }).access_token;
      await until(performance.now(), async (n) => (await status(`${n.gateway}/bench/orders/v${i}/items`, { authorization: `Bearer ${token}` })) === 200);
      t = performance.now();
      const revoked = await fetch(`${a.url}/oauth2/revoke`, { method: 'POST', headers: { authorization: basic(secret), 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}` });
      if (revoked.status !== 200) throw new Error(`revoke: ${revoked.status}`);
      results.revocation!.push(await until(t, async (n) => (await status(`${n.gateway}/bench/orders/v${i}/items`, { authorization: `Bearer ${token}` })) === 401));

      for (const n of [b, c]) if ((await tokenAt(n, secret)).status !== 200) throw new Error('token before regeneration');
      const old = secret;
      t = performance.now();
      secret = (await call('POST', `/api/v1/orgs/bench/applications/${application.id}/credentials/development/secret`, {})).clientSecret;
      results['secret regeneration']!.push(await until(t, async (n) => (await tokenAt(n, old)).status === 401));
    }
    const pct = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
    process.stdout.write(`3 nodes on PostgreSQL, ${TRIALS} trials each; time from the change on node A until nodes B and C both show it\n`);
    for (const [what, xs] of Object.entries(results)) {
      const p99 = pct(xs, 99);
      process.stdout.write(
        `${what.padEnd(20)} p50 ${pct(xs, 50).toFixed(0).padStart(5)} ms   p99 ${p99.toFixed(0).padStart(5)} ms   target p99 < ${TARGET_MS} ms: ${p99 < TARGET_MS ? 'met' : 'NOT met'}\n`,
      );
    }
  } finally {
    for (const ch of children) ch.proc.disconnect();
    await Promise.all(
      children.map(
        (ch) =>
          new Promise((r) => {
            if (ch.proc.exitCode !== null) r(null);
            else ch.proc.once('exit', r);
          }),
      ),
    );
    await new Promise((r) => upstream.close(r));
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}
