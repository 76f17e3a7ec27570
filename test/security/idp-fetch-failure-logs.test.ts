import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

/**
 * Issue 15, item 10: expected upstream failures while fetching discovery
 * documents (too_many_redirects, body too large, timeout) were logged at
 * `error` with a stack trace. They are one `warn` line with the stable code
 * and the host; the answer stays 502 with the same body.
 */
describe('IdP fetch failures are warn lines with the code and the host', () => {
  let p: TestPlatform;
  let remote: Server;
  let host: string;
  let org: string;
  const lines: string[] = [];

  beforeAll(async () => {
    remote = createServer((req, res) => {
      if (req.url?.startsWith('/loop')) {
        res.writeHead(302, { location: `/loop${Math.random()}` });
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer: 'x', padding: 'x'.repeat(300 * 1024) }));
      }
    });
    await new Promise<void>((r) => remote.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(remote.address() as AddressInfo).port}`;
    const sink = {
      write: (line: string) => {
        lines.push(...line.split(/(?<=\n)/));
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    p = await startTestPlatform({ logger: createLogger('info', sink), env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' } });
    org = (await p.admin.post('/api/v1/orgs', { name: 'Logs' })).body.handle;
  });
  afterAll(async () => {
    await p?.close();
    await new Promise<void>((r) => {
      remote.closeAllConnections();
      remote.close(() => r());
    });
  });

  const linesAbout = () => lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.msg !== 'request completed');

  for (const [code, path, message] of [
    ['too_many_redirects', '/loop/.well-known/openid-configuration', `Discovery failed [too_many_redirects]: More than 3 redirects (starting at http://HOST)`],
    ['body_too_large', '/big/.well-known/openid-configuration', `Discovery failed [body_too_large]: The response from http://HOST is larger than 256 KiB`],
  ] as const) {
    it(`${code}: 502 as before, one warn line with code and host, nothing at error, no stack`, async () => {
      lines.length = 0;
      const res = await p.admin.post(`/api/v1/orgs/${org}/identity-providers/discover`, { wellKnownUrl: `http://${host}${path}` });
      const expected = message.replace('HOST', host);
      expect({ status: res.status, body: res.body }).toEqual({ status: 502, body: { code: 'bad_gateway', message: expected, fields: { wellKnownUrl: expected.slice(expected.indexOf(']: ') + 3) } } });
      await new Promise((r) => setImmediate(r));
      const logged = linesAbout();
      expect(logged.filter((l) => l.level >= 50)).toEqual([]);
      const warns = logged.filter((l) => l.level === 40);
      expect(warns).toHaveLength(1);
      expect(warns[0]).toMatchObject({ msg: 'identity provider fetch failed', code, host });
      expect(JSON.stringify(logged)).not.toContain('"stack"');
    });
  }

  it('a URL the admin mistyped is still a 400, with no warn line', async () => {
    lines.length = 0;
    const res = await p.admin.post(`/api/v1/orgs/${org}/identity-providers/discover`, { wellKnownUrl: 'ftp://example.com/.well-known/openid-configuration' });
    expect(res.status).toBe(400);
    await new Promise((r) => setImmediate(r));
    expect(linesAbout().filter((l) => l.level >= 40)).toEqual([]);
  });
});
