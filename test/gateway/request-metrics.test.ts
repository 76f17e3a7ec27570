import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { GatewayMetrics } from '../../src/gateway/metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const series = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('drawbridge_gateway_request'))
    .sort();

describe('request metrics', () => {
  it('expose exactly what prom-client would for the same requests', async () => {
    const metrics = new GatewayMetrics('development');
    const reference = new Registry();
    const count = new Counter({ name: 'drawbridge_gateway_requests_total', help: 'x', labelNames: ['environment', 'api', 'status'], registers: [reference] });
    const duration = new Histogram({ name: 'drawbridge_gateway_request_duration_seconds', help: 'x', labelNames: ['environment', 'api'], buckets: BUCKETS, registers: [reference] });
    const requests: [string, number, number][] = [
      ['/acme/orders/v1', 200, 0.0004],
      ['/acme/orders/v1', 200, 0.0005],
      ['/acme/orders/v1', 404, 0.003],
      ['/acme/"quoted"/v1', 502, 31],
      ['none', 404, 0.00001],
      ['/acme/orders/v1', 200, 2.5],
    ];
    for (const [api, status, seconds] of requests) {
      metrics.requests.record(api, status, seconds);
      count.inc({ environment: 'development', api, status });
      duration.observe({ environment: 'development', api }, seconds);
    }
    const ours = series(await metrics.registry.metrics());
    expect(ours).toEqual(series(await reference.metrics()));
    expect(ours).toContain('drawbridge_gateway_requests_total{environment="development",api="/acme/orders/v1",status="200"} 3');
    expect(ours).toContain('drawbridge_gateway_request_duration_seconds_bucket{le="0.0005",environment="development",api="/acme/orders/v1"} 2');
    expect(ours).toContain('drawbridge_gateway_request_duration_seconds_count{environment="development",api="/acme/orders/v1"} 4');
    const text = await metrics.registry.metrics();
    expect(text).toContain('# TYPE drawbridge_gateway_requests_total counter');
    expect(text).toContain('# TYPE drawbridge_gateway_request_duration_seconds histogram');
  });

  it('start again from zero when the registry is reset', async () => {
    const metrics = new GatewayMetrics('production');
    metrics.requests.record('/a/b/v1', 200, 0.01);
    metrics.registry.resetMetrics();
    expect(series(await metrics.registry.metrics())).toEqual([]);
  });
});
