import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

/** The control plane writes one line per request, when the response is sent, with Fastify's field names. */
describe('control-plane request lines', () => {
  let p: TestPlatform;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = { write: (line: string) => { lines.push(...line.split(/(?<=\n)/)); return true; } } as unknown as NodeJS.WritableStream;
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
