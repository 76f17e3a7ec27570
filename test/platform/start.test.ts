// Over 300 lines on purpose: the start command's cases share one child-process harness.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

// Process-level test of `drawbridge start`: the real executable as a child
// process, real ports, a real data folder. In-process behaviour of the
// platform is covered by the feature suites; this file covers what only a
// process shows (banner, exit codes, signals, files on disk).

const BIN = resolve(import.meta.dirname, '../../bin/drawbridge.js');
/** Bounds for waiting on the child; they only turn a hang into a failure, they measure nothing. */
const START_BOUND_MS = 60_000;
const EXIT_BOUND_MS = 15_000;
const TEST_TIMEOUT_MS = 180_000;

/** Environments the test configures gateways for (asserted in the banner and on each gateway's health endpoint). */
const GATEWAY_ENVIRONMENTS = ['development', 'production'] as const;
/** The gateway's own operations endpoint (docs/gateway.md, `OPS_PREFIX` in src/gateway/server.ts). */
const GATEWAY_HEALTH_PATH = '/_drawbridge/healthz';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Started {
  child: ChildProcess;
  /** Everything the child wrote so far (complete once `exited` resolved). */
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  /** Resolves with the first match of `pattern` on stdout; rejects if the child exits first or the bound passes. */
  waitForStdout(pattern: RegExp): Promise<RegExpMatchArray>;
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];

/** Listens on an ephemeral loopback port; the caller closes it. */
async function holdPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as { port: number };
  return { port, close: () => new Promise<void>((done) => server.close(() => done())) };
}

/** A port that was free a moment ago: listen on port 0, read the port, close. */
async function freePort(): Promise<number> {
  const held = await holdPort();
  await held.close();
  return held.port;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-start-'));
  dirs.push(dir);
  return dir;
}

/** The parent's environment without any DRAWBRIDGE_* variable, plus `vars`. */
function childEnv(vars: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DRAWBRIDGE_')) env[k] = v;
  return { ...env, ...vars };
}

function run(args: string[], vars: Record<string, string>): Started {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(vars), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  let closed = false;
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  // 'close' (not 'exit'): both pipes are drained, so stdout()/stderr() are complete.
  const exited = new Promise<Exit>((done) =>
    child.once('close', (code, signal) => {
      children.delete(child);
      closed = true;
      for (const w of waiters) w();
      done({ code, signal });
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout(pattern) {
      return new Promise((done, fail) => {
        const timer = setTimeout(() => finish(new Error(`no ${pattern} on stdout within ${START_BOUND_MS} ms\nstdout:\n${out}\nstderr:\n${err}`)), START_BOUND_MS);
        const check = () => {
          const match = out.match(pattern);
          if (match) return finish(undefined, match);
          if (closed) {
            finish(new Error(`exited (${child.exitCode ?? child.signalCode}) before ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        const finish = (error?: Error, match?: RegExpMatchArray) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) fail(error);
          else done(match!);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Waits for the process to end on its own, failing (not hanging) past the bound. */
async function exitWithin(started: Started, boundMs: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`still running ${boundMs} ms later\nstdout:\n${started.stdout()}\nstderr:\n${started.stderr()}`)), boundMs);
  });
  try {
    return await Promise.race([started.exited, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends SIGTERM and expects a clean exit (code 0) within the bound. */
async function stop(started: Started): Promise<void> {
  started.child.kill('SIGTERM');
  expect(await exitWithin(started, EXIT_BOUND_MS)).toEqual({ code: 0, signal: null });
}

interface Ports {
  controlPlane: number;
  gateways: Record<(typeof GATEWAY_ENVIRONMENTS)[number], number>;
}

async function freePorts(): Promise<Ports> {
  return { controlPlane: await freePort(), gateways: { development: await freePort(), production: await freePort() } };
}

/** `drawbridge start --dev` on 127.0.0.1 only, with the given data folder and ports. */
function startDrawbridge(dataDir: string, ports: Ports, extra: Record<string, string> = {}): Started {
  return run(['start', '--dev'], {
    DRAWBRIDGE_DATA_DIR: dataDir,
    DRAWBRIDGE_PORT: String(ports.controlPlane),
    DRAWBRIDGE_HOST: '127.0.0.1',
    DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1',
    DRAWBRIDGE_GATEWAYS: GATEWAY_ENVIRONMENTS.map((env) => `${env}=${ports.gateways[env]}`).join(','),
    DRAWBRIDGE_LOG_LEVEL: 'warn',
    ...extra,
  });
}

/** The banner is printed after every listener is bound; its "Data folder" line means the control plane serves. */
async function waitUntilServing(started: Started, ports: Ports): Promise<void> {
  await started.waitForStdout(/^ {2}Data folder .*\n/m);
  const health = await fetch(`http://127.0.0.1:${ports.controlPlane}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
}

async function login(ports: Ports, username: string, password: string): Promise<{ status: number; body: any; cookie?: string }> {
  const res = await fetch(`http://127.0.0.1:${ports.controlPlane}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const cookie =
    res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ') || undefined;
  return { status: res.status, body: await res.json(), cookie };
}

/** Signs in and proves the session works by reading /api/v1/me with it. */
async function expectSignIn(ports: Ports, password: string): Promise<void> {
  const signedIn = await login(ports, 'admin', password);
  expect(signedIn.status).toBe(200);
  expect(signedIn.body.user).toMatchObject({ email: 'admin' });
  expect(signedIn.cookie).toBeDefined();
  const me = await fetch(`http://127.0.0.1:${ports.controlPlane}/api/v1/me`, { headers: { cookie: signedIn.cookie! } });
  expect(me.status).toBe(200);
  expect(await me.json()).toMatchObject({ email: 'admin' });
}

async function expectGatewaysHealthy(ports: Ports): Promise<void> {
  for (const environment of GATEWAY_ENVIRONMENTS) {
    const res = await fetch(`http://127.0.0.1:${ports.gateways[environment]}${GATEWAY_HEALTH_PATH}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', environment });
  }
}

function bannerLines(ports: Ports, dataDir: string): string[] {
  const publicUrl = `http://localhost:${ports.controlPlane}`;
  return [
    'Drawbridge is running (development mode)',
    `  Web console        ${publicUrl}/console/`,
    `  Developer portal   ${publicUrl}/portal/`,
    `  Control plane API  ${publicUrl}/api/v1   (listening on http://127.0.0.1:${ports.controlPlane})`,
    `  OpenAPI document   ${publicUrl}/api/v1/openapi.json`,
    `  Token service      ${publicUrl}/.well-known/oauth-authorization-server`,
    `  Data folder        ${dataDir}`,
    ...GATEWAY_ENVIRONMENTS.map((env) => `  Gateway ${env.padEnd(11)} http://127.0.0.1:${ports.gateways[env]}`),
  ];
}

const ONE_TIME_PASSWORD = /^ {2}First start: sign in as "admin" with the one-time password (\S+)\n/m;

afterEach(async () => {
  for (const child of children) {
    child.kill('SIGKILL');
    await new Promise((done) => child.once('close', done));
  }
  children.clear();
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('drawbridge start', () => {
  it(
    'on the first start prints the URLs and a one-time admin password, serves, signs in, and stops cleanly on SIGTERM; a second start prints no password and keeps the admin',
    async () => {
      const dataDir = join(tempDir(), 'data');
      const ports = await freePorts();

      const first = startDrawbridge(dataDir, ports);
      const [, password] = await first.waitForStdout(ONE_TIME_PASSWORD);
      await waitUntilServing(first, ports);
      await expectSignIn(ports, password!);
      await expectGatewaysHealthy(ports);
      expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
      await stop(first);
      const firstLines = first.stdout().split('\n');
      for (const line of bannerLines(ports, dataDir)) expect(firstLines).toContain(line);
      expect(first.stderr()).toBe('');

      const second = startDrawbridge(dataDir, ports);
      await waitUntilServing(second, ports);
      await expectSignIn(ports, password!);
      await expectGatewaysHealthy(ports);
      await stop(second);
      const secondLines = second.stdout().split('\n');
      for (const line of bannerLines(ports, dataDir)) expect(secondLines).toContain(line);
      expect(second.stdout()).not.toMatch(/First start|password/);
      expect(second.stdout()).not.toContain(password!);
      expect(second.stderr()).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'takes the admin password from DRAWBRIDGE_ADMIN_PASSWORD on a fresh data folder and never prints it',
    async () => {
      const dataDir = tempDir();
      const ports = await freePorts();
      const chosen = 'a password chosen by the operator';

      const started = startDrawbridge(dataDir, ports, { DRAWBRIDGE_ADMIN_PASSWORD: chosen });
      await started.waitForStdout(/^ {2}First start: sign in as "admin" with the password from DRAWBRIDGE_ADMIN_PASSWORD\n/m);
      await waitUntilServing(started, ports);
      await expectSignIn(ports, chosen);
      const wrong = await login(ports, 'admin', 'not the chosen password');
      expect(wrong.status).toBe(401);
      await stop(started);
      expect(started.stdout()).not.toContain(chosen);
      expect(started.stdout()).not.toMatch(ONE_TIME_PASSWORD);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses an invalid setting before touching anything: exit code 1 and a message naming the variable',
    async () => {
      const dataDir = join(tempDir(), 'never-created');
      const ports = await freePorts();

      const started = startDrawbridge(dataDir, ports, { DRAWBRIDGE_PORT: 'abc' });
      expect(await exitWithin(started, EXIT_BOUND_MS + START_BOUND_MS)).toEqual({ code: 1, signal: null });
      expect(started.stderr()).toBe('Error: DRAWBRIDGE_PORT: must be a port number (0-65535), got "abc"\n');
      expect(started.stdout()).toBe('');
      expect(existsSync(dataDir)).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'names the variable whose port is taken instead of crashing with a stack trace, and a later start on the same data folder still prints the one-time password',
    async () => {
      const taken = await holdPort();
      const controlPlaneDir = tempDir();
      const gatewayDir = tempDir();
      try {
        const ports = await freePorts();
        const controlPlane = startDrawbridge(controlPlaneDir, { ...ports, controlPlane: taken.port });
        expect(await exitWithin(controlPlane, EXIT_BOUND_MS + START_BOUND_MS)).toEqual({ code: 1, signal: null });
        expect(controlPlane.stderr()).toBe(`Error: DRAWBRIDGE_PORT: port ${taken.port} is already in use\n`);
        expect(controlPlane.stdout()).toBe('');

        const gateway = startDrawbridge(gatewayDir, { ...ports, gateways: { ...ports.gateways, production: taken.port } });
        expect(await exitWithin(gateway, EXIT_BOUND_MS + START_BOUND_MS)).toEqual({ code: 1, signal: null });
        expect(gateway.stderr()).toBe(`Error: DRAWBRIDGE_GATEWAYS[1]: port ${taken.port} is already in use (gateway production)\n`);
        expect(gateway.stdout()).toBe('');
      } finally {
        await taken.close();
      }

      // The failed starts created no admin: starting again with free ports creates it and shows its password.
      for (const dataDir of [controlPlaneDir, gatewayDir]) {
        const ports = await freePorts();
        const again = startDrawbridge(dataDir, ports);
        const [, password] = await again.waitForStdout(ONE_TIME_PASSWORD);
        await waitUntilServing(again, ports);
        await expectSignIn(ports, password!);
        await stop(again);
        expect(again.stderr()).toBe('');
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe('drawbridge --help', () => {
  it(
    'lists the commands and exits 0',
    async () => {
      const started = run(['--help'], {});
      expect(await exitWithin(started, START_BOUND_MS)).toEqual({ code: 0, signal: null });
      const commands = [...started.stdout().matchAll(/^ {2}([a-z]+)\b.*$/gm)].map((m) => m[1]);
      for (const command of ['start', 'login', 'org', 'env', 'project', 'component', 'member', 'help']) expect(commands).toContain(command);
      expect(started.stderr()).toBe('');
    },
    TEST_TIMEOUT_MS,
  );
});
