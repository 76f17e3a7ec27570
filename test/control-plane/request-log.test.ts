import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

/** The control plane writes one line per request, when the response is sent, with Fastify's field names. */
describe('control-plane request lines', () => {
  let p: TestPlatform;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = {
      write: (line: string) => {
        lines.push(...line.split(/(?<=\n)/));
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    p = await startTestPlatform({ logger: createLogger('info', sink) });
  });
  afterAll(() => p.close());

  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, any>);

  it('one "request completed" line per request, with the request, the status and the time taken, and no query or headers', async () => {
    lines.length = 0;
    const res = await fetch(`${p.url}/healthz?token=abc`, { headers: { authorization: 'Bearer should-not-appear', cookie: 'drawbridge_session=nope' } });
    expect(res.status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    const requestLines = parsed().filter((l) => l.req?.url === '/healthz');
    expect(requestLines).toHaveLength(1);
    const [line] = requestLines;
    expect(Object.keys(line!).sort()).toEqual(['level', 'msg', 'req', 'reqId', 'res', 'responseTime', 'time']);
    expect(line).toMatchObject({ level: 30, msg: 'request completed', res: { statusCode: 200 }, req: { method: 'GET', url: '/healthz', remoteAddress: '127.0.0.1' } });
    expect(Object.keys(line!.req).sort()).toEqual(['host', 'method', 'remoteAddress', 'remotePort', 'url']);
    expect(line!.reqId).toMatch(/^req-/);
    expect(typeof line!.responseTime).toBe('number');
    expect(lines.join('')).not.toContain('should-not-appear');
    expect(lines.join('')).not.toContain('token=abc');
    expect(parsed().some((l) => l.msg === 'incoming request')).toBe(false);
  });

  it('other lines of the same request carry the same request ID', async () => {
    lines.length = 0;
    const res = await fetch(`${p.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    expect(res.status).toBe(401);
    await new Promise((resolve) => setImmediate(resolve));
    const refused = parsed().find((l) => l.msg === 'oauth request refused');
    const completed = parsed().find((l) => l.msg === 'request completed');
    expect(refused?.reqId).toBeDefined();
    expect(completed).toMatchObject({ reqId: refused!.reqId, res: { statusCode: 401 }, req: { method: 'POST', url: '/oauth2/token' } });
  });
});

describe('control-plane request lines around errors and aborts', () => {
  async function server() {
    const { default: Fastify } = await import('fastify');
    const { RequestLineController, registerRequestLog } = await import('../../src/control-plane/request-log.js');
    const { requestChildLogger } = await import('../../src/shared/logger.js');
    const lines: string[] = [];
    const logger = createLogger('info', {
      write: (l: string) => {
        lines.push(...l.split(/(?<=\n)/));
        return true;
      },
    } as unknown as NodeJS.WritableStream);
    const app = Fastify({ loggerInstance: logger, logController: new RequestLineController(), childLoggerFactory: (l, b, o) => requestChildLogger(l as never, b, o as never) as never });
    registerRequestLog(app as never, logger);
    app.get('/boom', async () => {
      throw new Error('database on fire');
    });
    app.post('/slow', async () => 'done');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as import('node:net').AddressInfo;
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    return { app, port, settle, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
  }

  it('a 5xx is still logged as an error by Fastify, beside the request line', async () => {
    const s = await server();
    try {
      expect((await fetch(`http://127.0.0.1:${s.port}/boom`)).status).toBe(500);
      await s.settle();
      const lines = s.parsed();
      const error = lines.find((l) => l.level === 50);
      expect(error?.err?.message).toBe('database on fire');
      expect(lines.filter((l) => l.msg === 'request completed')).toEqual([expect.objectContaining({ reqId: error!.reqId, res: { statusCode: 500 } })]);
    } finally {
      await s.app.close();
    }
  });

  it('an unknown route gets its request line and no "Route … not found" line with the raw URL', async () => {
    const s = await server();
    try {
      expect((await fetch(`http://127.0.0.1:${s.port}/nope?api_key=k-123`)).status).toBe(404);
      await s.settle();
      expect(
        s
          .parsed()
          .filter((l) => !String(l.msg).startsWith('Server listening'))
          .map((l) => [l.msg, l.req?.url, l.res?.statusCode]),
      ).toEqual([['request completed', '/nope', 404]]);
    } finally {
      await s.app.close();
    }
  });

  it('a client that leaves before its request is complete gets a line with status 499 and aborted: true', async () => {
    const s = await server();
    try {
      const { connect } = await import('node:net');
      const socket = connect(s.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\npart');
      await s.settle();
      socket.destroy();
      await s.settle();
      await s.settle();
      const lines = s.parsed().filter((l) => l.msg === 'request completed');
      expect(lines).toEqual([expect.objectContaining({ req: expect.objectContaining({ method: 'POST', url: '/slow' }), res: { statusCode: 499 }, aborted: true })]);
      expect(lines[0]).not.toHaveProperty('responseTime');
    } finally {
      await s.app.close();
    }
  });
});
