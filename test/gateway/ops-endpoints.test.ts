import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { ConfigError } from '../../src/shared/errors.js';
import { PRIVATE_NETWORKS } from '../../src/shared/address-list.js';
import { loadConfig } from '../../src/shared/config.js';
import { api, newSigner, snapshot, startBackend, startTestGateway, type Backend, type TestGateway } from './helpers.js';

describe('operations endpoints', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let backend: Backend;
  let open: TestGateway;
  let restricted: TestGateway;
  beforeAll(async () => {
    backend = await startBackend();
    const snap = snapshot([(await newSigner(clock)).jwk], [api(backend.url)]);
    open = await startTestGateway(snap, { clock });
    restricted = await startTestGateway(snap, { clock, metricsAllow: ['192.0.2.0/24', '2001:db8::/32'] });
  });
  afterAll(async () => {
    await open?.close();
    await restricted?.close();
    await backend?.close();
  });

  it('metrics answer scrapers on loopback and private networks by default', async () => {
    const res = await fetch(`${open.url}/_drawbridge/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE drawbridge_gateway_requests_total counter');
  });

  it('metrics are not found for a peer outside the allowed networks, while health and readiness stay public', async () => {
    const res = await fetch(`${restricted.url}/_drawbridge/metrics`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'not_found', message: 'No operations endpoint at /_drawbridge/metrics' });
    expect((await fetch(`${restricted.url}/_drawbridge/healthz`)).status).toBe(200);
    expect((await fetch(`${restricted.url}/_drawbridge/readyz`)).status).toBe(200);
  });

  it('DRAWBRIDGE_GATEWAY_METRICS_ALLOW: private networks by default, * for anyone, a bad entry named', () => {
    expect(loadConfig({}).gatewayMetricsAllow).toEqual([...PRIVATE_NETWORKS]);
    expect(loadConfig({ DRAWBRIDGE_GATEWAY_METRICS_ALLOW: '*' }).gatewayMetricsAllow).toEqual(['*']);
    expect(loadConfig({ DRAWBRIDGE_GATEWAY_METRICS_ALLOW: ' 10.1.0.0/16, ::1 ' }).gatewayMetricsAllow).toEqual(['10.1.0.0/16', '::1']);
    expect(() => loadConfig({ DRAWBRIDGE_GATEWAY_METRICS_ALLOW: '10.1.0.0/16, prometheus' })).toThrow(
      new ConfigError('DRAWBRIDGE_GATEWAY_METRICS_ALLOW[1]', 'must be an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8, fd00::/8), got "prometheus"'),
    );
    // Trusting every peer's X-Forwarded-For would make it spoofable again: no * there.
    expect(() => loadConfig({ DRAWBRIDGE_GATEWAY_TRUSTED_PROXIES: '*' })).toThrow(ConfigError);
  });
});
