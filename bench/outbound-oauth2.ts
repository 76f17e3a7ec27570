/**
 * Outbound OAuth2 benchmark: the same gateway route (anonymous, one backend)
 * (p) without any policy, (h) with `set-headers` adding a static header of a
 * token's size, and (o) with `outbound-oauth2@1.0.1`, token cache warm.
 * Prints the requests/s ratios o/p (target ≥ 0.95) and o/h (the policy's own
 * cost, without the cost of sending a bigger request), and how many token
 * requests reached the IdP during the measured runs (target: one per token
 * lifetime; the policy refreshes at 80% of it, in the background).
 *
 * Backend + IdP, the gateway, and the load generator run in three processes.
 * Loopback only, bounded in time.
 *
 *   node --import tsx bench/outbound-oauth2.ts
 *   BENCH_SECONDS=10 (per route per round is half of it) BENCH_ROUNDS=4 BENCH_CONNECTIONS=50 BENCH_TOKEN_LIFETIME=4 (defaults)
 */
import { cpuOf, forkRole, pin, serveCpuUsage } from './_process.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { ManualClock, systemClock } from '../src/shared/clock.js';
import { findPolicy, validatePolicyInstance } from '../src/gateway/policies/index.js';
import type { PolicyRequestContext } from '../src/gateway/policies/types.js';
import { createLogger } from '../src/shared/logger.js';
import { startGateway } from '../src/gateway/server.js';
import { gatewayAudience, SNAPSHOT_FORMAT, type GatewaySnapshot, type SnapshotApi } from '../src/gateway/snapshot.js';

const SELF = fileURLToPath(import.meta.url);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Short on purpose, so that refreshes happen during the run. */
const TOKEN_LIFETIME = Number(process.env.BENCH_TOKEN_LIFETIME ?? 4);
const PAYLOAD = JSON.stringify({ id: 42, name: 'widget', price: 9.99, tags: ['a', 'b', 'c'] });
const CLIENT = { id: 'bench-gateway', secret: 'bench-secret-0123456789abcdef' };

/** About the size of a real JWT access token (~650 bytes). */
const fakeToken = (n: number) => `bench-token-${String(n).padStart(6, '0')}-${'x'.repeat(630)}`;

type Message = { backendUrl?: string; idpUrl?: string; gatewayUrl?: string; cpu?: number };

/** Process A: the backend (checks that a bearer token arrived) and the IdP (counts token requests). */
async function backendRole(): Promise<void> {
  const backend = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = req.url!.startsWith('/oauth') && !req.headers.authorization?.startsWith('Bearer ') ? 401 : 200;
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(PAYLOAD) });
      res.end(PAYLOAD);
    });
  });
  backend.keepAliveTimeout = 30_000;
  let tokens = 0;
  const expected = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
  const idp = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/count') return void res.end(String(tokens));
      if (req.headers.authorization !== expected) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
      tokens++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: fakeToken(tokens), token_type: 'Bearer', expires_in: TOKEN_LIFETIME }));
    });
  });
  await Promise.all([backend, idp].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const url = (s: typeof idp) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  process.send!({ backendUrl: url(backend), idpUrl: url(idp) } satisfies Message);
}

/** Process B: the gateway with two APIs on the same backend, identical but for the policy. */
async function gatewayRole(backendUrl: string, idpUrl: string): Promise<void> {
  const orgId = 'org-bench';
  const api = (id: string, contextPath: string, policies: SnapshotApi['resources'][number]['policies']): SnapshotApi => ({
    id,
    orgId,
    orgHandle: 'bench',
    name: id,
    contextPath,
    version: 'v1',
    backendUrl: `${backendUrl}${contextPath}`,
    audience: gatewayAudience(orgId, 'development'),
    cors: null,
    resources: [{ method: 'GET', path: '/things/{id}', security: { oauth2: false, scopes: [] }, policies }],
  });
  const snapshot: GatewaySnapshot = {
    format: SNAPSHOT_FORMAT,
    version: 1,
    generatedAt: new Date().toISOString(),
    environment: 'development',
    issuer: 'http://127.0.0.1:9090',
    keys: [],
    apis: [
      api('api-plain', '/plain', []),
      // A static header of the token's size: separates the policy's own cost from the cost of a bigger request to the backend.
      api('api-header', '/header', [{ name: 'set-headers', version: '1.0.0', phase: 'request', config: { headers: [{ name: 'authorization', value: `Bearer ${fakeToken(0)}` }] } }]),
      api('api-oauth', '/oauth', [
        { name: 'outbound-oauth2', version: '1.0.1', phase: 'request', config: { tokenUrl: `${idpUrl}/token`, clientId: CLIENT.id, clientSecret: CLIENT.secret, scope: 'things:read' } },
      ]),
    ],
    subscriptions: {},
    clients: { builtin: {}, external: [] },
    identityProviders: [],
    revokedTokens: [],
  };
  // Access logs on, as in production, written asynchronously to /dev/null.
  const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: false }) as unknown as NodeJS.WritableStream);
  const gateway = await startGateway({ environment: 'development', port: 0, host: '127.0.0.1', logger, clock: systemClock, snapshotSource: { load: async () => snapshot } });
  serveCpuUsage();
  process.send!({ gatewayUrl: gateway.url } satisfies Message);
}

const child = (role: string, env: Record<string, string> = {}) => forkRole<Message>(SELF, role, env);

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
  cpu: number;
}

async function load(url: string, seconds: number): Promise<Figures> {
  const autocannon = (await import('autocannon' as string)).default as (opts: object) => Promise<any>;
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, pipelining: 1 });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx, total: result.requests.total, cpu: 0 };
}

/**
 * The policy's own work per request, measured in-process without the network
 * (steadier than the load test on a shared machine): `onRequest` with a warm
 * cache, on a fresh context each call as the gateway gives it.
 */
async function hookCost(idpUrl: string): Promise<number> {
  const instance = { name: 'outbound-oauth2', version: '1.0.1', phase: 'request' as const, config: { tokenUrl: `${idpUrl}/token`, clientId: CLIENT.id, clientSecret: CLIENT.secret } };
  const config = validatePolicyInstance(instance, 'policy');
  const shared = new Map<string, unknown>();
  const handler = findPolicy(instance.name, instance.version)!.create(config, {
    environment: 'bench',
    api: { id: 'a', orgId: 'o', name: 'a', version: 'v1' },
    clock: new ManualClock(Date.now()),
    logger: createLogger('silent'),
    shared: <T>(key: string, make: () => T): T => {
      if (!shared.has(key)) shared.set(key, make());
      return shared.get(key) as T;
    },
  });
  const ctx = () => ({ upstreamHeaders: {}, state: new Map() }) as unknown as PolicyRequestContext;
  await handler.onRequest!(ctx()); // fetches the token once
  const n = 1_000_000;
  for (let i = 0; i < n; i++) handler.onRequest!(ctx()); // JIT warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) handler.onRequest!(ctx());
  return Number(process.hrtime.bigint() - start) / n;
}

export async function runOutboundOAuth2Bench(): Promise<void> {
  const backend = await child('backend');
  const gw = await child('gateway', { BENCH_BACKEND_URL: backend.msg.backendUrl!, BENCH_IDP_URL: backend.msg.idpUrl! });
  const pinned = pin(gw.proc.pid!, 1) && pin(backend.proc.pid!, 0) && pin(process.pid, 0);
  const measure = async (target: string, seconds: number): Promise<Figures> => {
    const before = await cpuOf(gw.proc);
    const f = await load(target, seconds);
    return { ...f, cpu: ((await cpuOf(gw.proc)) - before) / Math.max(1, f.total) };
  };
  const url = (route: string) => `${gw.msg.gatewayUrl}/bench/${route}/v1/things/42`;
  const tokenCount = async () => Number(await (await fetch(`${backend.msg.idpUrl}/count`)).text());
  try {
    for (const route of ['plain', 'header', 'oauth']) await load(url(route), 2); // warm-up: JIT, pools, the token cache
    // Rounds in rotating order (p h o, h o p, o p h, …): drift and other load on the machine hit every route alike;
    // each round gives its own ratios, and the median round is reported.
    const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
    const each = Math.max(1, Math.round(SECONDS / 2));
    const routes = ['plain', 'header', 'oauth'] as const;
    const before = await tokenCount();
    const runs: Record<string, Figures[]> = { plain: [], header: [], oauth: [] };
    const ratios: { op: number; oh: number; cpuOp: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      const got: Record<string, Figures> = {};
      for (let k = 0; k < routes.length; k++) {
        const route = routes[(r + k) % routes.length]!;
        got[route] = await measure(url(route), each);
        runs[route]!.push(got[route]!);
      }
      ratios.push({ op: got.oauth!.rps / got.plain!.rps, oh: got.oauth!.rps / got.header!.rps, cpuOp: got.plain!.cpu / got.oauth!.cpu });
    }
    const tokens = (await tokenCount()) - before;
    const median = (xs: number[]) => {
      const v = [...xs].sort((a, b) => a - b);
      const m = v.length >> 1;
      return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
    };
    const summary = (fs: Figures[]): Figures => ({
      rps: median(fs.map((f) => f.rps)),
      p50: median(fs.map((f) => f.p50)),
      p99: median(fs.map((f) => f.p99)),
      errors: fs.reduce((n, f) => n + f.errors, 0),
      non2xx: fs.reduce((n, f) => n + f.non2xx, 0),
      total: fs.reduce((n, f) => n + f.total, 0),
      cpu: median(fs.map((f) => f.cpu)),
    });
    const measuredSeconds = rounds * routes.length * each;
    const row = (label: string, f: Figures) =>
      `${label.padEnd(44)} ${f.rps.toFixed(0).padStart(8)} req/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms   gateway CPU ${f.cpu.toFixed(1)} µs/req   errors ${f.errors} non-2xx ${f.non2xx}`;
    console.log(
      `\nOutbound OAuth2 benchmark: ${rounds} rounds × ${each}s per route (medians), ${CONNECTIONS} connections, token lifetime ${TOKEN_LIFETIME}s, ${pinned ? 'gateway pinned to core 1' : 'not pinned'}, node ${process.version}`,
    );
    console.log(row('(p) gateway route, no policy', summary(runs.plain!)));
    console.log(row('(h) same route + static 650-byte header', summary(runs.header!)));
    console.log(row('(o) same route + outbound-oauth2', summary(runs.oauth!)));
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
    console.log(`o/p = ${median(ratios.map((x) => x.op)).toFixed(3)} (target ≥ 0.95; rounds: ${fmt(ratios.map((x) => x.op))})`);
    console.log(`o/h = ${median(ratios.map((x) => x.oh)).toFixed(3)} (the policy's own cost; rounds: ${fmt(ratios.map((x) => x.oh))})`);
    console.log(`CPU-based o/p = ${median(ratios.map((x) => x.cpuOp)).toFixed(3)} (gateway CPU per request, p over o; rounds: ${fmt(ratios.map((x) => x.cpuOp))})`);
    const ns = await hookCost(backend.msg.idpUrl!);
    const plainNs = 1e9 / summary(runs.plain!).rps;
    console.log(
      `policy hook, warm cache: ${ns.toFixed(0)} ns per request = ${((100 * ns) / plainNs).toFixed(2)}% of the plain route's ${(plainNs / 1000).toFixed(1)} µs per request → bound on o/p from the policy's own work: ${(plainNs / (plainNs + ns)).toFixed(3)}`,
    );
    console.log(
      `IdP token requests during the ${measuredSeconds}s measured (${rounds * each}s of policy traffic): ${tokens}; ` +
        `token lifetimes elapsed: ${(measuredSeconds / TOKEN_LIFETIME).toFixed(1)}; at most one background refresh per ${(TOKEN_LIFETIME * 0.8).toFixed(1)}s of traffic`,
    );
  } finally {
    backend.proc.kill();
    gw.proc.kill();
  }
}

const roleIndex = process.argv.indexOf('--role');
if (roleIndex !== -1) {
  const role = process.argv[roleIndex + 1];
  if (role === 'backend') await backendRole();
  else if (role === 'gateway') await gatewayRole(process.env.BENCH_BACKEND_URL!, process.env.BENCH_IDP_URL!);
} else if (process.argv[1] === SELF) {
  await runOutboundOAuth2Bench();
}
