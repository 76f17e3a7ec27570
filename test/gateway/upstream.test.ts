import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { api, closedPort, ENV, metric, newSigner, snapshot, startBackend, startTestGateway, type Backend, type Signer, type TestGateway } from './helpers.js';

const ANON = { security: { oauth2: false, scopes: [] }, policies: [] };

/**
 * A TCP listener that never accepts: a worker thread listens with a backlog
 * of 1 and then blocks its event loop (Atomics.wait, no CPU), so the kernel
 * completes handshakes only until the accept queue is full. The queue is then
 * filled from here; further SYNs are dropped (Linux, tcp_abort_on_overflow=0)
 * and a connect hangs until the caller's connect timeout. Deterministic on
 * loopback: `fill` checks that the last connect indeed did not complete.
 */
async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `
    const { workerData: flag, parentPort } = require('node:worker_threads');
    const server = require('node:net').createServer();
    server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      parentPort.postMessage(server.address().port);
      while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0, 100);
      server.close();
    });`,
    { eval: true, workerData: flag },
  );
  const port = await new Promise<number>((resolve) => worker.once('message', resolve));
  const held: Socket[] = [];
  let full = false;
  for (let i = 0; i < 64 && !full; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 500);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (connected) held.push(socket);
    else {
      socket.destroy();
      full = true;
    }
  }
  if (!full) throw new Error('the accept queue never filled: cannot make a connect hang on this machine');
  return {
    port,
    async close() {
      for (const s of held) s.destroy();
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await worker.terminate();
    },
  };
}

function capture() {
  const lines: string[] = [];
  const stream = {
    write: (line: string) => {
      lines.push(line);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { lines, logger: createLogger('debug', stream), parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('backend connections, timeouts and failure logs', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const log = capture();
  let backend: Backend;
  let gw: TestGateway;
  let hole: Awaited<ReturnType<typeof blackHole>>;
  let signer: Signer;

  beforeAll(async () => {
    backend = await startBackend();
    hole = await blackHole();
    signer = await newSigner(clock);
    const dead = await closedPort();
    gw = await startTestGateway(
      snapshot(
        [signer.jwk],
        [
          api(backend.url),
          api(`${backend.url}/ka`, { id: 'api-ka', contextPath: '/ka', resources: [{ method: 'GET', path: '/{n}', ...ANON }] }),
          api(`http://127.0.0.1:${dead}`, { id: 'api-dead', contextPath: '/dead', resources: [{ method: 'GET', path: '/x', ...ANON }] }),
          api(`http://127.0.0.1:${hole.port}`, { id: 'api-hole', contextPath: '/hole', limits: { connectTimeoutMs: 300 }, resources: [{ method: 'GET', path: '/x', ...ANON }] }),
        ],
      ),
      { clock, logger: log.logger },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await backend?.close();
    await hole?.close();
  });

  it('reuses the keep-alive connection to the backend for sequential requests', async () => {
    const ports: number[] = [];
    backend.routes.set('/ka/1', (req, res) => {
      ports.push(req.socket.remotePort!);
      res.end('one');
    });
    backend.routes.set('/ka/2', (req, res) => {
      ports.push(req.socket.remotePort!);
      res.end('two');
    });
    expect(await (await fetch(`${gw.url}/acme/ka/v1/1`)).text()).toBe('one');
    expect(await (await fetch(`${gw.url}/acme/ka/v1/2`)).text()).toBe('two');
    expect(ports).toHaveLength(2);
    expect(ports[1]).toBe(ports[0]);
  });

  it("a backend that never accepts the connection → 504 gateway_timeout after the API's connect timeout", async () => {
    const labels = { environment: ENV, api: '/acme/hole/v1', kind: 'timeout' };
    const before = await metric(gw.url, 'drawbridge_gateway_upstream_errors_total', labels);
    const res = await fetch(`${gw.url}/acme/hole/v1/x`);
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ code: 'gateway_timeout', message: 'The backend did not answer in time' });
    expect(await metric(gw.url, 'drawbridge_gateway_upstream_errors_total', labels)).toBe(before + 1);
    const line = log.parsed().find((l) => l.msg === 'gateway upstream failure' && l.api === '/acme/hole/v1');
    expect(line).toMatchObject({ level: 40, code: 'gateway_timeout', reqId: res.headers.get('x-request-id') });
    expect(String(line!.detail)).toMatch(/^UND_ERR_CONNECT_TIMEOUT/);
  });

  it('a refused backend is logged at warn with its detail, request ID, API and code', async () => {
    const res = await fetch(`${gw.url}/acme/dead/v1/x`, { headers: { 'x-request-id': 'refused-1' } });
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ code: 'bad_gateway', message: 'The backend refused the connection' });
    const line = log.parsed().find((l) => l.reqId === 'refused-1' && l.msg === 'gateway upstream failure');
    expect(line).toMatchObject({ level: 40, env: ENV, api: '/acme/dead/v1', code: 'bad_gateway' });
    expect(String(line!.detail)).toMatch(/^ECONNREFUSED connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    expect(Object.keys(line!).sort()).toEqual(['api', 'code', 'detail', 'env', 'level', 'msg', 'reqId', 'time']);
  });

  it('a backend that stays down does not flood the log: one failure line per API and code per second, then how many were left out', async () => {
    clock.advance(1_000);
    const failureLines = () => log.parsed().filter((l) => l.msg === 'gateway upstream failure' && l.api === '/acme/dead/v1');
    const before = failureLines().length;
    for (let i = 0; i < 5; i++) expect((await fetch(`${gw.url}/acme/dead/v1/x`, { headers: { 'x-request-id': `flood-${i}` } })).status).toBe(502);
    expect(failureLines().map((l) => l.reqId)).toEqual([
      ...failureLines()
        .slice(0, before)
        .map((l) => l.reqId),
      'flood-0',
    ]);
    clock.advance(1_000);
    expect((await fetch(`${gw.url}/acme/dead/v1/x`, { headers: { 'x-request-id': 'flood-after' } })).status).toBe(502);
    expect(failureLines().at(-1)).toMatchObject({ reqId: 'flood-after', code: 'bad_gateway', suppressed: 4 });
    // Every request still has its access line (written when the response has closed, batched per loop turn).
    const accessLines = () => log.parsed().filter((l) => l.msg === 'request' && String(l.reqId).startsWith('flood-'));
    for (let i = 0; i < 100 && accessLines().length < 6; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log.parsed().filter((l) => l.msg === 'request' && String(l.reqId).startsWith('flood-'))).toHaveLength(6);
  });

  it("token refusals are logged at debug with the verifier's reason; no line carries a token or headers", async () => {
    const valid = await signer.sign();
    const expired = await signer.sign({ exp: Math.floor(clock.now() / 1000) - 60 });
    const forged = valid.slice(0, -4) + (valid.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const call = (token: string, id: string) => fetch(`${gw.url}/acme/orders/v1/items`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': id, 'x-secret-header': 'hush' } });
    expect((await call(valid, 'tok-ok')).status).toBe(200);
    expect((await call(expired, 'tok-expired')).status).toBe(401);
    expect((await call(forged, 'tok-forged')).status).toBe(401);
    const elsewhere = await signer.sign({ aud: 'urn:drawbridge:org-other:development' });
    expect((await call(elsewhere, 'tok-aud')).status).toBe(401);
    const weak = await signer.sign({ scope: 'other' });
    expect((await call(weak, 'tok-scope')).status).toBe(403);
    const lines = log.parsed();
    expect(lines.find((l) => l.reqId === 'tok-expired' && l.msg === 'gateway token refused')).toMatchObject({
      level: 20,
      env: ENV,
      api: '/acme/orders/v1',
      code: 'invalid_token',
      reason: 'The access token is not valid: the token has expired',
    });
    expect(lines.find((l) => l.reqId === 'tok-aud' && l.msg === 'gateway token refused')).toMatchObject({ level: 20, code: 'invalid_token', detail: 'aud urn:drawbridge:org-other:development' });
    expect(lines.find((l) => l.reqId === 'tok-forged' && l.msg === 'gateway token refused')).toMatchObject({ level: 20, code: 'invalid_token' });
    expect(lines.find((l) => l.reqId === 'tok-scope' && l.msg === 'gateway token refused')).toMatchObject({ level: 20, code: 'insufficient_scope' });
    expect(lines.find((l) => l.reqId === 'tok-ok' && l.msg !== 'request')).toBeUndefined();
    for (const text of log.lines) {
      for (const token of [valid, expired, forged, elsewhere, weak]) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(token.split('.')[2]!);
      }
      expect(text).not.toContain('hush');
      expect(text.toLowerCase()).not.toContain('bearer');
    }
  });

  it('at the default info level, token refusals write no extra line', async () => {
    const quiet = capture();
    const info = createLogger('info', {
      write: (l: string) => {
        quiet.lines.push(l);
        return true;
      },
    } as unknown as NodeJS.WritableStream);
    const other = await startTestGateway(snapshot([signer.jwk], [api(backend.url)]), { clock, logger: info });
    try {
      const expired = await signer.sign({ exp: Math.floor(clock.now() / 1000) - 60 });
      expect((await fetch(`${other.url}/acme/orders/v1/items`, { headers: { authorization: `Bearer ${expired}` } })).status).toBe(401);
      await new Promise((r) => setTimeout(r, 20));
      expect(quiet.lines.map((l) => JSON.parse(l).msg).filter((m) => m !== 'gateway snapshot loaded')).toEqual(['request']);
    } finally {
      await other.close();
    }
  });
});
