// Over 300 lines on purpose: each shutdown order needs the same running platform and backend fixtures.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

// Shutdown of `drawbridge start` as a child process (docs/operations.md, "Stopping"):
// on SIGTERM, requests in flight finish, a request arriving on an open keep-alive
// connection gets 503, the process exits 0 and no port is left open.

const BIN = resolve(import.meta.dirname, '../../bin/drawbridge.js');
/** Bounds only turn a hang into a failure; they measure nothing. */
const START_BOUND_MS = 60_000;
const EXIT_BOUND_MS = 15_000;
const TEST_TIMEOUT_MS = 180_000;
const BACKEND_DELAY_MS = 500;
const ADMIN_PASSWORD = 'a shutdown test password';

const children = new Set<ChildProcess>();
const dirs: string[] = [];
const servers: Server[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** True when something accepts TCP connections on the port. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** A backend that answers every request after BACKEND_DELAY_MS, and tells when a request arrived. */
async function slowBackend(): Promise<{ url: string; arrived: Promise<void>; answered: number }> {
  let arrivedOnce!: () => void;
  const arrived = new Promise<void>((done) => (arrivedOnce = done));
  const state = { url: '', arrived, answered: 0 };
  const server = createHttpServer((req, res) => {
    if (req.url?.endsWith('/slow')) arrivedOnce();
    setTimeout(
      () => {
        state.answered++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
      },
      req.url?.endsWith('/slow') ? BACKEND_DELAY_MS : 0,
    );
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return state;
}

/** One HTTP/1.1 exchange (or several pipelined) on a raw socket, so the test decides exactly when each byte is sent. */
class RawConnection {
  private data = '';
  private closed = false;
  private readonly waiters = new Set<() => void>();
  readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.data += chunk;
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => {});
  }

  private wake() {
    for (const w of this.waiters) w();
  }

  ready(): Promise<void> {
    return new Promise((done, fail) => {
      this.socket.once('connect', () => done());
      this.socket.once('error', fail);
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Waits for the `n`th complete response (Content-Length bodies), or for the connection to close. */
  responses(n: number): Promise<{ status: number; headers: Record<string, string>; body: string }[]> {
    return new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no ${n} responses within ${EXIT_BOUND_MS} ms; got:\n${this.data}`)), EXIT_BOUND_MS);
      const check = () => {
        const parsed = parseResponses(this.data);
        if (parsed.length >= n || this.closed) {
          clearTimeout(timer);
          this.waiters.delete(check);
          done(parsed);
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  whenClosed(): Promise<void> {
    return new Promise((done) => {
      if (this.closed) done();
      else this.socket.once('close', () => done());
    });
  }
}

function parseResponses(data: string): { status: number; headers: Record<string, string>; body: string }[] {
  const out: { status: number; headers: Record<string, string>; body: string }[] = [];
  let rest = data;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const status = Number(statusLine!.split(' ')[1]);
    let after = rest.slice(end + 4);
    if (headers['transfer-encoding'] === 'chunked') {
      let body = '';
      for (;;) {
        const lineEnd = after.indexOf('\r\n');
        if (lineEnd < 0) return out;
        const size = parseInt(after.slice(0, lineEnd), 16);
        if (after.length < lineEnd + 2 + size + 2) return out;
        body += after.slice(lineEnd + 2, lineEnd + 2 + size);
        after = after.slice(lineEnd + 2 + size + 2);
        if (size === 0) break;
      }
      out.push({ status, headers, body });
      rest = after;
      continue;
    }
    const length = Number(headers['content-length'] ?? 0);
    if (after.length < length) return out;
    out.push({ status, headers, body: after.slice(0, length) });
    rest = after.slice(length);
  }
}

interface Child {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDrawbridge(vars: Record<string, string>): Child {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DRAWBRIDGE_')) env[k] = v;
  const child = spawn(process.execPath, [BIN, 'start', '--dev'], { env: { ...env, ...vars }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('close', (code, signal) => {
      children.delete(child);
      done({ code, signal });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`${what}: not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + START_BOUND_MS;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${START_BOUND_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterEach(async () => {
  for (const child of children) {
    child.kill('SIGKILL');
    await new Promise((done) => child.once('close', done));
  }
  children.clear();
});

afterAll(async () => {
  for (const server of servers) await new Promise<void>((done) => server.close(() => done()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Starts `drawbridge start` and deploys a public API `GET /slow` (backend answers after 500 ms) and `GET /fast` to development. */
async function startWithSlowApi() {
  const dataDir = mkdtempSync(join(tmpdir(), 'drawbridge-shutdown-'));
  dirs.push(dataDir);
  const ports = { controlPlane: await freePort(), development: await freePort(), production: await freePort() };
  const backend = await slowBackend();
  const started = startDrawbridge({
    DRAWBRIDGE_DATA_DIR: dataDir,
    DRAWBRIDGE_PORT: String(ports.controlPlane),
    DRAWBRIDGE_HOST: '127.0.0.1',
    DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1',
    DRAWBRIDGE_GATEWAYS: `development=${ports.development},production=${ports.production}`,
    DRAWBRIDGE_LOG_LEVEL: 'warn',
    DRAWBRIDGE_ADMIN_PASSWORD: ADMIN_PASSWORD,
  });
  const cp = `http://127.0.0.1:${ports.controlPlane}`;
  await waitFor(async () => started.stdout().includes('  Gateway production') && (await fetch(`${cp}/healthz`)).status === 200, 'start');

  // Sign in, then deploy a public API in front of the slow backend.
  const login = await fetch(`${cp}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
  expect(login.status).toBe(200);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const tokenRes = await fetch(`${cp}/api/v1/me/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': ((await login.json()) as { csrfToken: string }).csrfToken },
    body: JSON.stringify({ name: 'shutdown' }),
  });
  const apiToken = ((await tokenRes.json()) as { token: string }).token;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${cp}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const org = await call('POST', '/orgs', { name: 'Shutdown Org' });
  expect(org.status).toBe(201);
  const handle = org.body.handle as string;
  expect((await call('POST', `/orgs/${handle}/projects/default/components`, { type: 'api-proxy', name: 'orders', displayName: 'Orders' })).status).toBe(201);
  const apiBase = `/orgs/${handle}/projects/default/components/orders/api`;
  const open = { security: { oauth2: false } };
  const defined = await call('PUT', apiBase, {
    contextPath: '/orders',
    version: 'v1',
    resources: [
      { method: 'GET', path: '/slow', ...open },
      { method: 'GET', path: '/fast', ...open },
    ],
    backendUrls: { development: backend.url },
  });
  expect([200, 201]).toContain(defined.status);
  expect((await call('POST', `${apiBase}/deployments`, { environment: 'development' })).status).toBe(201);
  const gw = `http://127.0.0.1:${ports.development}`;
  await waitFor(async () => (await fetch(`${gw}/${handle}/orders/v1/fast`)).status === 200, 'deployment served');

  return { started, ports, backend, cp, gw, handle, apiToken };
}

describe('drawbridge start: SIGTERM with requests in flight', () => {
  it(
    'refuses new connections on every port at once, lets a slow gateway request and a control-plane request still being uploaded finish, answers 503 to the next request on that keep-alive connection, exits 0 and leaves no port open',
    async () => {
      const { started, ports, backend, gw, handle, apiToken } = await startWithSlowApi();

      // 1. A gateway request whose backend answers 500 ms later, in flight when SIGTERM arrives.
      const slow = fetch(`${gw}/${handle}/orders/v1/slow`).then(async (res) => ({ status: res.status, body: await res.text() }));
      await within(backend.arrived, EXIT_BOUND_MS, 'slow request reached the backend');

      // 2. A control-plane request whose body is still being uploaded, on a keep-alive connection;
      //    a second request follows on the same connection once the first is answered.
      const body = JSON.stringify({ name: 'created during shutdown' });
      const upload = new RawConnection(ports.controlPlane);
      await upload.ready();
      upload.write(
        `POST /api/v1/me/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${apiToken}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
      );
      await new Promise((r) => setTimeout(r, 100));

      started.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      // New connections are refused...
      // Every listener stops accepting at once, the gateways too, though the control plane is still draining.
      for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
      // ...while the upload goes on: finish it and send the next request on the same connection.
      upload.write(body.slice(5) + `GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${apiToken}\r\n\r\n`);
      const answers = await upload.responses(2);
      expect(answers[0]!.status).toBe(201);
      expect(JSON.parse(answers[0]!.body)).toMatchObject({ name: 'created during shutdown', token: expect.stringMatching(/^dbp_/) });
      expect(answers[1]).toMatchObject({ status: 503, headers: { connection: 'close' } });
      // Fastify's own answer (return503OnClosing), not the API's {code, message} shape.
      expect(JSON.parse(answers[1]!.body)).toEqual({ error: 'Service Unavailable', message: 'Service Unavailable', statusCode: 503 });

      const slowDone = await within(slow, EXIT_BOUND_MS, 'slow gateway request');
      expect(slowDone).toEqual({ status: 200, body: JSON.stringify({ path: '/slow' }) });

      expect(await within(started.exited, EXIT_BOUND_MS, 'exit')).toEqual({ code: 0, signal: null });
      for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
      expect(started.stderr()).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'on the gateway: a request in flight on a keep-alive connection finishes with 200; the next one on that connection is still served, and the connection is closed 2 s after SIGTERM at the latest',
    async () => {
      const { started, ports, backend, handle } = await startWithSlowApi();
      const conn = new RawConnection(ports.development);
      await conn.ready();
      conn.write(`GET /${handle}/orders/v1/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      await within(backend.arrived, EXIT_BOUND_MS, 'slow request reached the backend');
      const signalled = Date.now();
      started.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
      conn.write(`GET /${handle}/orders/v1/fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      const answers = await conn.responses(2);
      expect(answers.map((a) => [a.status, a.body])).toEqual([
        [200, JSON.stringify({ path: '/slow' })],
        [200, JSON.stringify({ path: '/fast' })],
      ]);
      await within(conn.whenClosed(), EXIT_BOUND_MS, 'gateway closed the keep-alive connection');
      expect(Date.now() - signalled).toBeLessThan(2_000 + 1_000);
      expect(await within(started.exited, EXIT_BOUND_MS, 'exit')).toEqual({ code: 0, signal: null });
      for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
      expect(started.stderr()).toBe('');
    },
    TEST_TIMEOUT_MS,
  );
});
