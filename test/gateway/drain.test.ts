/**
 * The gateway's drain time on shutdown (DRAWBRIDGE_GATEWAY_DRAIN_MS, `drainMs`):
 * requests in flight may finish for that long, then the connections still open
 * are closed. Checked by outcome (served, or cut), not by timing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { loadConfig } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';
import { api, newSigner, snapshot, startBackend, startTestGateway, type Backend, type TestGateway } from './helpers.js';

let backend: Backend | undefined;
let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  await backend?.close();
  gateway = backend = undefined;
});

/** A backend route that answers only when `release` is called. */
function heldRoute(b: Backend): { arrived: Promise<void>; release(): void } {
  let release!: () => void;
  let arrived!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const arrival = new Promise<void>((r) => {
    arrived = r;
  });
  b.routes.set('/public', (_req, res) => {
    arrived();
    void released.then(() => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('late answer');
    });
  });
  return { arrived: arrival, release };
}

describe('gateway drain time', () => {
  it('is read from DRAWBRIDGE_GATEWAY_DRAIN_MS (default 2000) and a bad value names the variable', () => {
    expect(loadConfig({}).gatewayDrainMs).toBe(2000);
    expect(loadConfig({ DRAWBRIDGE_GATEWAY_DRAIN_MS: '15000' }).gatewayDrainMs).toBe(15000);
    expect(loadConfig({ DRAWBRIDGE_GATEWAY_DRAIN_MS: '0' }).gatewayDrainMs).toBe(0);
    expect(() => loadConfig({ DRAWBRIDGE_GATEWAY_DRAIN_MS: '2s' })).toThrow(new ConfigError('DRAWBRIDGE_GATEWAY_DRAIN_MS', 'must be a whole number of milliseconds from 0 to 600000, got "2s"'));
    expect(() => loadConfig({ DRAWBRIDGE_GATEWAY_DRAIN_MS: '600001' })).toThrow(
      new ConfigError('DRAWBRIDGE_GATEWAY_DRAIN_MS', 'must be a whole number of milliseconds from 0 to 600000, got "600001"'),
    );
    expect(() => loadConfig({ DRAWBRIDGE_GATEWAY_DRAIN_MS: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { gatewayDrainMs: 1.5 })).toThrow(new ConfigError('DRAWBRIDGE_GATEWAY_DRAIN_MS', 'must be a whole number of milliseconds from 0 to 600000, got 1.5'));
  });

  it('a bad drainMs option rejects the start with the option named', async () => {
    const clock = new ManualClock();
    await expect(startTestGateway(undefined, { clock, drainMs: -5 })).rejects.toThrow(new ConfigError('drainMs', 'must be a whole number of milliseconds, 0 or more, got -5'));
  });

  it('a request in flight longer than the default 2 s still finishes when the drain time allows it', async () => {
    backend = await startBackend();
    const held = heldRoute(backend);
    const clock = new ManualClock();
    const signer = await newSigner(clock);
    gateway = await startTestGateway(snapshot([signer.jwk], [api(backend.url)]), { clock, drainMs: 60_000 });
    const answer = fetch(`${gateway.url}/acme/orders/v1/public`);
    await held.arrived;
    const closed = gateway.close();
    // Released only after the default drain time would have cut the connection.
    await new Promise((r) => setTimeout(r, 2_500));
    held.release();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('late answer');
    await closed;
  });

  it('when the drain time is over, the connections still open are closed and close() resolves before the backend answers', async () => {
    backend = await startBackend();
    const held = heldRoute(backend);
    const clock = new ManualClock();
    const signer = await newSigner(clock);
    gateway = await startTestGateway(snapshot([signer.jwk], [api(backend.url)]), { clock, drainMs: 50 });
    const answer = fetch(`${gateway.url}/acme/orders/v1/public`).then(
      (r) => r.status,
      (e: Error) => e.name,
    );
    await held.arrived;
    await gateway.close();
    expect(await answer).toBe('TypeError'); // fetch failed: the gateway closed the connection
    held.release();
  });
});
