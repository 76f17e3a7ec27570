/**
 * Token endpoint benchmark: client-credentials tokens per second through the
 * real HTTP endpoint (`POST /oauth2/token`, Basic auth, database lookup,
 * signing, JSON), printed beside the raw rate of signing the same token with
 * the same algorithm and key in the same process. The ratio is the share of
 * the signing rate the endpoint keeps (target ≥ 0.5).
 *
 * The platform runs in this process; the load generator (autocannon) in a
 * child process. Where `taskset` exists and there are two or more CPUs, this
 * process (event loop and crypto thread pool alike) is pinned to CPU 0 and
 * the load generator to CPU 1, so both figures are "one core" figures
 * (`BENCH_PIN=0` turns that off). Loopback only, bounded in time.
 *
 * Rounds alternate raw and HTTP measurements; medians are printed, since a
 * shared machine's load shifts between runs.
 *
 * A third figure, the floor, is what this machine allows any endpoint that
 * does what RFC 6749 requires: a bare `node:http` server in the same process
 * that reads the form body, parses the Basic credentials, compares the
 * secret's SHA-256 in constant time and signs the same token with the same
 * signer (no framework, no client lookup, no grant registry, no strict-form
 * checks). floor / raw is the best ratio reachable here; HTTP / floor is what
 * the real endpoint's own steps cost.
 *
 *   node --import tsx bench/token-endpoint.ts   (BENCH_SECONDS=5, BENCH_ROUNDS=3, BENCH_CONNECTIONS=16, DRAWBRIDGE_SIGNING_ALG=ES256)
 */
import { execFile, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createOrganization } from '../src/control-plane/resources/organizations/service.js';
import { loadConfig } from '../src/shared/config.js';
import { createLogger } from '../src/shared/logger.js';
import { startPlatform } from '../src/platform.js';
import { digestEquals, sha256 } from '../src/shared/crypto.js';
import { parseBasic } from '../src/token-service/client-auth.js';
import { generateKeys } from '../src/token-service/credentials.js';
import { parseForm } from '../src/token-service/form.js';
import { KeyRing } from '../src/token-service/keys.js';
import { issueAccessToken } from '../src/token-service/issue.js';
import type { AuthenticatedClient } from '../src/token-service/grants/grant.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const AUTOCANNON = resolve(import.meta.dirname, '../node_modules/autocannon/autocannon.js');
const TASKSET = '/usr/bin/taskset';
const CAN_PIN = process.env.BENCH_PIN !== '0' && existsSync(TASKSET) && cpus().length >= 2;
const PINNED = process.env.BENCH_PINNED === '1';

const cpuMicros = (u: NodeJS.CpuUsage) => u.user + u.system;

/** Signs tokens back to back (`inFlight` at a time) for `seconds`; returns tokens per second and CPU µs per token. */
async function rawSigningRate(sign: () => Promise<unknown>, seconds: number, inFlight: number): Promise<{ rate: number; cpu: number }> {
  for (let i = 0; i < 200; i++) await sign();
  let count = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (process.hrtime.bigint() < end) {
        await sign();
        count++;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: count / elapsed, cpu: cpuMicros(process.cpuUsage(cpuStart)) / count };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'drawbridge-bench-'));
  const config = loadConfig(
    {
      ...process.env,
      DRAWBRIDGE_DATA_DIR: dataDir,
      DRAWBRIDGE_ADMIN_PASSWORD: 'bench-password',
      DRAWBRIDGE_GATEWAYS: '',
      DRAWBRIDGE_LOG_LEVEL: 'silent',
      DRAWBRIDGE_HOST: '127.0.0.1',
      DRAWBRIDGE_DATABASE_URL: '',
    },
    { port: 0, databaseUrl: `sqlite:${join(dataDir, 'bench.db')}` },
  );
  const platform = await startPlatform(config, { logger: createLogger('silent'), print: () => {} });
  try {
    const { store } = platform;
    const admin = (await store.users.byEmail('admin'))!;
    const org = await createOrganization(store, config, admin, { name: 'Bench', handle: 'bench' });
    const environment = (await store.orgs.environment(org.id, 'development'))!;
    const application = await store.applications.create({ orgId: org.id, name: 'bench-client', ownerUserId: admin.id });
    const { credential, clientSecret } = await generateKeys(store, {
      org,
      application,
      environment,
      actor: { actorId: admin.id, actor: admin.email },
      settings: { scopes: ['read', 'write'] },
    });
    const clientId = credential.clientId!;

    // Raw: the same claims, key and algorithm, without HTTP, client lookup or secret check.
    const keys = await KeyRing.open({ store, masterKey: platform.deps.masterKey, clock: platform.deps.clock, config });
    const client: AuthenticatedClient = { clientId, credential, application, org, environment };
    const issue = () => issueAccessToken({ keys, clock: platform.deps.clock, issuer: config.publicUrl }, client, { subject: clientId, scope: 'read write' });

    // Through HTTP.
    const authorization = 'Basic ' + Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
    const check = await fetch(`${platform.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    if (check.status !== 200) throw new Error(`token endpoint answered ${check.status}: ${await check.text()}`);

    // The floor: the same token through the least HTTP handling client authentication allows.
    const storedHash = sha256(clientSecret);
    const floor = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        const params = parseForm(body);
        const presented = parseBasic(req.headers.authorization ?? '');
        if (params.get('grant_type') !== 'client_credentials' || presented.clientId !== clientId || !digestEquals(sha256(presented.secret), storedHash)) {
          res.writeHead(401).end();
          return;
        }
        issue().then(
          (issued) => {
            const text = JSON.stringify({ access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope });
            res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache', 'content-length': Buffer.byteLength(text) });
            res.end(text);
          },
          () => res.writeHead(500).end(),
        );
      });
    });
    await new Promise<void>((r) => floor.listen(0, '127.0.0.1', r));
    const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}`;

    const load = async (base: string = platform.url) => {
      const cpuStart = process.cpuUsage();
      const { stdout } = await promisify(execFile)(
        PINNED ? TASKSET : process.execPath,
        [
          ...(PINNED ? ['-c', '1', process.execPath] : []),
          AUTOCANNON,
          '--json',
          '-d',
          String(SECONDS),
          '-c',
          String(CONNECTIONS),
          '-m',
          'POST',
          '-H',
          `authorization=${authorization}`,
          '-H',
          'content-type=application/x-www-form-urlencoded',
          '-b',
          'grant_type=client_credentials',
          `${base}/oauth2/token`,
        ],
        { maxBuffer: 64 * 1024 * 1024, timeout: (SECONDS + 30) * 1000 },
      );
      const result = JSON.parse(stdout) as { requests: { total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; duration: number };
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`load run had ${result.non2xx} non-2xx answers and ${result.errors} errors`);
      // This process's CPU time (event loop and crypto threads) per token served; the load generator is another process.
      return { rate: result.requests.total / result.duration, p50: result.latency.p50, p99: result.latency.p99, cpu: cpuMicros(process.cpuUsage(cpuStart)) / result.requests.total };
    };

    const serial: { rate: number; cpu: number }[] = [];
    const parallel: { rate: number; cpu: number }[] = [];
    const runs: { rate: number; p50: number; p99: number; cpu: number }[] = [];
    const floors: { rate: number; cpu: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      serial.push(await rawSigningRate(issue, SECONDS, 1));
      parallel.push(await rawSigningRate(issue, SECONDS, CONNECTIONS));
      runs.push(await load());
      floors.push(await load(floorUrl));
    }
    floor.close();
    const floorRate = median(floors.map((r) => r.rate));
    const floorCpu = median(floors.map((r) => r.cpu));
    const rawSerial = median(serial.map((r) => r.rate));
    const rawParallel = median(parallel.map((r) => r.rate));
    const rawCpu = median(serial.map((r) => r.cpu));
    const httpCpu = median(runs.map((r) => r.cpu));
    const http = median(runs.map((r) => r.rate));
    const typical = runs.find((r) => r.rate === http)!;
    const result = { latency: { p50: typical.p50, p99: typical.p99 } };

    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const row = (label: string, value: string) => `  ${label.padEnd(38)}${value}`;
    process.stdout.write(
      [
        `token endpoint benchmark (${config.signingAlg}, ${ROUNDS} rounds x ${SECONDS}s, medians, ${CONNECTIONS} connections, ${PINNED ? 'server on CPU 0, load on CPU 1, ' : 'unpinned, '}${cpus().length}x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version})`,
        row('raw signing, 1 in flight', `${fmt(rawSerial)} tokens/s`),
        row(`raw signing, ${CONNECTIONS} in flight`, `${fmt(rawParallel)} tokens/s`),
        row('POST /oauth2/token over HTTP', `${fmt(http)} tokens/s   (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms)`),
        row('ratio HTTP / raw (1 in flight)', `${(http / rawSerial).toFixed(2)}   (target >= 0.50)`),
        row(`ratio HTTP / raw (${CONNECTIONS} in flight)`, (http / rawParallel).toFixed(2)),
        row('CPU per token: raw / HTTP', `${rawCpu.toFixed(1)} µs / ${httpCpu.toFixed(1)} µs = ${(rawCpu / httpCpu).toFixed(2)}   (less sensitive to machine load)`),
        row('floor: bare node:http + client auth', `${fmt(floorRate)} tokens/s, ${floorCpu.toFixed(1)} µs per token`),
        row('ratio floor / raw (1 in flight)', `${(floorRate / rawSerial).toFixed(2)}   (the best this machine allows; CPU ${(rawCpu / floorCpu).toFixed(2)})`),
        row('ratio HTTP / floor', `${(http / floorRate).toFixed(2)}   (what the endpoint's own steps cost; CPU ${(floorCpu / httpCpu).toFixed(2)})`),
        '',
      ].join('\n'),
    );
  } finally {
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (CAN_PIN && !PINNED) {
  const run = spawnSync(TASKSET, ['-c', '0', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, BENCH_PINNED: '1' } });
  process.exit(run.status ?? 1);
}
await main();
