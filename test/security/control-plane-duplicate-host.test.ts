import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../gateway/helpers.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

/** Issue 15, item 4: two Host headers are a 400 on the control plane and the token service too (RFC 9112 §3.2). */
describe('control plane and token service refuse two Host headers', () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startTestPlatform();
  });
  afterAll(async () => {
    await p?.close();
  });

  const twoHosts = (method: string, path: string, extra = '', body = '') =>
    rawRequest(p.url, `${method} ${path} HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n${extra}Connection: close\r\n\r\n${body}`);

  it('the management API answers 400 bad_request', async () => {
    const res = await twoHosts('GET', '/api/v1/orgs', `Authorization: Bearer ${p.admin.token}\r\n`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ code: 'bad_request', message: 'The request has more than one Host header' });
  });

  it('the token endpoint answers 400 invalid_request in the OAuth shape, without reading the client', async () => {
    const body = 'grant_type=client_credentials&client_id=x&client_secret=y';
    const res = await twoHosts('POST', '/oauth2/token', `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n`, body);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: 'invalid_request', error_description: 'The request has more than one Host header' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('one Host header is served as before', async () => {
    const res = await rawRequest(p.url, 'GET /healthz HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(200);
  });
});
