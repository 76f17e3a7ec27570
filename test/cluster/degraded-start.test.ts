// Over 300 lines on purpose: one story (start without the database, serve, recover) across in-process and CLI starts.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DegradedStart } from '../../src/degraded-start.js';
import { startPlatform, type Platform } from '../../src/platform.js';
import { loadConfig } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { spawn } from 'node:child_process';
import { BIN, runCli } from '../helpers/cli.js';
import { Api, ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.js';
import { POSTGRES_URL_ENV, storeBackends, type TestDatabase } from '../helpers/stores.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { publishOrders } from './setup.js';

/** The `Keep-Alive` header a server sends: the control plane's idle timeout as clients and load balancers see it. */
const keepAliveOf = (url: string) =>
  new Promise<string | undefined>((resolve, reject) => {
    get(url, (res) => {
      res.resume();
      resolve(res.headers['keep-alive'] as string | undefined);
    }).on('error', reject);
  });

const postgres = storeBackends().filter((b) => b.name === 'postgres');
const UNAVAILABLE = { code: 'unavailable', message: 'The database is unavailable; try again shortly' };
const NOT_READY = { status: 'not_ready', database: 'unavailable' };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** `drawbridge start` in a child process, with only `vars` as its DRAWBRIDGE_* settings. */
function spawnStart(vars: Record<string, string>) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DRAWBRIDGE_')) env[k] = v;
  const child = spawn(process.execPath, [BIN, 'start'], { env: { ...env, ...vars }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
  return {
    child,
    exited,
    output: () => output,
    /** Resolves with the first match of `pattern` in the output; fails past the deadline. */
    async waitFor(pattern: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
      const match = await until(
        async () => output.match(pattern),
        (m) => m !== null,
        ms,
      );
      if (!match) throw new Error(`no ${pattern} in the output:\n${output}`);
      return match;
    },
  };
}

async function until<T>(what: () => Promise<T>, ok: (value: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the settings of a start without the database', () => {
  it('DRAWBRIDGE_DATABASE_RETRY_MAX_MS caps the wait between attempts (default 30 s); a malformed database URL is refused without repeating it', () => {
    expect(loadConfig({}).databaseRetryMaxMs).toBe(30_000);
    expect(loadConfig({ DRAWBRIDGE_DATABASE_RETRY_MAX_MS: '250' }).databaseRetryMaxMs).toBe(250);
    expect(() => loadConfig({ DRAWBRIDGE_DATABASE_RETRY_MAX_MS: '50' })).toThrow(
      new ConfigError('DRAWBRIDGE_DATABASE_RETRY_MAX_MS', 'must be a whole number of milliseconds between 100 and 600000, got "50"'),
    );
    expect(() => loadConfig({ DRAWBRIDGE_DATABASE_URL: 'postgres://me:secret@db:54x2/app' })).toThrow(
      new ConfigError('DRAWBRIDGE_DATABASE_URL', 'is not a valid URL (postgres://user:password@host:5432/database; characters such as @ : / in the password must be percent-encoded)'),
    );
  });
});

describe.skipIf(postgres.length === 0).each(postgres)('drawbridge start while its database is unreachable ($name)', (backend) => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let upstream: Server;
  let env: Record<string, string>;
  let adminToken: string;
  let clientId: string;
  let secret: string;
  let token: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'drawbridge-degraded-'));
  const emptyDataDir = mkdtempSync(join(tmpdir(), 'drawbridge-degraded-empty-'));
  const org = 'offline';
  const orgPath = `/api/v1/orgs/${org}`;
  const base = `${orgPath}/projects/default/components/orders/api`;
  const running: Platform[] = [];

  const requestToken = (url: string) =>
    fetch(`${url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
  const call = (gatewayUrl: string, path: string, bearer?: string) => fetch(`${gatewayUrl}/${org}/orders/v1${path}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });

  /** `drawbridge start`'s call: resolves with the degraded listeners, and the start that completes once the database answers. */
  async function startWaiting(dir: string, signal?: AbortSignal): Promise<{ degraded: DegradedStart; lines: string[]; started: Promise<Platform> }> {
    const lines: string[] = [];
    let degraded!: (d: DegradedStart) => void;
    const serving = new Promise<DegradedStart>((resolve) => {
      degraded = resolve;
    });
    const config = loadConfig({ ...env, DRAWBRIDGE_DATA_DIR: dir }, { port: 0 });
    const started = startPlatform(config, { logger: createLogger('silent'), print: (line) => lines.push(line), waitForDatabase: { signal, onDegraded: degraded } });
    started.then(
      (p) => running.push(p),
      () => {},
    );
    return {
      degraded: await Promise.race([
        serving,
        started.then(() => {
          throw new Error('started without waiting');
        }),
      ]),
      lines,
      started,
    };
  }

  beforeAll(async () => {
    database = await backend.createDatabase();
    const target = new URL(database.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const url = new URL(database.url);
    url.port = String(proxy.port);
    url.search = '?connectionTimeoutMillis=1000&query_timeout=1500&statement_timeout=1000';
    env = {
      DRAWBRIDGE_DATABASE_URL: url.toString(),
      DRAWBRIDGE_MASTER_KEY: randomBytes(32).toString('hex'),
      DRAWBRIDGE_DATABASE_RETRY_MAX_MS: '200',
      DRAWBRIDGE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      DRAWBRIDGE_GATEWAYS: 'development=0',
      DRAWBRIDGE_LOG_LEVEL: 'silent',
      DRAWBRIDGE_HOST: '127.0.0.1',
      DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1',
      DRAWBRIDGE_EGRESS_ALLOW: 'loopback, self',
    };
    upstream = createServer((req, res) => res.end(`upstream ${req.url}`));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

    // A first run with the database up deploys an API and leaves the gateway's snapshot in `dataDir`.
    const first = await startTestPlatform({ env: { ...env, DRAWBRIDGE_DATA_DIR: dataDir } });
    try {
      adminToken = first.admin.token!;
      ({ clientId, clientSecret: secret } = await publishOrders(first.admin, { name: 'Offline', handle: org }, upstreamUrl));
      expect((await first.admin.post(`${base}/deployments`, { environment: 'development' })).status).toBe(201);
      const issued = await requestToken(first.url);
      expect(issued.status).toBe(200);
      token = ((await issued.json()) as { access_token: string }).access_token;
      const gateway = first.runtime.gateway('development')!.url;
      expect(
        (
          await until(
            () => call(gateway, '/items', token),
            (r) => r.status === 200,
          )
        ).status,
      ).toBe(200);
    } finally {
      await first.close(); // waits for the snapshot's disk write
    }
  });
  afterAll(async () => {
    proxy?.setMode('pass');
    for (const p of running) await p.close().catch(() => {});
    await new Promise((r) => upstream?.close(r));
    await proxy?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(emptyDataDir, { recursive: true, force: true });
  });

  it('serves the deployed API from the disk snapshot with a valid token, answers 503 on the control plane, and becomes ready in the same process once the database answers', async () => {
    proxy.setMode('refuse');
    const { degraded, lines, started } = await startWaiting(dataDir);
    const gateway = degraded.gateways[0]!.gateway;
    const snapshotPath = join(dataDir, 'gateway', 'development.snapshot.json');
    expect(lines[0]).toBe('Drawbridge is starting (production mode): database unreachable at start; retrying');
    expect(lines).toContain(`  Gateway development ${gateway.url}   serving the last snapshot from ${snapshotPath} (version ${gateway.status().snapshot!.version}, 1 APIs)`);
    expect(lines.join('\n')).not.toContain(`${new URL(env.DRAWBRIDGE_DATABASE_URL!).username}@`);
    expect(gateway.status()).toMatchObject({ ready: true, snapshot: { source: 'disk', apis: 1 } });

    const served = await call(gateway.url, '/items', token);
    expect({ status: served.status, body: await served.text() }).toEqual({ status: 200, body: 'upstream /items' });
    expect((await call(gateway.url, '/items')).status).toBe(401);

    const cp = new Api(degraded.url, adminToken);
    expect(await cp.get('/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await cp.get('/readyz');
    expect({ status: ready.status, body: ready.body, retryAfter: ready.headers.get('retry-after') }).toEqual({ status: 503, body: NOT_READY, retryAfter: '5' });
    const orgs = await cp.get('/api/v1/orgs');
    expect({ status: orgs.status, body: orgs.body, retryAfter: orgs.headers.get('retry-after') }).toEqual({ status: 503, body: UNAVAILABLE, retryAfter: '5' });
    const created = await cp.post('/api/v1/orgs', { name: 'Not Now' });
    expect({ status: created.status, body: created.body }).toEqual({ status: 503, body: UNAVAILABLE });
    const tokenRes = await requestToken(degraded.url);
    expect({ status: tokenRes.status, body: await tokenRes.json(), retryAfter: tokenRes.headers.get('retry-after'), cache: tokenRes.headers.get('cache-control') }).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'The token service cannot reach its database; try again shortly' },
      retryAfter: '5',
      cache: 'no-store',
    });

    proxy.setMode('pass');
    const platform = await started;
    expect(platform.url).toBe(degraded.url);
    expect(platform.runtime.gateway('development')).toBe(gateway);
    expect(gateway.status()).toMatchObject({ ready: true, snapshot: { source: 'live', apis: 1 } });
    expect(lines).toContain('Drawbridge is running (production mode)');
    expect(await cp.get('/readyz')).toMatchObject({ status: 200, body: { status: 'ready', database: 'ok' } });
    // The listener bound before the database answered keeps Fastify's timeouts once the app takes it over, as after a normal start.
    expect(await keepAliveOf(`${degraded.url}/healthz`)).toBe('timeout=72');
    const listed = await cp.get('/api/v1/orgs');
    expect(listed.status).toBe(200);
    expect(listed.body.map((o: { handle: string }) => o.handle)).toContain(org);
    const fresh = await requestToken(degraded.url);
    expect(fresh.status).toBe(200);
    const freshToken = ((await fresh.json()) as { access_token: string }).access_token;
    expect((await call(gateway.url, '/items', freshToken)).status).toBe(200);
    await platform.close();
    running.splice(running.indexOf(platform), 1);
  });

  it('without a snapshot on disk, its gateway answers 503 until the database answers, then serves the deployed API', async () => {
    proxy.setMode('refuse');
    const { degraded, lines, started } = await startWaiting(emptyDataDir);
    const gateway = degraded.gateways[0]!.gateway;
    expect(lines).toContain(`  Gateway development ${gateway.url}   no snapshot on disk: 503 until the database is reached`);
    const refused = await call(gateway.url, '/health');
    expect({ status: refused.status, body: await refused.json() }).toEqual({ status: 503, body: { code: 'unavailable', message: 'The gateway for development has no configuration yet' } });
    expect((await new Api(degraded.url).get('/readyz')).status).toBe(503);

    proxy.setMode('pass');
    const platform = await started;
    expect((await new Api(platform.url).get('/readyz')).status).toBe(200);
    const health = await call(gateway.url, '/health');
    expect({ status: health.status, body: await health.text() }).toEqual({ status: 200, body: 'upstream /health' });
    expect((await call(gateway.url, '/items', token)).status).toBe(200);
    await platform.close();
    running.splice(running.indexOf(platform), 1);
  });

  it('stops waiting when aborted: the listeners close and the start rejects', async () => {
    proxy.setMode('refuse');
    const abort = new AbortController();
    const { degraded, started } = await startWaiting(emptyDataDir, abort.signal);
    const gatewayUrl = degraded.gateways[0]!.gateway.url;
    abort.abort();
    await expect(started).rejects.toMatchObject({ name: 'AbortError' });
    await expect(fetch(`${degraded.url}/healthz`)).rejects.toThrow();
    await expect(fetch(`${gatewayUrl}/`)).rejects.toThrow();
    proxy.setMode('pass');
  });

  it('as a command: prints what happened, logs each failed attempt without the password, becomes ready once the database answers, and stops cleanly on SIGTERM (also while waiting)', async () => {
    proxy.setMode('refuse');
    const withPassword = new URL(env.DRAWBRIDGE_DATABASE_URL!);
    withPassword.password = 'hunter2-secret'; // the test database trusts local connections: the password is never checked
    const vars = { ...env, DRAWBRIDGE_DATABASE_URL: withPassword.toString(), DRAWBRIDGE_DATA_DIR: dataDir, DRAWBRIDGE_PORT: '0', DRAWBRIDGE_LOG_LEVEL: 'warn' };
    const node = spawnStart(vars);
    try {
      await node.waitFor(/database unreachable at start; serving the last snapshot from [^;]+development\.snapshot\.json; retrying/);
      const [, url] = await node.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+); \/readyz and the API answer 503 until the database is reached/);
      await node.waitFor(/"attempt":2,.*"msg":"database still unreachable; retrying"/);
      expect(await new Api(url!).get('/readyz')).toMatchObject({ status: 503, body: NOT_READY });
      proxy.setMode('pass');
      await node.waitFor(/Drawbridge is running \(production mode\)/);
      expect(await new Api(url!).get('/readyz')).toMatchObject({ status: 200, body: { status: 'ready', database: 'ok' } });
    } finally {
      node.child.kill('SIGTERM');
    }
    expect(await node.exited).toBe(0);
    expect(node.output()).not.toContain('hunter2-secret');

    proxy.setMode('refuse');
    const waiting = spawnStart(vars);
    try {
      await waiting.waitFor(/database unreachable at start/);
    } finally {
      waiting.child.kill('SIGTERM');
    }
    expect(await waiting.exited).toBe(0);
    proxy.setMode('pass');
  });

  it('fails at once, naming DRAWBRIDGE_DATABASE_URL, when the database refuses the user or does not exist, or the URL is malformed (never printing the password)', async () => {
    const admin = new URL(process.env[POSTGRES_URL_ENV]!);
    const cli = (databaseUrl: string) =>
      runCli(['start'], {
        DRAWBRIDGE_DATABASE_URL: databaseUrl,
        DRAWBRIDGE_DATA_DIR: emptyDataDir,
        DRAWBRIDGE_MASTER_KEY: env.DRAWBRIDGE_MASTER_KEY!,
        DRAWBRIDGE_PORT: '0',
        DRAWBRIDGE_GATEWAYS: 'development=0',
        DRAWBRIDGE_HOST: '127.0.0.1',
        DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1',
        DRAWBRIDGE_LOG_LEVEL: 'silent',
      });
    const role = new URL(admin);
    role.username = 'no_such_role';
    role.password = 'hunter2-secret';
    const missing = new URL(database.url);
    missing.pathname = '/no_such_database';
    const [badRole, badDatabase, malformed] = await Promise.all([cli(role.toString()), cli(missing.toString()), cli(`postgres://someone:hunter2-secret@${admin.hostname}:not-a-port/db`)]);
    expect(badRole).toMatchObject({ code: 1, stdout: '' });
    expect(badRole.stderr).toMatch(/^Error: DRAWBRIDGE_DATABASE_URL: the database refused the connection: .*no_such_role.* \(SQLSTATE 28\w{3}\); check the user, password and database name\n$/);
    expect(badDatabase).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error: DRAWBRIDGE_DATABASE_URL: the database refused the connection: database "no_such_database" does not exist (SQLSTATE 3D000); check the user, password and database name\n',
    });
    expect(malformed).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error: DRAWBRIDGE_DATABASE_URL: is not a valid URL (postgres://user:password@host:5432/database; characters such as @ : / in the password must be percent-encoded)\n',
    });
    for (const run of [badRole, badDatabase, malformed]) expect(run.stderr + run.stdout).not.toContain('hunter2-secret');
  });
});
