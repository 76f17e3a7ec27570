/**
 * Token exchange benchmark (RFC 8693): exchanges per second through the real
 * HTTP endpoint (`POST /oauth2/token`, Basic auth, client lookup, IdP match
 * by issuer in the organization's cached IdP list, external-token
 * verification against the cached JWKS, platform token signing, JSON),
 * printed beside the raw cost of one
 * verify + one sign in the same process. The ratio is the share of the raw
 * rate the endpoint keeps.
 *
 * The external IdP is a real `oidc-provider` on 127.0.0.1 (RS256 JWT access
 * tokens); its keys are fetched once, as in production. The load generator
 * (autocannon) runs in a child process; with `taskset` and two or more CPUs
 * this process is pinned to CPU 0 and autocannon to CPU 1 (`BENCH_PIN=0`
 * turns that off). Loopback only, bounded in time; medians of the rounds.
 *
 *   node --import tsx bench/token-exchange.ts   (BENCH_SECONDS=5, BENCH_ROUNDS=3, BENCH_CONNECTIONS=16)
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createOrganization } from '../src/control-plane/resources/organizations/service.js';
import { loadConfig } from '../src/shared/config.js';
import { verifyIdpToken } from '../src/shared/idp-keys/verify.js';
import { createLogger } from '../src/shared/logger.js';
import { startPlatform } from '../src/platform.js';
import { generateKeys } from '../src/token-service/credentials.js';
import type { AuthenticatedClient } from '../src/token-service/grants/grant.js';
import { TOKEN_EXCHANGE } from '../src/token-service/grants/grant-types.js';
import { issueAccessToken } from '../src/token-service/issue.js';
import { KeyRing } from '../src/token-service/keys.js';
import { startTestIdp } from '../test/helpers/oidc-idp.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const AUTOCANNON = resolve(import.meta.dirname, '../node_modules/autocannon/autocannon.js');
const TASKSET = '/usr/bin/taskset';
const CAN_PIN = process.env.BENCH_PIN !== '0' && existsSync(TASKSET) && cpus().length >= 2;
const PINNED = process.env.BENCH_PINNED === '1';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuMicros = (u: NodeJS.CpuUsage) => u.user + u.system;

async function rawRate(op: () => Promise<unknown>, seconds: number): Promise<{ rate: number; cpu: number }> {
  for (let i = 0; i < 200; i++) await op();
  let count = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < end) {
    await op();
    count++;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: count / elapsed, cpu: cpuMicros(process.cpuUsage(cpuStart)) / count };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'drawbridge-bench-tx-'));
  const idp = await startTestIdp({ accessTokenTtl: 3600 });
  const config = loadConfig(
    {
      ...process.env,
      DRAWBRIDGE_DATA_DIR: dataDir,
      DRAWBRIDGE_ADMIN_PASSWORD: 'bench-password',
      DRAWBRIDGE_GATEWAYS: '',
      DRAWBRIDGE_LOG_LEVEL: 'silent',
      DRAWBRIDGE_HOST: '127.0.0.1',
      DRAWBRIDGE_DATABASE_URL: '',
      DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true',
    },
    { port: 0, databaseUrl: `sqlite:${join(dataDir, 'bench.db')}` },
  );
  const platform = await startPlatform(config, { logger: createLogger('silent'), print: () => {} });
  try {
    const { store, deps } = platform;
    const admin = (await store.users.byEmail('admin'))!;
    const org = await createOrganization(store, config, admin, { name: 'Bench', handle: 'bench' });
    const environment = (await store.orgs.environment(org.id, 'development'))!;
    const registered = await store.identityProviders.create({
      orgId: org.id,
      name: 'corp',
      description: '',
      kind: 'generic-oidc',
      wellKnownUrl: idp.wellKnownUrl,
      issuer: idp.issuer,
      issuerTemplate: null,
      allowedTenantIds: [],
      tokenEndpoint: idp.tokenEndpoint,
      jwksUri: idp.jwksUri,
      audiences: [idp.audience],
      clientIdClaims: ['client_id'],
      subjectClaim: 'sub',
      tokenTyping: 'at+jwt',
      clockSkew: 60,
      maxTokenAge: 86_400,
    });
    const keyCache = deps.idpKeys!;
    if (!(await keyCache.refresh(registered)).ok) throw new Error('could not fetch the test IdP keys');
    const application = await store.applications.create({ orgId: org.id, name: 'bench-exchanger', ownerUserId: admin.id });
    const { credential, clientSecret } = await generateKeys(store, {
      org,
      application,
      environment,
      actor: { actorId: admin.id, actor: admin.email },
      settings: { grantTypes: [TOKEN_EXCHANGE], scopes: ['read', 'write'] },
    });
    const clientId = credential.clientId!;
    const subjectToken = await idp.clientCredentialsToken();

    // Raw: one verification of the IdP token + one platform token signed, same process, no HTTP.
    const ring = await KeyRing.open({ store, masterKey: deps.masterKey, clock: deps.clock, config });
    const client: AuthenticatedClient = { clientId, credential, application, org, environment };
    const raw = async () => {
      const verified = await verifyIdpToken(registered, subjectToken, { keys: keyCache, clock: deps.clock, expectedType: 'access_token' });
      if (!verified.ok) throw new Error(verified.failure.message);
      return issueAccessToken({ keys: ring, clock: deps.clock, issuer: config.publicUrl }, client, { subject: verified.token.subject, scope: 'read', idp: 'corp' });
    };

    const authorization = 'Basic ' + Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
    const body = new URLSearchParams({ grant_type: TOKEN_EXCHANGE, subject_token: subjectToken, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', scope: 'read' }).toString();
    const check = await fetch(`${platform.url}/oauth2/token`, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body });
    if (check.status !== 200) throw new Error(`token endpoint answered ${check.status}: ${await check.text()}`);
    const jwksBefore = idp.jwksRequests;

    const load = async () => {
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
          body,
          `${platform.url}/oauth2/token`,
        ],
        { maxBuffer: 64 * 1024 * 1024, timeout: (SECONDS + 30) * 1000 },
      );
      const result = JSON.parse(stdout) as { requests: { total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; duration: number };
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`load run had ${result.non2xx} non-2xx answers and ${result.errors} errors`);
      return { rate: result.requests.total / result.duration, p50: result.latency.p50, p99: result.latency.p99, cpu: cpuMicros(process.cpuUsage(cpuStart)) / result.requests.total };
    };

    const raws: { rate: number; cpu: number }[] = [];
    const runs: { rate: number; p50: number; p99: number; cpu: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raws.push(await rawRate(raw, SECONDS));
      runs.push(await load());
    }
    const rawPerSec = median(raws.map((r) => r.rate));
    const http = median(runs.map((r) => r.rate));
    const typical = runs.find((r) => r.rate === http)!;
    const rawCpu = median(raws.map((r) => r.cpu));
    const httpCpu = median(runs.map((r) => r.cpu));
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const row = (label: string, value: string) => `  ${label.padEnd(38)}${value}`;
    process.stdout.write(
      [
        `token exchange benchmark (IdP RS256 -> platform ${config.signingAlg}, ${ROUNDS} rounds x ${SECONDS}s, medians, ${CONNECTIONS} connections, ${PINNED ? 'server on CPU 0, load on CPU 1, ' : 'unpinned, '}${cpus().length}x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version})`,
        row('raw verify + sign, 1 in flight', `${fmt(rawPerSec)} exchanges/s   (${rawCpu.toFixed(1)} µs CPU each)`),
        row('POST /oauth2/token (token exchange)', `${fmt(http)} exchanges/s   (p50 ${typical.p50} ms, p99 ${typical.p99} ms, ${httpCpu.toFixed(1)} µs CPU each)`),
        row('ratio HTTP / raw', (http / rawPerSec).toFixed(2)),
        row('CPU per exchange: raw / HTTP', (rawCpu / httpCpu).toFixed(2)),
        row('JWKS fetches during the load', String(idp.jwksRequests - jwksBefore)),
        '',
      ].join('\n'),
    );
  } finally {
    await platform.close();
    await idp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (CAN_PIN && !PINNED) {
  const run = spawnSync(TASKSET, ['-c', '0', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, BENCH_PINNED: '1' } });
  process.exit(run.status ?? 1);
}
await main();
