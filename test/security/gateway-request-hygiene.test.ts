import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { api, newSigner, rawRequest, snapshot, startBackend, startTestGateway, type Backend, type Signer, type TestGateway } from '../gateway/helpers.js';

/**
 * Regression tests for the hostile-input campaign (issue 15), gateway side:
 * a bearer token in the URL query (item 3), two Host headers (item 4) and
 * the RFC 6750 bearer grammar (item 9).
 */
const BASE = '/acme/orders/v1';

describe('gateway request hygiene (issue 15)', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let backend: Backend;
  let gw: TestGateway;
  let signer: Signer;
  let token: string;

  beforeAll(async () => {
    backend = await startBackend();
    signer = await newSigner(clock);
    gw = await startTestGateway(snapshot([signer.jwk], [api(backend.url)]), { clock });
    token = await signer.sign();
  });
  afterAll(async () => {
    await gw?.close();
    await backend?.close();
  });

  const bearerError = (description: string) => ({
    status: 400,
    body: { error: 'invalid_request', error_description: description },
  });

  describe('item 3: a bearer token in the query string', () => {
    it('refuses a token sent both in Authorization and as ?access_token= (two methods, RFC 6750 §2) and forwards nothing', async () => {
      const before = backend.requests.length;
      const res = await fetch(`${gw.url}${BASE}/items?access_token=${token}&q=1`, { headers: { authorization: `Bearer ${token}` } });
      expect({ status: res.status, body: await res.json() }).toEqual(
        bearerError('Send the access token one way only: the request has both an Authorization header and an access_token query parameter'),
      );
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="drawbridge", error="invalid_request", error_description="Send the access token one way only: the request has both an Authorization header and an access_token query parameter"',
      );
      expect(backend.requests.length).toBe(before);
    });

    it('refuses a token sent only in the query on a protected resource (the query method is not accepted)', async () => {
      const res = await fetch(`${gw.url}${BASE}/items?access_token=${token}`);
      expect({ status: res.status, body: await res.json() }).toEqual(
        bearerError('Send the access token in the Authorization header ("Authorization: Bearer <token>"); the access_token query parameter is not accepted'),
      );
    });

    it('refuses an access_token whose name is percent-encoded (access%5Ftoken decodes to access_token at the backend)', async () => {
      const res = await fetch(`${gw.url}${BASE}/items?access%5Ftoken=${token}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
    });

    it('never forwards a query access_token to the backend of an open resource; the other parameters go byte for byte', async () => {
      const res = await fetch(`${gw.url}${BASE}/public?a=1&access_token=leaked&b=%7E+x&access_token=again`);
      expect(res.status).toBe(200);
      expect(backend.requests.at(-1)!.url).toBe('/public?a=1&b=%7E+x');
      const only = await fetch(`${gw.url}${BASE}/public?access_token=leaked`);
      expect(only.status).toBe(200);
      expect(backend.requests.at(-1)!.url).toBe('/public');
    });

    it('leaves parameters that only look alike alone (my_access_token, access_token_hint)', async () => {
      const res = await fetch(`${gw.url}${BASE}/items?my_access_token=1&access_token_hint=2&x=%41`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(backend.requests.at(-1)!.url).toBe('/items?my_access_token=1&access_token_hint=2&x=%41');
    });
  });

  describe('item 4: two Host headers', () => {
    it('answers 400 to a request with two Host header lines (RFC 9112 §3.2) and forwards nothing', async () => {
      const before = backend.requests.length;
      const res = await rawRequest(gw.url, `GET ${BASE}/public HTTP/1.1\r\nHost: gw.example\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ code: 'bad_request', message: 'The request has more than one Host header' });
      expect(backend.requests.length).toBe(before);
    });

    it('still serves a request with one Host header', async () => {
      const res = await rawRequest(gw.url, `GET ${BASE}/public HTTP/1.1\r\nHost: gw.example\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(200);
      expect(backend.requests.at(-1)!.headers['x-forwarded-host']).toBe('gw.example');
    });
  });

  describe('item 9: the RFC 6750 §2.1 grammar, credentials = "Bearer" 1*SP b64token', () => {
    const send = (authorization: string) => rawRequest(gw.url, `GET ${BASE}/items HTTP/1.1\r\nHost: x\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`);

    it('accepts one or more spaces after the scheme, and the scheme in any case (1*SP; RFC 9110 §11.1)', async () => {
      expect((await send(`Bearer ${token}`)).status).toBe(200);
      expect((await send(`Bearer  ${token}`)).status).toBe(200);
      expect((await send(`bEaReR ${token}`)).status).toBe(200);
    });

    it('refuses a tab instead of a space, a missing token, and anything after the token', async () => {
      for (const header of [`Bearer\t${token}`, 'Bearer', `Bearer ${token} extra`, `Bearer ${token},x`, `Bearer "${token}"`]) {
        const res = await send(header);
        expect({ header, status: res.status, error: JSON.parse(res.body).error }).toEqual({ header, status: 400, error: 'invalid_request' });
      }
    });
  });
});
