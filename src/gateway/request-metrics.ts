import type { Registry } from 'prom-client';

/**
 * The per-request series (`drawbridge_gateway_requests_total` and
 * `drawbridge_gateway_request_duration_seconds`) kept as plain numbers and
 * turned into Prometheus values only when scraped. prom-client's own
 * `observe`/`inc` hash the label set on every call, even through cached
 * `labels()` children; here a request costs one map lookup and a few additions.
 */

interface ApiSeries {
  statuses: Map<number, number>;
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** The part of prom-client's metric contract a `Registry` uses (`get`, `reset`, name, help, type). */
abstract class CollectedMetric {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly source: RequestSeries,
  ) {}
  protected abstract values(): MetricValue[];
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() };
  }
  reset(): void {
    this.source.reset();
  }
}

class RequestsTotal extends CollectedMetric {
  readonly type = 'counter';
  protected values(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const [api, s] of this.source.apis) {
      for (const [status, n] of s.statuses) out.push({ labels: { environment: this.source.environment, api, status }, value: n });
    }
    return out;
  }
}

class RequestDuration extends CollectedMetric {
  readonly type = 'histogram';
  protected values(): MetricValue[] {
    const out: MetricValue[] = [];
    const bounds = this.source.bounds;
    for (const [api, s] of this.source.apis) {
      const labels = { environment: this.source.environment, api };
      let cumulative = 0;
      for (let i = 0; i <= bounds.length; i++) {
        cumulative += s.buckets[i]!;
        out.push({ labels: { le: i < bounds.length ? bounds[i]! : '+Inf', ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      out.push({ labels, value: s.sum, metricName: `${this.name}_sum` });
      out.push({ labels, value: s.count, metricName: `${this.name}_count` });
    }
    return out;
  }
}

/** Requests by API base path and status, and their durations, for one listener. */
export class RequestSeries {
  readonly apis = new Map<string, ApiSeries>();

  constructor(
    readonly environment: string,
    readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(new RequestsTotal('drawbridge_gateway_requests_total', 'Requests answered, by API base path and status', this) as never);
    registry.registerMetric(new RequestDuration('drawbridge_gateway_request_duration_seconds', 'Time from request to the end of the response', this) as never);
  }

  record(api: string, status: number, seconds: number): void {
    let s = this.apis.get(api);
    if (s === undefined) {
      // API base paths come from snapshots; bound the map anyway, as label sets must be.
      if (this.apis.size >= 10_000) this.apis.clear();
      s = { statuses: new Map(), buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.apis.set(api, s);
    }
    s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    s.buckets[i] = s.buckets[i]! + 1;
    s.sum += seconds;
    s.count++;
  }

  reset(): void {
    this.apis.clear();
  }
}
