/**
 * Gateway worker processes (DRAWBRIDGE_GATEWAY_WORKERS): throughput and CPU
 * per request of one gateway port served by 1 worker (the default: the
 * listener in the process itself) and by 2 workers (node:cluster, sharing the
 * port's accept queue; NODE_CLUSTER_SCHED_POLICY=rr for round robin), on the same backend, with token
 * validation and the subscription check as in bench/gateway.ts. The backend,
 * the gateway (primary + workers) and the load generator are separate
 * processes; on a 2-core machine they share the cores, so the ratio says what
 * this machine allows, not what a gateway host with free cores gets.
 *
 *   node --import tsx bench/cluster-workers.ts   (BENCH_SECONDS=5, BENCH_ROUNDS=3, BENCH_CONNECTIONS=50)
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { forkRole } from './_process.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import { BufferedDestination } from '../src/shared/log-destination.js';
import { startGateway } from '../src/gateway/server.js';
import { isGatewayWorker, runGatewayWorker, startWorkerPool } from '../src/gateway/workers.js';
import { gatewayAudience, SNAPSHOT_FORMAT, type GatewaySnapshot, type SnapshotJwk } from '../src/gateway/snapshot.js';

const SELF = fileURLToPath(import.meta.url);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PAYLOAD = JSON.stringify({ id: 42, name: 'widget', price: 9.99, tags: ['a', 'b', 'c'] });
const ISSUER = 'http://127.0.0.1:9090';
const ORG = 'org-bench';

type Message = { backendUrl?: string; gatewayUrl?: string; cpu?: number };

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

/** CPU time (µs) of processes, from /proc (user + system, in clock ticks of 10 ms). */
function cpuOfPids(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* a process that is gone has no more CPU to count */
    }
  }
  return ticks * 10_000;
}

/** The gateway's primary: forks `BENCH_WORKERS` workers that all listen on one port. */
async function gatewayRole(): Promise<void> {
  const snapshot = JSON.parse(process.env.BENCH_SNAPSHOT!) as GatewaySnapshot;
  const logger = createLogger('info', new BufferedDestination('/dev/null') as unknown as NodeJS.WritableStream);
  if (isGatewayWorker()) {
    await runGatewayWorker(async (workerId) => {
      const gw = await startGateway({
        environment: 'development',
        port: Number(process.env.BENCH_PORT),
        host: '127.0.0.1',
        logger,
        clock: systemClock,
        snapshotSource: { load: async () => snapshot },
        workerId,
      });
      return { urls: [gw.url], close: () => gw.close() };
    }, logger);
    return;
  }
  if (process.env.BENCH_WORKERS === '1') {
    // the default: the listener in the node's own process, no primary in between
    const gw = await startGateway({ environment: 'development', port: Number(process.env.BENCH_PORT), host: '127.0.0.1', logger, clock: systemClock, snapshotSource: { load: async () => snapshot } });
    process.on('message', (m) => {
      if (m === 'cpu') process.send!({ cpu: cpuOfPids([process.pid]) });
    });
    process.on('SIGTERM', () => {
      void gw.close().then(() => process.exit(0));
    });
    process.send!({ gatewayUrl: gw.url } satisfies Message);
    return;
  }
  const pool = await startWorkerPool({ count: Number(process.env.BENCH_WORKERS), logger, drainMs: 1_000 });
  process.on('message', (m) => {
    if (m === 'cpu') process.send!({ cpu: cpuOfPids([process.pid, ...pool.pids()]) });
  });
  process.on('SIGTERM', () => {
    void pool.close().then(() => process.exit(0));
  });
  process.send!({ gatewayUrl: pool.urls[0] } satisfies Message);
}

function cpuOf(proc: import('node:child_process').ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const on = (m: Message) => {
      if (m.cpu !== undefined) {
        proc.off('message', on);
        resolve(m.cpu);
      }
    };
    proc.on('message', on);
    proc.send('cpu');
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

interface Figures {
  workers: number;
  rps: number;
  p99: number;
  cpuPerRequest: number;
}

export async function runClusterWorkersBench(): Promise<void> {
  const autocannon = (await import('autocannon' as string)).default as (opts: object) => Promise<any>;
  const backend = await forkRole<Message>(SELF, 'backend');
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'ES256' } as SnapshotJwk;
  const audience = gatewayAudience(ORG, 'development');
  const snapshot: GatewaySnapshot = {
    format: SNAPSHOT_FORMAT,
    version: 1,
    generatedAt: new Date().toISOString(),
    environment: 'development',
    issuer: ISSUER,
    keys: [jwk],
    apis: [
      {
        id: 'api-1',
        orgId: ORG,
        orgHandle: 'bench',
        name: 'Items',
        contextPath: '/items',
        version: 'v1',
        backendUrl: backend.msg.backendUrl!,
        audience,
        cors: null,
        resources: [{ method: 'GET', path: '/things/{id}', security: { oauth2: true, scopes: ['items:read'] }, policies: [] }],
      },
    ],
    subscriptions: { 'app-1': ['api-1'] },
    clients: { builtin: { 'client-1': 'app-1' }, external: [] },
    identityProviders: [],
    revokedTokens: [],
  };
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    iss: ISSUER,
    sub: 'client-1',
    aud: audience,
    client_id: 'client-1',
    scope: 'items:read',
    iat: now,
    exp: now + 3600,
    jti: 'bench',
    org_id: ORG,
    env: 'development',
    app_id: 'app-1',
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'bench-1' })
    .sign(privateKey);
  const headers = { authorization: `Bearer ${token}` };
  const results: Figures[] = [];
  try {
    for (const workers of [1, 2]) {
      const gateway = await forkRole<Message>(SELF, 'gateway', { BENCH_WORKERS: String(workers), BENCH_PORT: String(await freePort()), BENCH_SNAPSHOT: JSON.stringify(snapshot) });
      try {
        const url = `${gateway.msg.gatewayUrl}/bench/items/v1/things/42`;
        await autocannon({ url, connections: CONNECTIONS, duration: 2, headers }); // warm-up: JIT, pools, token cache in every worker
        const rounds: Figures[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const before = await cpuOf(gateway.proc);
          const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
          if (r.non2xx > 0 || r.errors > 0) throw new Error(`${workers} worker(s): ${r.non2xx} non-2xx answers and ${r.errors} errors`);
          rounds.push({ workers, rps: r.requests.average, p99: r.latency.p99, cpuPerRequest: ((await cpuOf(gateway.proc)) - before) / r.requests.total });
        }
        results.push(rounds.sort((a, b) => a.rps - b.rps)[Math.floor(ROUNDS / 2)]!);
      } finally {
        gateway.proc.kill('SIGTERM');
        await new Promise((r) => gateway.proc.once('exit', r));
      }
    }
  } finally {
    backend.proc.kill();
  }
  console.log(
    `\nGateway workers: ${ROUNDS} rounds x ${SECONDS}s, ${CONNECTIONS} connections, ${availableParallelism()} cores shared by backend, gateway and load generator, node ${process.version} (medians)`,
  );
  for (const f of results)
    console.log(
      `${String(f.workers).padStart(2)} worker(s)   ${f.rps.toFixed(0).padStart(8)} req/s   p99 ${String(f.p99).padStart(4)} ms   gateway CPU ${f.cpuPerRequest.toFixed(1)} µs/request (primary + workers)`,
    );
  const [one, two] = results as [Figures, Figures];
  console.log(`2 workers / 1 worker: throughput ${(two.rps / one.rps).toFixed(3)}, CPU per request ${(two.cpuPerRequest / one.cpuPerRequest).toFixed(3)}`);
}

const roleIndex = process.argv.indexOf('--role');
if (roleIndex !== -1) {
  const role = process.argv[roleIndex + 1];
  if (role === 'backend') await backendRole();
  else if (role === 'gateway') await gatewayRole();
} else if (process.argv[1] === SELF) {
  await runClusterWorkersBench();
}
