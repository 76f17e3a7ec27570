/**
 * Gateway benchmark: (a) the backend directly, (b) through the gateway with
 * token validation + subscription check, (c) through a bare `node:http` +
 * `undici` proxy with no checks, sent the same request as (b), bearer token
 * included. (d) the gateway on a resource without OAuth2; (e) the floor: the
 * bare proxy plus only the work the gateway issue requires, each in its
 * cheapest form (a token cache hit keyed by the token's SHA-256 with the
 * audience, subscription and scope checks, `X-Forwarded-*` and a random
 * `X-Request-Id`, one JSON access line through the gateway's AccessLog).
 * e/c is the best b/c this machine allows. Backend, proxies and the load generator run
 * in three processes, so the proxy under test has one core of its own as far
 * as two cores allow. Loopback only, bounded in time.
 *
 *   node --import tsx bench/gateway.ts      (BENCH_SECONDS=5, BENCH_ROUNDS=3, BENCH_CONNECTIONS=50)
 */
import { cpuOf, forkRole, pin, serveCpuUsage } from './_process.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Pool } from 'undici';
import { systemClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import { BufferedDestination } from '../src/shared/log-destination.js';
import { AccessLog } from '../src/gateway/access-log.js';
import { startGateway } from '../src/gateway/server.js';
import { gatewayAudience, SNAPSHOT_FORMAT, type GatewaySnapshot, type SnapshotJwk } from '../src/gateway/snapshot.js';

const SELF = fileURLToPath(import.meta.url);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const BASELINE = process.env.BENCH_BASELINE;
const PAYLOAD = JSON.stringify({ id: 42, name: 'widget', price: 9.99, tags: ['a', 'b', 'c'] });

type Message = { backendUrl?: string; gatewayUrl?: string; baselineUrl?: string; proxyUrl?: string; floorUrl?: string; token?: string; cpu?: number };

/** Process A: a small JSON backend. */
async function backendRole(): Promise<void> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(PAYLOAD) });
      res.end(PAYLOAD);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.send!({ backendUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } satisfies Message);
}

/** Process B: the gateway (one API, one subscribed app) and the bare proxy. */
async function proxiesRole(backendUrl: string): Promise<void> {
  const issuer = 'http://127.0.0.1:9090';
  const orgId = 'org-bench';
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'ES256' } as SnapshotJwk;
  const snapshot: GatewaySnapshot = {
    format: SNAPSHOT_FORMAT,
    version: 1,
    generatedAt: new Date().toISOString(),
    environment: 'development',
    issuer,
    keys: [jwk],
    apis: [
      {
        id: 'api-1',
        orgId,
        orgHandle: 'bench',
        name: 'Items',
        contextPath: '/items',
        version: 'v1',
        backendUrl,
        audience: gatewayAudience(orgId, 'development'),
        cors: null,
        resources: [
          { method: 'GET', path: '/things/{id}', security: { oauth2: true, scopes: ['items:read'] }, policies: [] },
          { method: 'GET', path: '/open/{id}', security: { oauth2: false, scopes: [] }, policies: [] },
        ],
      },
    ],
    subscriptions: { 'app-1': ['api-1'] },
    clients: { builtin: { 'client-1': 'app-1' }, external: [] },
    identityProviders: [],
    revokedTokens: [],
  };
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    iss: issuer,
    sub: 'client-1',
    aud: gatewayAudience(orgId, 'development'),
    client_id: 'client-1',
    scope: 'items:read',
    iat: now,
    exp: now + 3600,
    jti: 'bench-token',
    org_id: orgId,
    env: 'development',
    app_id: 'app-1',
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'bench-1' })
    .sign(privateKey);
  // Access logs on, written as the platform writes stdout: the buffered asynchronous writer (16 KiB batches), here into /dev/null.
  const logger = createLogger(process.env.BENCH_ACCESS_LOG === '0' ? 'warn' : 'info', new BufferedDestination('/dev/null') as unknown as NodeJS.WritableStream);
  const gateway = await startGateway({ environment: 'development', port: 0, host: '127.0.0.1', logger, clock: systemClock, snapshotSource: { load: async () => snapshot } });
  let baselineUrl: string | undefined;
  if (BASELINE) {
    const base = (await import(pathToFileURL(join(BASELINE, 'src/gateway/server.ts')).href)) as { startGateway: typeof startGateway };
    baselineUrl = (await base.startGateway({ environment: 'development', port: 0, host: '127.0.0.1', logger, clock: systemClock, snapshotSource: { load: async () => snapshot } })).url;
  }

  const pool = new Pool(backendUrl, { connections: 128, keepAliveTimeout: 4_000, pipelining: 1 });
  // The least a working proxy does: forward the request headers undici accepts, stream both ways.
  const refused = new Set(['connection', 'keep-alive', 'host', 'transfer-encoding', 'upgrade', 'expect']);
  const forward = (req: IncomingMessage, res: ServerResponse, headers: Record<string, string | string[]>) => {
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    pool.request({ method: req.method as 'GET', path: req.url!, headers, body: hasBody ? req : undefined }).then(
      (up) => {
        res.writeHead(up.statusCode, up.headers as Record<string, string>);
        up.body.once('error', () => res.destroy());
        res.once('close', () => {
          if (!up.body.readableEnded) up.body.destroy();
        });
        up.body.pipe(res);
      },
      () => {
        res.statusCode = 502;
        res.end();
      },
    );
  };
  const listen = async (server: Server): Promise<string> => {
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const proxyUrl = await listen(
    createServer((req, res) => {
      const headers: Record<string, string | string[]> = {};
      // Not forwarding the bearer token, as (b) and (e) do not: the same work on the same request.
      for (const name in req.headers) if (!refused.has(name) && name !== 'authorization') headers[name] = req.headers[name]!;
      forward(req, res, headers);
    }),
  );

  // The floor: the bare proxy plus the required work, each step in its cheapest form.
  const accessLog = new AccessLog(logger.child({ env: 'development' }, { redact: [] }));
  const audience = gatewayAudience(orgId, 'development');
  const principals = new Map([[hash('sha256', token, 'base64url'), { expMs: (now + 3600) * 1000, aud: audience, app: 'app-1', scopes: new Set(['items:read']) }]]);
  const subscribed = new Map([['app-1', new Set(['api-1'])]]);
  const floorUrl = await listen(
    createServer((req, res) => {
      const started = performance.now();
      const requestId = randomUUID();
      const header = req.headers.authorization;
      const p = header?.startsWith('Bearer ') ? principals.get(hash('sha256', header.slice(7), 'base64url')) : undefined;
      if (!p || p.expMs <= Date.now() || p.aud !== audience || !subscribed.get(p.app)?.has('api-1') || !p.scopes.has('items:read')) {
        res.writeHead(401).end();
        return;
      }
      const headers: Record<string, string | string[]> = {};
      for (const name in req.headers) if (!refused.has(name) && name !== 'authorization') headers[name] = req.headers[name]!;
      headers['x-forwarded-for'] = req.socket.remoteAddress ?? 'unknown';
      headers['x-forwarded-proto'] = 'http';
      if (req.headers.host !== undefined) headers['x-forwarded-host'] = req.headers.host;
      headers['x-request-id'] = requestId;
      res.once('close', () =>
        accessLog.write({
          reqId: requestId,
          method: req.method,
          path: req.url,
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 100) / 100,
          api: '/bench/items/v1',
          app: p.app,
          error: undefined,
        }),
      );
      forward(req, res, headers);
    }),
  );
  serveCpuUsage();
  process.send!({ gatewayUrl: gateway.url, baselineUrl, proxyUrl, floorUrl, token } satisfies Message);
}

const child = (role: string, env: Record<string, string> = {}) =>
  forkRole<Message>(SELF, role, env, role === 'proxies' && process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-interval', '200', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []);

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
  cpuPerRequest?: number;
}

async function load(url: string, headers: Record<string, string>, seconds: number, overallRate?: number): Promise<Figures> {
  const autocannon = (await import('autocannon' as string)).default as (opts: object) => Promise<any>;
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers, overallRate, pipelining: 1 });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx, total: result.requests.total };
}

export async function runGatewayBench(): Promise<void> {
  const backend = await child('backend');
  const proxies = await child('proxies', { BENCH_BACKEND_URL: backend.msg.backendUrl! });
  const pinned = pin(proxies.proc.pid!, 1) && pin(backend.proc.pid!, 0) && pin(process.pid, 0);
  const path = '/things/42';
  const { backendUrl, gatewayUrl, baselineUrl, proxyUrl, floorUrl, token } = { ...backend.msg, ...proxies.msg } as Required<Message>;
  const auth = { authorization: `Bearer ${token}` };
  const targets: Record<string, { name: string; url: string; headers: Record<string, string> }> = {
    a: { name: '(a) backend direct', url: backendUrl + path, headers: {} },
    b: { name: '(b) gateway: token + subscription', url: `${gatewayUrl}/bench/items/v1${path}`, headers: auth },
    c: { name: '(c) bare node:http + undici proxy', url: proxyUrl + path, headers: auth },
    d: { name: '(d) gateway, resource without OAuth2', url: `${gatewayUrl}/bench/items/v1/open/42`, headers: {} },
    e: { name: '(e) floor: bare + required work', url: floorUrl + path, headers: auth },
  };
  if (baselineUrl) targets.f = { name: '(f) baseline gateway (BENCH_BASELINE)', url: `${baselineUrl}/bench/items/v1${path}`, headers: auth };
  try {
    if (process.env.BENCH_ONLY) {
      // profiling aid: load one target only
      const t = targets[process.env.BENCH_ONLY]!;
      const before = await cpuOf(proxies.proc);
      const f = await load(t.url, t.headers, SECONDS);
      console.log(t.name, f, 'cpu µs/req', (((await cpuOf(proxies.proc)) - before) / f.total).toFixed(1));
      return;
    }
    for (const t of Object.values(targets)) await load(t.url, t.headers, 2); // warm-up (JIT, pools, token cache)
    // Rounds interleave the targets so a noisy neighbour on the machine hits them alike; medians are reported.
    const runs: Record<string, Figures[]> = Object.fromEntries(Object.keys(targets).map((key) => [key, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [key, t] of Object.entries(targets)) {
        const before = await cpuOf(proxies.proc);
        const figures = await load(t.url, t.headers, SECONDS);
        if (figures.non2xx > 0 || figures.errors > 0) throw new Error(`${t.name}: ${figures.non2xx} non-2xx answers and ${figures.errors} errors; its figures would not be comparable`);
        if (key !== 'a') figures.cpuPerRequest = ((await cpuOf(proxies.proc)) - before) / figures.total;
        runs[key]!.push(figures);
      }
    }
    const cpuMedian = (key: string) => [...runs[key]!.map((f) => f.cpuPerRequest!)].sort((x, y) => x - y)[Math.floor(ROUNDS / 2)]!;
    const median = (list: Figures[]): Figures => [...list].sort((x, y) => x.rps - y.rps)[Math.floor(list.length / 2)]!;
    const results: Record<string, Figures> = Object.fromEntries(Object.entries(runs).map(([key, list]) => [key, median(list)]));
    const ratios = runs.b!.map((b, i) => (b.rps / runs.c![i]!.rps).toFixed(3));
    const rate = Math.floor(results.b!.rps * 0.8);
    const atRateA = await load(targets.a!.url, {}, SECONDS, rate);
    const atRateB = await load(targets.b!.url, auth, SECONDS, rate);

    const row = (label: string, f: Figures) =>
      `${label.padEnd(40)} ${f.rps.toFixed(0).padStart(8)} req/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms   errors ${f.errors} non-2xx ${f.non2xx}`;
    console.log(`\nGateway benchmark: ${ROUNDS} rounds x ${SECONDS}s per target, ${CONNECTIONS} connections, node ${process.version} (medians)${pinned ? ', proxy pinned to core 1' : ''}`);
    for (const [key, t] of Object.entries(targets)) console.log(row(t.name, results[key]!));
    console.log(`b/a = ${(results.b!.rps / results.a!.rps).toFixed(3)}   b/c = ${(results.b!.rps / results.c!.rps).toFixed(3)} (target ≥ 0.85; per round: ${ratios.join(', ')})`);
    const cpuB = cpuMedian('b');
    const cpuC = cpuMedian('c');
    const cpuD = cpuMedian('d');
    const cpuE = cpuMedian('e');
    console.log(`b/d = ${(results.b!.rps / results.d!.rps).toFixed(3)}: what token validation + subscription check cost inside the gateway`);
    console.log(
      `proxy CPU per request: (b) ${cpuB.toFixed(1)} µs, (c) ${cpuC.toFixed(1)} µs, (d) ${cpuD.toFixed(1)} µs, (e) ${cpuE.toFixed(1)} µs → c/b = ${(cpuC / cpuB).toFixed(3)}, d/b = ${(cpuD / cpuB).toFixed(3)} (throughput ratios of a saturated core)`,
    );
    console.log(
      `floor: e/c = ${(results.e!.rps / results.c!.rps).toFixed(3)} (CPU c/e = ${(cpuC / cpuE).toFixed(3)}): the best b/c the required work allows on this machine; b/e = ${(results.b!.rps / results.e!.rps).toFixed(3)} (CPU e/b = ${(cpuE / cpuB).toFixed(3)})`,
    );
    if (results.f) {
      const perRound = runs.b!.map((b, i) => (b.rps / runs.f![i]!.rps).toFixed(3));
      console.log(
        `this checkout vs baseline: b/f = ${(results.b!.rps / results.f.rps).toFixed(3)} (per round: ${perRound.join(', ')}); CPU per request (b) ${cpuB.toFixed(1)} µs, (f) ${cpuMedian('f').toFixed(1)} µs → f/b = ${(cpuMedian('f') / cpuB).toFixed(3)}`,
      );
    }
    console.log(`At 80% of the gateway's maximum (${rate} req/s):`);
    console.log(row('  (a) backend direct', atRateA));
    console.log(row('  (b) gateway', atRateB));
    console.log(`  p99 added by the gateway: ${atRateB.p99 - atRateA.p99} ms (target < 5 ms)`);
  } finally {
    backend.proc.kill();
    proxies.proc.kill('SIGINT');
  }
}

const roleIndex = process.argv.indexOf('--role');
if (roleIndex !== -1) {
  const role = process.argv[roleIndex + 1];
  if (role === 'backend') await backendRole();
  else if (role === 'proxies') {
    process.on('SIGINT', () => process.exit(0)); // lets --cpu-prof write its profile
    await proxiesRole(process.env.BENCH_BACKEND_URL!);
  }
} else if (process.argv[1] === SELF) {
  await runGatewayBench();
}
