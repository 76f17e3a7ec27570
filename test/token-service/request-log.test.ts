import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.js';
import { basic, FORM, newConsumer, postForm, startTestPlatform, type TestPlatform } from './fixture.js';

/** The control plane's request log lines (Fastify's, through the platform logger) must never carry a query string. */
describe('request log', () => {
  let p: TestPlatform;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = {
      write: (chunk: string) => {
        lines.push(...chunk.split(/(?<=\n)/));
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    p = await startTestPlatform({ logger: createLogger('info', sink) });
  });
  afterAll(() => p.close());

  it('a secret sent in the query string is refused and never written to the log', async () => {
    const c = await newConsumer(p);
    const secret = c.clientSecret;
    const res = await postForm(p, `/oauth2/token?client_id=${c.clientId}&client_secret=${secret}`, 'grant_type=client_credentials', { ...FORM });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect((await postForm(p, `/oauth2/token?x=${secret}`, 'grant_type=client_credentials', { ...FORM, authorization: basic(c.clientId, secret) })).status).toBe(400);
    await new Promise((resolve) => setImmediate(resolve)); // request lines are written once per loop turn
    const logged = lines.join('');
    const incoming = lines.map((l) => JSON.parse(l) as { msg?: string; req?: { url?: string } }).filter((l) => l.req?.url?.startsWith('/oauth2/token'));
    expect(incoming.length).toBeGreaterThan(0);
    expect(incoming.every((l) => l.req!.url === '/oauth2/token')).toBe(true);
    expect(logged).not.toContain(secret);
  });
});
