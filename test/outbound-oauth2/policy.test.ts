import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { metric, snapshot, startTestGateway, type TestGateway } from '../gateway/helpers.js';
import { ENV, outbound, policyApi, startCountingIdp, startTokenBackend, type CountingIdp, type TokenBackend } from './helpers.js';

/** Credentials with characters that must be form-urlencoded before Basic encoding (RFC 6749 §2.3.1). */
const CLIENT = { id: 'gateway client:1', secret: 'S3cr+t/with=and%-0123456789abcdef' };
const BAD_GATEWAY = { code: 'bad_gateway', message: 'The gateway could not obtain an access token for the backend' };

const config = (idp: CountingIdp, extra: Record<string, unknown> = {}) => ({ tokenUrl: idp.tokenUrl, clientId: CLIENT.id, clientSecret: CLIENT.secret, ...extra });

describe('outbound-oauth2: token injection', () => {
  const clock = new ManualClock();
  let idp: CountingIdp;
  let bearerBackend: TokenBackend;
  let customBackend: TokenBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    idp = await startCountingIdp([CLIENT], { expiresIn: 600 });
    bearerBackend = await startTokenBackend({ header: 'authorization', issuer: idp.issuer, audience: 'https://orders.example', jwks: idp.jwks });
    customBackend = await startTokenBackend({ header: 'x-backend-token', issuer: idp.issuer, audience: 'inventory', jwks: idp.jwks });
    gw = await startTestGateway(
      snapshot(
        [],
        [
          policyApi('api-orders', '/orders', bearerBackend.url, [outbound(config(idp, { scope: 'orders:read orders:write', resource: 'https://orders.example' }))]),
          policyApi('api-inventory', '/inventory', customBackend.url, [outbound(config(idp, { headerName: 'X-Backend-Token', audience: 'inventory', authMethod: 'client_secret_post' }))]),
        ],
      ),
      { clock },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([idp?.close(), bearerBackend?.close(), customBackend?.close()]);
  });

  it('the backend receives a valid token as "Authorization: Bearer <token>", obtained with client_secret_basic', async () => {
    const res = await fetch(`${gw.url}/acme/orders/v1/items`, { headers: { authorization: 'Bearer consumer-token-not-for-the-backend' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, sub: CLIENT.id, bytes: 0 });
    const call = bearerBackend.calls.at(-1)!;
    expect(call.authorization).toBe(`Bearer ${idp.issued[0]}`);
    expect(call.claims).toMatchObject({ iss: idp.issuer, aud: 'https://orders.example', client_id: CLIENT.id, scope: 'orders:read orders:write' });

    const sent = idp.requests[0]!;
    expect(sent.contentType).toBe('application/x-www-form-urlencoded');
    expect(sent.form).toEqual({ grant_type: 'client_credentials', scope: 'orders:read orders:write', resource: 'https://orders.example' });
    expect(sent.authorization).toBe(`Basic ${Buffer.from('gateway+client%3A1:S3cr%2Bt%2Fwith%3Dand%25-0123456789abcdef').toString('base64')}`);
  });

  it('another API gets the raw token in a custom header, obtained with client_secret_post', async () => {
    const before = idp.count;
    const res = await fetch(`${gw.url}/acme/inventory/v1/items`);
    expect(res.status).toBe(200);
    const call = customBackend.calls.at(-1)!;
    expect(call.header).toBe(idp.issued.at(-1));
    expect(call.authorization).toBeUndefined();
    expect(call.claims).toMatchObject({ aud: 'inventory' });
    expect(idp.count).toBe(before + 1);
    const sent = idp.requests.at(-1)!;
    expect(sent.authorization).toBeUndefined();
    expect(sent.form).toEqual({ grant_type: 'client_credentials', audience: 'inventory', client_id: CLIENT.id, client_secret: CLIENT.secret });
  });

  it('reuses the cached token: more requests, no more token requests', async () => {
    const before = idp.count;
    const hitsBefore = await metric(gw.url, 'drawbridge_gateway_outbound_token_cache_total', { environment: ENV, result: 'hit' });
    for (let i = 0; i < 5; i++) expect((await fetch(`${gw.url}/acme/orders/v1/items`)).status).toBe(200);
    expect(idp.count).toBe(before);
    expect(new Set(bearerBackend.calls.map((c) => c.token)).size).toBe(1);
    expect(await metric(gw.url, 'drawbridge_gateway_outbound_token_cache_total', { environment: ENV, result: 'hit' })).toBe(hitsBefore + 5);
    expect(await metric(gw.url, 'drawbridge_gateway_outbound_token_requests_total', { environment: ENV, outcome: 'success' })).toBe(2);
  });

  it('the token survives a snapshot swap with the same credentials; changed credentials never reuse it', async () => {
    const before = idp.count;
    const apis = (secret: string) => [
      policyApi('api-orders', '/orders', bearerBackend.url, [outbound({ ...config(idp, { scope: 'orders:read orders:write', resource: 'https://orders.example' }), clientSecret: secret })]),
    ];
    await gw.setSnapshot(snapshot([], apis(CLIENT.secret), { version: 2 }));
    expect((await fetch(`${gw.url}/acme/orders/v1/items`)).status).toBe(200);
    expect(idp.count).toBe(before);
    // Another secret for the same client: a new cache entry, so a token request (refused here: the IdP does not know that secret).
    await gw.setSnapshot(snapshot([], apis('another-secret-value'), { version: 3 }));
    const res = await fetch(`${gw.url}/acme/orders/v1/items`);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual(BAD_GATEWAY);
    expect(idp.count).toBe(before + 1);
  });
});

describe('outbound-oauth2: single flight', () => {
  const clock = new ManualClock();
  let idp: CountingIdp;
  let backend: TokenBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    idp = await startCountingIdp([CLIENT], { expiresIn: 3600 });
    backend = await startTokenBackend({ header: 'authorization', issuer: idp.issuer, jwks: idp.jwks });
    gw = await startTestGateway(snapshot([], [policyApi('api-orders', '/orders', backend.url, [outbound(config(idp))])]), { clock });
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([idp?.close(), backend?.close()]);
  });

  it('1,000 concurrent requests with a cold cache cause exactly one token request', async () => {
    idp.hold();
    const responses = Array.from({ length: 1000 }, () => fetch(`${gw.url}/acme/orders/v1/items`).then(async (r) => ({ status: r.status, body: await r.text() })));
    // Keep the IdP's answer back until every request is waiting for it.
    for (let i = 0; i < 600; i++) {
      if ((await metric(gw.url, 'drawbridge_gateway_outbound_token_cache_total', { environment: ENV, result: 'miss' })) >= 1000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await metric(gw.url, 'drawbridge_gateway_outbound_token_cache_total', { environment: ENV, result: 'miss' })).toBe(1000);
    expect(idp.count).toBe(1);
    idp.release();
    const done = await Promise.all(responses);
    expect(done.filter((r) => r.status === 200)).toHaveLength(1000);
    expect(idp.count).toBe(1);
    expect(new Set(backend.calls.map((c) => c.token))).toEqual(new Set([idp.issued[0]]));
  });
});

describe('outbound-oauth2: expiry and early refresh (controlled clock)', () => {
  const clock = new ManualClock();
  let idp: CountingIdp;
  let backend: TokenBackend;
  let gw: TestGateway;
  const call = () => fetch(`${gw.url}/acme/orders/v1/items`).then((r) => r.status);
  const lastToken = () => backend.calls.at(-1)!.token;

  beforeEach(async () => {
    idp = await startCountingIdp([CLIENT], { expiresIn: 100 });
    backend = await startTokenBackend({ header: 'authorization', issuer: idp.issuer, jwks: idp.jwks });
    gw = await startTestGateway(snapshot([], [policyApi('api-orders', '/orders', backend.url, [outbound(config(idp))])]), { clock });
  });
  afterEach(async () => {
    await gw?.close();
    await Promise.all([idp?.close(), backend?.close()]);
  });

  it('refreshes in the background at 80% of the lifetime; the request does not wait and uses the old token', async () => {
    expect(await call()).toBe(200);
    const first = idp.issued[0]!;
    clock.advance(79_000);
    expect(await call()).toBe(200);
    expect(idp.count).toBe(1);

    clock.advance(2_000); // 81 s of 100 s
    idp.hold(); // the refresh cannot finish while this request runs
    expect(await call()).toBe(200);
    expect(lastToken()).toBe(first);
    await idp.waitFor(2);
    expect(await metric(gw.url, 'drawbridge_gateway_outbound_token_refreshes_total', { environment: ENV })).toBe(1);
    // One background refresh, whatever the traffic meanwhile.
    expect(await call()).toBe(200);
    expect(lastToken()).toBe(first);
    expect(idp.count).toBe(2);

    idp.release();
    await waitUntil(async () => {
      await call();
      return lastToken() === idp.issued[1];
    });
    expect(idp.count).toBe(2);
  });

  it('an expired token is never sent: shortly before expires_in the request waits for a new token', async () => {
    idp.hold();
    const pending = call();
    await idp.waitFor(1);
    clock.advance(50_000); // the token request took 50 s: its lifetime counts from when it was asked for
    idp.release();
    expect(await pending).toBe(200);
    clock.advance(39_000); // 89 s after asking: past the refresh point but usable (margin 10 s)
    idp.hold();
    expect(await call()).toBe(200);
    expect(lastToken()).toBe(idp.issued[0]);
    await idp.waitFor(2);
    clock.advance(2_000); // 91 s: within the margin before expiry, no longer usable
    const waiting = call();
    await new Promise((r) => setTimeout(r, 100));
    expect(backend.calls).toHaveLength(2); // held back until the new token arrives
    idp.release();
    expect(await waiting).toBe(200);
    expect(lastToken()).toBe(idp.issued[1]);
    expect(idp.count).toBe(2);
  });

  it('without expires_in a token lives 3600 s', async () => {
    idp.expiresIn = undefined;
    expect(await call()).toBe(200);
    clock.advance(2_879_000); // just under 80% of 3600 s
    expect(await call()).toBe(200);
    expect(idp.count).toBe(1);
    clock.advance(2_000);
    expect(await call()).toBe(200);
    await idp.waitFor(2);
    expect(idp.count).toBe(2);
  });
});

describe('outbound-oauth2: backend 401', () => {
  const clock = new ManualClock();
  let idp: CountingIdp;
  let backend: TokenBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    idp = await startCountingIdp([CLIENT], { expiresIn: 3600 });
    backend = await startTokenBackend({ header: 'authorization', issuer: idp.issuer, jwks: idp.jwks });
    gw = await startTestGateway(snapshot([], [policyApi('api-orders', '/orders', backend.url, [outbound(config(idp))])]), { clock });
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([idp?.close(), backend?.close()]);
  });

  it('drops the refused token, gets a fresh one and sends the request once more', async () => {
    expect((await fetch(`${gw.url}/acme/orders/v1/items`)).status).toBe(200);
    const first = idp.issued[0]!;
    backend.refused.add(first);
    clock.advance(10_000);
    const res = await fetch(`${gw.url}/acme/orders/v1/items`, { method: 'POST', body: JSON.stringify({ small: true }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, sub: CLIENT.id, bytes: 14 });
    expect(idp.count).toBe(2);
    expect(backend.calls.slice(-2).map((c) => c.token)).toEqual([first, idp.issued[1]]);
    expect(await metric(gw.url, 'drawbridge_gateway_outbound_token_retries_total', { environment: ENV })).toBe(1);
    // the fresh token is the cached one from now on
    expect((await fetch(`${gw.url}/acme/orders/v1/items`)).status).toBe(200);
    expect(backend.calls.at(-1)!.token).toBe(idp.issued[1]);
    expect(idp.count).toBe(2);
  });

  it('a backend that refuses every token gets one retry per request and cannot make the gateway hammer the IdP', async () => {
    clock.advance(10_000);
    backend.refused.add(idp.issued.at(-1)!);
    const before = idp.count;
    const first = await fetch(`${gw.url}/acme/orders/v1/items`);
    expect(first.status).toBe(200); // refused token replaced once
    backend.refused.add(idp.issued.at(-1)!);
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${gw.url}/acme/orders/v1/items`);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ backend: 'refused', why: 'revoked' });
    }
    expect(idp.count).toBe(before + 1);
    backend.refused.clear();
  });

  it('a body too large to keep: the 401 goes back as it came, no retry', async () => {
    clock.advance(10_000);
    backend.refused.add(idp.issued.at(-1)!);
    const before = idp.count;
    const calls = backend.calls.length;
    const res = await fetch(`${gw.url}/acme/orders/v1/items`, { method: 'POST', body: 'x'.repeat(100 * 1024) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await res.json()).toEqual({ backend: 'refused', why: 'revoked' });
    expect(backend.calls.length).toBe(calls + 1);
    expect(idp.count).toBe(before);
    backend.refused.clear();
  });
});

async function waitUntil(check: () => Promise<boolean>, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not reached');
}
