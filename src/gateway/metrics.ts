import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per gateway listener, so several environments can run in one process. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'environment' | 'api' | 'status'>;
  readonly duration: Histogram<'environment' | 'api'>;
  readonly upstreamErrors: Counter<'environment' | 'api' | 'kind'>;
  readonly tokenCache: Counter<'environment' | 'result'>;
  readonly tokenVerifications: Counter<'environment' | 'kind' | 'outcome'>;
  readonly snapshotVersion: Gauge<'environment'>;
  readonly retries: Counter<'environment' | 'api'>;

  constructor(readonly environment: string) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'drawbridge_gateway_requests_total', help: 'Requests answered, by API base path and status', labelNames: ['environment', 'api', 'status'], registers });
    this.duration = new Histogram({
      name: 'drawbridge_gateway_request_duration_seconds', help: 'Time from request to the end of the response',
      labelNames: ['environment', 'api'], registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.upstreamErrors = new Counter({ name: 'drawbridge_gateway_upstream_errors_total', help: 'Backend failures: timeout, refused, reset', labelNames: ['environment', 'api', 'kind'], registers });
    this.tokenCache = new Counter({ name: 'drawbridge_gateway_token_cache_total', help: 'Token verification cache lookups', labelNames: ['environment', 'result'], registers });
    this.tokenVerifications = new Counter({ name: 'drawbridge_gateway_token_verifications_total', help: 'Token signature verifications performed (cache misses)', labelNames: ['environment', 'kind', 'outcome'], registers });
    this.snapshotVersion = new Gauge({ name: 'drawbridge_gateway_snapshot_version', help: 'Version of the snapshot being served', labelNames: ['environment'], registers });
    this.retries = new Counter({ name: 'drawbridge_gateway_backend_retries_total', help: 'Requests sent again after a backend 401 at a policy\'s request', labelNames: ['environment', 'api'], registers });
  }
}
