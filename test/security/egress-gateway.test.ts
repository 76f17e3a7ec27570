import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { EgressPolicy } from '../../src/shared/egress.js';
import { api, metric, newSigner, snapshot, startBackend, startTestGateway, type Backend, type Signer, type TestGateway } from '../gateway/helpers.js';
import { outbound, policyApi } from '../outbound-oauth2/helpers.js';

/**
 * Issue 15, item 1, at the gateway: every new backend or token-endpoint
 * connection is checked against the egress policy (whatever the deploy-time
 * check saw), with a 502 and a stable code when it is refused, and once per
 * connection, not per request.
 */

/** The policy, counting how many addresses it judged (to show checks happen per connection). */
class CountingPolicy extends EgressPolicy {
  checks = 0;
  override checkAddress(address: string, port: number, host?: string) {
    this.checks++;
    return super.checkAddress(address, port, host);
  }
}

describe('gateway: the egress policy at connect time', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let backend: Backend;
  let signer: Signer;
  let strict: TestGateway;
  let allowing: TestGateway;
  const strictPolicy = new CountingPolicy({ mode: 'production' });
  const allowingPolicy = new CountingPolicy({ mode: 'production', allow: ['loopback'] });

  beforeAll(async () => {
    backend = await startBackend();
    signer = await newSigner(clock);
    const port = new URL(backend.url).port;
    const apis = [
      api(backend.url),
      { ...api(`http://localhost:${port}`), id: 'api-by-name', contextPath: '/named' },
      policyApi('api-token', '/tokened', 'https://orders.example.com', [outbound({ tokenUrl: 'http://169.254.169.254/latest/meta-data/', clientId: 'gw', clientSecret: 's' })], 'org-acme'),
    ];
    const snap = snapshot([signer.jwk], apis, { subscriptions: { 'app-1': ['api-orders', 'api-by-name', 'api-token'] } });
    strict = await startTestGateway(snap, { clock, egress: strictPolicy });
    allowing = await startTestGateway(snap, { clock, egress: allowingPolicy });
  });
  afterAll(async () => {
    await strict?.close();
    await allowing?.close();
    await backend?.close();
  });

  it('answers 502 egress_denied for a loopback backend (IP literal), without reaching it', async () => {
    const before = backend.requests.length;
    const res = await fetch(`${strict.url}/acme/orders/v1/public`);
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 502,
      body: { code: 'egress_denied', message: "The backend's address is not allowed by this installation's egress policy" },
    });
    expect(backend.requests.length).toBe(before);
    expect(await metric(strict.url, 'drawbridge_gateway_upstream_errors_total', { api: '/acme/orders/v1', kind: 'denied' })).toBe(1);
  });

  it('checks the addresses a backend host name resolves to (localhost), not the name', async () => {
    const res = await fetch(`${strict.url}/acme/named/v1/public`);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { code: string }).code).toBe('egress_denied');
  });

  it('answers 502 egress_denied when an outbound-oauth2 token URL is on the metadata address', async () => {
    const res = await fetch(`${strict.url}/acme/tokened/v1/items`);
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 502,
      body: { code: 'egress_denied', message: "The address of the backend's token endpoint is not allowed by this installation's egress policy" },
    });
    // During the token endpoint's back-off the answer stays the same.
    const again = await fetch(`${strict.url}/acme/tokened/v1/items`);
    expect(((await again.json()) as { code: string }).code).toBe('egress_denied');
  });

  it('serves what the policy allows, and judges each connection once, not each request', async () => {
    const checksBefore = allowingPolicy.checks;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${allowing.url}/acme/orders/v1/public`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    // Five sequential requests on one kept-alive backend connection: one check.
    expect(allowingPolicy.checks - checksBefore).toBe(1);
    const named = await fetch(`${allowing.url}/acme/named/v1/public`);
    expect(named.status).toBe(200);
  });
});
