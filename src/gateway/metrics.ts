import { Counter, Gauge, Registry } from 'prom-client';
import { RequestSeries } from './request-metrics.js';

/** Key under which a listener's `GatewayMetrics` is found through `PolicyDeps.shared`, so policies can count into the listener's registry. */
export const GATEWAY_METRICS_KEY = 'gateway:metrics';

/** One registry per gateway listener, so several environments can run in one process. */
export class GatewayMetrics {
  readonly registry = new Registry();
  /** `drawbridge_gateway_requests_total` and `drawbridge_gateway_request_duration_seconds`. */
  readonly requests: RequestSeries;
  readonly upstreamErrors: Counter<'environment' | 'api' | 'kind'>;
  readonly tokenCache: Counter<'environment' | 'result'>;
  readonly tokenVerifications: Counter<'environment' | 'kind' | 'outcome'>;
  readonly snapshotVersion: Gauge<'environment'>;
  readonly retries: Counter<'environment' | 'api'>;
  readonly cacheHit: { inc(): void };
  readonly cacheMiss: { inc(): void };
  /** Outbound OAuth2 (policy `outbound-oauth2`): token requests to backends' IdPs, cache use, background refreshes, retries after a backend 401. */
  readonly outboundTokenRequests: Counter<'environment' | 'outcome'>;
  readonly outboundTokenCache: Counter<'environment' | 'result'>;
  readonly outboundTokenRefreshes: Counter<'environment'>;
  readonly outboundTokenRetries: Counter<'environment'>;

  constructor(readonly environment: string) {
    const registers = [this.registry];
    this.requests = new RequestSeries(environment, [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], this.registry);
    this.upstreamErrors = new Counter({ name: 'drawbridge_gateway_upstream_errors_total', help: 'Backend failures: timeout, refused, reset', labelNames: ['environment', 'api', 'kind'], registers });
    this.tokenCache = new Counter({ name: 'drawbridge_gateway_token_cache_total', help: 'Token verification cache lookups', labelNames: ['environment', 'result'], registers });
    this.tokenVerifications = new Counter({
      name: 'drawbridge_gateway_token_verifications_total',
      help: 'Token signature verifications performed (cache misses)',
      labelNames: ['environment', 'kind', 'outcome'],
      registers,
    });
    this.cacheHit = this.tokenCache.labels({ environment, result: 'hit' });
    this.cacheMiss = this.tokenCache.labels({ environment, result: 'miss' });
    this.snapshotVersion = new Gauge({ name: 'drawbridge_gateway_snapshot_version', help: 'Version of the snapshot being served', labelNames: ['environment'], registers });
    this.retries = new Counter({
      name: 'drawbridge_gateway_backend_retries_total',
      help: "Requests sent again after a backend 401 at a policy's request",
      labelNames: ['environment', 'api'],
      registers,
    });
    this.outboundTokenRequests = new Counter({
      name: 'drawbridge_gateway_outbound_token_requests_total',
      help: "Outbound OAuth2 token requests to backends' IdPs, by outcome",
      labelNames: ['environment', 'outcome'],
      registers,
    });
    this.outboundTokenCache = new Counter({
      name: 'drawbridge_gateway_outbound_token_cache_total',
      help: 'Outbound OAuth2 token lookups: hit, miss (waited for a token request), backoff (refused during an IdP back-off)',
      labelNames: ['environment', 'result'],
      registers,
    });
    this.outboundTokenRefreshes = new Counter({
      name: 'drawbridge_gateway_outbound_token_refreshes_total',
      help: 'Outbound OAuth2 background refreshes started ahead of expiry',
      labelNames: ['environment'],
      registers,
    });
    this.outboundTokenRetries = new Counter({
      name: 'drawbridge_gateway_outbound_token_retries_total',
      help: 'Requests sent again with a fresh outbound token after a backend 401',
      labelNames: ['environment'],
      registers,
    });
  }
}
