import type { Registry } from 'prom-client';

type Value = { labels: Record<string, string>; value: number; metricName?: string };

/**
 * Request counters and latency histograms kept as plain numbers per label set, exposed to
 * prom-client only when Prometheus scrapes. prom-client's own Counter/Histogram validate and
 * hash their labels on every call, which is a measurable share of a cache hit.
 */
export function createRequestMetrics(registry: Registry, buckets: readonly number[]) {
  const series = new Map<string, { labels: { operation: string; outcome: string; cache: string }; count: number; sum: number; buckets: number[] }>();

  function record(operation: string, outcome: string, cache: string, seconds: number): void {
    const key = `${operation}|${outcome}|${cache}`;
    let s = series.get(key);
    if (!s) series.set(key, (s = { labels: { operation, outcome, cache }, count: 0, sum: 0, buckets: buckets.map(() => 0) }));
    s.count += 1;
    s.sum += seconds;
    for (let i = 0; i < buckets.length; i++) if (seconds <= buckets[i]) s.buckets[i] += 1;
  }

  registry.registerMetric({
    name: 'wardcache_requests_total',
    get: async () => ({
      name: 'wardcache_requests_total',
      help: 'GraphQL requests by operation, outcome (ok, error, refused) and cache (hit, miss, stale, none)',
      type: 'counter',
      aggregator: 'sum',
      values: [...series.values()].map((s): Value => ({ labels: s.labels, value: s.count })),
    }),
    reset: () => series.clear(),
  } as unknown as Parameters<Registry['registerMetric']>[0]); // a duck-typed metric: prom-client reads get() only

  registry.registerMetric({
    name: 'wardcache_request_duration_seconds',
    get: async () => {
      const values: Value[] = [];
      for (const s of series.values()) {
        buckets.forEach((le, i) => values.push({ metricName: 'wardcache_request_duration_seconds_bucket', labels: { ...s.labels, le: String(le) }, value: s.buckets[i] }));
        values.push({ metricName: 'wardcache_request_duration_seconds_bucket', labels: { ...s.labels, le: '+Inf' }, value: s.count });
        values.push({ metricName: 'wardcache_request_duration_seconds_sum', labels: s.labels, value: s.sum });
        values.push({ metricName: 'wardcache_request_duration_seconds_count', labels: s.labels, value: s.count });
      }
      return { name: 'wardcache_request_duration_seconds', help: 'GraphQL request latency by operation, outcome and cache', type: 'histogram', aggregator: 'sum', values };
    },
    reset: () => series.clear(),
  } as unknown as Parameters<Registry['registerMetric']>[0]);

  return { record };
}
