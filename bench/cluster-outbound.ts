/**
 * Outbound tokens across a cluster: 3 nodes (separate processes) on one
 * PostgreSQL database and one Redis, one API whose outbound-oauth2 policy gets
 * its token from a counting IdP (which takes 50 ms to answer). 100 concurrent
 * calls arrive at each node's gateway at once; the IdP counts the token
 * requests. Target: 1 for the whole cluster (without Redis it would be 3, one
 * per node).
 *
 *   DRAWBRIDGE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
 *   DRAWBRIDGE_TEST_REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/cluster-outbound.ts
 *
 * `measureClusterOutbound()` is exported for bench/cluster.ts.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { forkRole, runPlatformNode, type PlatformNodeInfo } from './_process.js';

const PASSWORD = 'correct horse battery staple';
const ROLE = 'outbound-node';
const self = import.meta.filename;

type NodeInfo = PlatformNodeInfo;

export interface ClusterOutboundResult {
  nodes: number;
  callsPerNode: number;
  /** Token requests the IdP received for all the calls: target 1. */
  tokenRequests: number;
  /** Calls answered with something other than 200. */
  failedCalls: number;
  target: number;
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

export async function measureClusterOutbound(options: { nodes?: number; callsPerNode?: number; postgresUrl?: string; redisUrl?: string } = {}): Promise<ClusterOutboundResult> {
  const nodeCount = options.nodes ?? 3;
  const callsPerNode = options.callsPerNode ?? 100;
  const adminUrl = options.postgresUrl ?? process.env.DRAWBRIDGE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = options.redisUrl ?? process.env.DRAWBRIDGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const dbName = `bench_outbound_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;

  let tokenRequests = 0;
  const idp = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      tokenRequests++;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: `bench-token-${tokenRequests}`, token_type: 'Bearer', expires_in: 3600 }));
      }, 50);
    });
  });
  const backend = createServer((req, res) => res.end(req.headers.authorization ? 'ok' : 'no token'));
  const idpUrl = await listen(idp);
  const backendUrl = await listen(backend);
  const env = {
    DRAWBRIDGE_DATABASE_URL: dbUrl.toString(),
    DRAWBRIDGE_MASTER_KEY: randomBytes(32).toString('hex'),
    DRAWBRIDGE_LOG_LEVEL: 'silent',
    DRAWBRIDGE_REDIS_URL: redisUrl,
    DRAWBRIDGE_REDIS_PREFIX: `drawbridge-bench-${randomBytes(4).toString('hex')}:`,
    DRAWBRIDGE_EGRESS_ALLOW: 'loopback', // the IdP and backend listen on loopback
  };
  const children: Awaited<ReturnType<typeof forkRole<NodeInfo>>>[] = [];
  try {
    // One after the other: the first creates the schema and the admin.
    for (let i = 0; i < nodeCount; i++) children.push(await forkRole<NodeInfo>(self, ROLE, env));
    const nodes = children.map((ch) => ch.msg);
    const a = nodes[0]!;
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
    await call('PUT', base, { contextPath: '/orders', version: 'v1', resources: [{ method: 'GET', path: '/items', security: { oauth2: false } }], backendUrls: { development: backendUrl } });
    await call('POST', `${base}/policies`, {
      policy: 'outbound-oauth2@1.0.1',
      config: { tokenUrl: '${tokenUrl}', clientId: 'bench', clientSecret: '${clientSecret}', authMethod: 'client_secret_basic' },
    });
    await call('POST', `${base}/deployments`, { environment: 'development', params: { tokenUrl: `${idpUrl}/token`, clientSecret: { value: randomBytes(16).toString('hex'), secret: true } } });
    // Every node's gateway serves the API before the calls start.
    for (const node of nodes) {
      for (;;) {
        const status = (await (await fetch(`${node.gateway}/_drawbridge/healthz`)).json()) as { snapshot: { apis: number } | null };
        if ((status.snapshot?.apis ?? 0) > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const statuses = await Promise.all(
      nodes.flatMap((node) =>
        Array.from({ length: callsPerNode }, () =>
          fetch(`${node.gateway}/bench/orders/v1/items`).then(async (r) => {
            await r.text();
            return r.status;
          }),
        ),
      ),
    );
    return { nodes: nodeCount, callsPerNode, tokenRequests, failedCalls: statuses.filter((s) => s !== 200).length, target: 1 };
  } finally {
    for (const child of children) {
      const exited = new Promise((r) => child.proc.once('exit', r));
      child.proc.disconnect();
      await exited;
    }
    await new Promise((r) => idp.close(r));
    await new Promise((r) => backend.close(r));
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

const isMain = process.argv[1] === self;
if (isMain && process.argv.includes(ROLE)) {
  await runPlatformNode(PASSWORD);
} else if (isMain) {
  const result = await measureClusterOutbound();
  console.log(
    `cluster outbound tokens: ${result.nodes} nodes x ${result.callsPerNode} concurrent calls -> ${result.tokenRequests} token request(s) (target ${result.target}), ${result.failedCalls} failed call(s)`,
  );
  process.exitCode = result.tokenRequests <= result.target && result.failedCalls === 0 ? 0 : 1;
}
