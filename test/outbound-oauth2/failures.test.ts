import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/shared/logger.js';
import { closedPort, startBackend, metric, snapshot, startTestGateway, type Backend, type TestGateway } from '../gateway/helpers.js';
import { ENV, outbound, policyApi, startCountingIdp, startTokenBackend, type CountingIdp, type IdpMode, type TokenBackend } from './helpers.js';

const CLIENT = { id: 'gateway-client', secret: 'outbound-secret-7f3a9c1e5b2d4f60a8e7' };
const BAD_GATEWAY = { code: 'bad_gateway', message: 'The gateway could not obtain an access token for the backend' };

describe('outbound-oauth2: the IdP fails', () => {
  const clock = new ManualClock();
  let idp: CountingIdp;
  let backend: TokenBackend;
  let plain: Backend;
  let gw: TestGateway;
  let deadTokenUrl: string;
  const orders = () => fetch(`${gw.url}/acme/orders/v1/items`);

  beforeAll(async () => {
    idp = await startCountingIdp([CLIENT], { expiresIn: 3600 });
    backend = await startTokenBackend({ header: 'authorization', issuer: idp.issuer, jwks: idp.jwks });
    plain = await startBackend();
    deadTokenUrl = `http://127.0.0.1:${await closedPort()}/token`;
    gw = await startTestGateway(
      snapshot(
        [],
        [
          policyApi('api-orders', '/orders', backend.url, [outbound({ tokenUrl: idp.tokenUrl, clientId: CLIENT.id, clientSecret: CLIENT.secret, timeoutMs: 300 })]),
          policyApi('api-dead', '/dead', backend.url, [outbound({ tokenUrl: deadTokenUrl, clientId: CLIENT.id, clientSecret: CLIENT.secret })]),
          policyApi('api-backoff', '/backoff', backend.url, [outbound({ tokenUrl: idp.tokenUrl, clientId: CLIENT.id, clientSecret: CLIENT.secret, scope: 'backoff' })]),
          policyApi('api-plain', '/plain', plain.url, []),
        ],
      ),
      { clock },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([idp?.close(), backend?.close(), plain?.close()]);
  });

  const failsWith502 = async (mode: IdpMode, outcome: string) => {
    idp.mode = mode;
    clock.advance(120_000); // past any back-off left by the previous case
    const before = idp.count;
    const outcomeBefore = await metric(gw.url, 'drawbridge_gateway_outbound_token_requests_total', { environment: ENV, outcome });
    const res = await orders();
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await res.text();
    expect(JSON.parse(text)).toEqual(BAD_GATEWAY);
    expect(text).not.toContain(CLIENT.secret);
    expect(idp.count).toBe(before + 1);
    expect(await metric(gw.url, 'drawbridge_gateway_outbound_token_requests_total', { environment: ENV, outcome })).toBe(outcomeBefore + 1);
  };

  it('IdP answers 503 → 502 JSON', () => failsWith502('down', 'http_error'));
  it('IdP answers 401 invalid_client (echoing the secret) → 502 JSON without it', () => failsWith502('invalid-client-echo', 'http_error'));
  it('IdP answers 200 without access_token → 502 JSON', () => failsWith502('no-token', 'invalid_response'));
  it('IdP answers 200 with a non-JSON body → 502 JSON', () => failsWith502('not-json', 'invalid_response'));
  it('IdP does not answer within timeoutMs → 502 JSON', () => failsWith502('hang', 'timeout'));

  it('IdP refuses connections → 502 JSON', async () => {
    const res = await fetch(`${gw.url}/acme/dead/v1/items`);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual(BAD_GATEWAY);
    expect(await metric(gw.url, 'drawbridge_gateway_outbound_token_requests_total', { environment: ENV, outcome: 'network_error' })).toBe(1);
  });

  it('a down IdP is not hammered: failures back off exponentially (capped), then it recovers by itself', async () => {
    const orders = () => fetch(`${gw.url}/acme/backoff/v1/items`);
    idp.mode = 'down';
    clock.advance(120_000);
    const start = idp.count;
    expect((await orders()).status).toBe(502); // failure 1 → back-off 1 s
    for (let i = 0; i < 20; i++) expect((await orders()).status).toBe(502);
    expect(idp.count).toBe(start + 1);
    expect(await metric(gw.url, 'drawbridge_gateway_outbound_token_cache_total', { environment: ENV, result: 'backoff' })).toBeGreaterThanOrEqual(20);

    // other routes are unaffected meanwhile
    expect((await fetch(`${gw.url}/acme/plain/v1/items`)).status).toBe(200);

    const expected = [1, 2, 4, 8, 16, 32, 60, 60]; // seconds before each next attempt
    let count = start + 1;
    for (const seconds of expected) {
      clock.advance(seconds * 1000 - 1);
      expect((await orders()).status).toBe(502);
      expect(idp.count).toBe(count); // still backing off
      clock.advance(1);
      expect((await orders()).status).toBe(502);
      expect(idp.count).toBe(++count);
    }

    idp.mode = 'ok';
    expect((await orders()).status).toBe(502); // within the back-off: no attempt yet
    clock.advance(60_000);
    const res = await orders();
    expect(res.status).toBe(200);
    expect(idp.count).toBe(count + 1);
    expect(backend.calls.at(-1)!.token).toBe(idp.issued.at(-1));
    // recovered: cached again, back-off forgotten
    expect((await orders()).status).toBe(200);
    expect(idp.count).toBe(count + 1);
  });

  it('a failed background refresh keeps the valid token in use and tries again after the back-off', async () => {
    idp.mode = 'ok';
    clock.advance(120_000);
    expect((await orders()).status).toBe(200);
    clock.advance(2_900_000); // past 80% of 3600 s: the next request starts a refresh
    idp.mode = 'down';
    const before = idp.count;
    expect((await orders()).status).toBe(200);
    await idp.waitFor(before + 1);
    await new Promise((r) => setTimeout(r, 50));
    expect((await orders()).status).toBe(200); // back-off: old token still served, no new attempt
    expect(idp.count).toBe(before + 1);
    idp.mode = 'ok';
    clock.advance(1_000);
    expect((await orders()).status).toBe(200);
    await idp.waitFor(before + 2);
  });
});

describe('outbound-oauth2: validation', () => {
  const clock = new ManualClock();
  let gw: TestGateway;
  const base = { tokenUrl: 'https://idp.example/token', clientId: 'c', clientSecret: 's' };
  // The gateway leaves a misconfigured API out of the snapshot and logs the exact path (the rest of the snapshot loads).
  const logged: { msg: string; path?: string; reason?: string }[] = [];
  const refused = async (config: Record<string, unknown>, path: string, message: string) => {
    logged.length = 0;
    await gw.setSnapshot(snapshot([], [policyApi('api-x', '/x', 'http://127.0.0.1:9', [outbound(config)])], { version: 2 }));
    expect(gw.status().snapshot?.apis).toBe(0);
    expect(logged.filter((l) => l.msg === 'API left out of the gateway snapshot').map((l) => [l.path, l.reason])).toEqual([[path, `${path}: ${message}`]]);
  };
  const at = 'apis[0].resources[0].policies[0].config';

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(l));
        done();
      },
    });
    gw = await startTestGateway(snapshot([], []), { clock, logger: createLogger('error', sink) });
  });
  afterAll(() => gw?.close());

  it('a header the gateway owns is refused with the exact path', () => refused({ ...base, headerName: 'Host' }, `${at}.headerName`, 'header "Host" is managed by the gateway and cannot be used here'));
  it('Content-Length is refused', () => refused({ ...base, headerName: 'content-length' }, `${at}.headerName`, 'header "content-length" is managed by the gateway and cannot be used here'));
  it('a header name that is not a token is refused', () => refused({ ...base, headerName: 'X Token' }, `${at}.headerName`, '"X Token" is not a valid header name'));
  it('Cookie is refused', () => refused({ ...base, headerName: 'Cookie' }, `${at}.headerName`, 'header "Cookie" is managed by the gateway and cannot be used here'));
  it('the client secret is required', () => refused({ tokenUrl: base.tokenUrl, clientId: 'c' }, `${at}.clientSecret`, 'is required'));
  it('the token URL must be http(s)', () => refused({ ...base, tokenUrl: 'ftp://idp.example/token' }, `${at}.tokenUrl`, 'must be an absolute http(s) URL'));
  it('only the two client authentication methods exist', () => refused({ ...base, authMethod: 'private_key_jwt' }, `${at}.authMethod`, 'must be one of client_secret_basic, client_secret_post'));
  it('no grant type setting: client credentials only', () => refused({ ...base, grantType: 'password' }, `${at}.grantType`, 'is not a known setting of this policy'));
});

describe('outbound-oauth2: no two organizations share a token', () => {
  const clock = new ManualClock();
  let idp: CountingIdp;
  let backend: TokenBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    idp = await startCountingIdp([CLIENT], { expiresIn: 3600 });
    backend = await startTokenBackend({ header: 'authorization', issuer: idp.issuer, jwks: idp.jwks });
    const policy = outbound({ tokenUrl: idp.tokenUrl, clientId: CLIENT.id, clientSecret: CLIENT.secret });
    gw = await startTestGateway(snapshot([], [policyApi('api-a', '/orders', backend.url, [policy], 'org-a', 'alpha'), policyApi('api-b', '/orders', backend.url, [policy], 'org-b', 'beta')]), {
      clock,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([idp?.close(), backend?.close()]);
  });

  it('the same credentials in two organizations get two tokens', async () => {
    expect((await fetch(`${gw.url}/alpha/orders/v1/items`)).status).toBe(200);
    expect((await fetch(`${gw.url}/beta/orders/v1/items`)).status).toBe(200);
    expect((await fetch(`${gw.url}/alpha/orders/v1/items`)).status).toBe(200);
    expect(idp.count).toBe(2);
    expect(backend.calls.map((c) => c.token)).toEqual([idp.issued[0], idp.issued[1], idp.issued[0]]);
  });
});
