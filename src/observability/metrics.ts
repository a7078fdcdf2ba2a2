import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createRequestMetrics } from './request-metrics';

/**
 * The gateway's Prometheus metrics, one registry per gateway (two gateways in one test process
 * do not share counters). Names follow Prometheus conventions: `_total` counters, `_seconds`.
 */
export interface CacheSources {
  up(): boolean;
  entries(): Promise<number>;
}

/** The bound on database work (src/backpressure), read at scrape time. */
export interface DatabaseGateSources {
  readonly inflight: number;
  readonly queued: number;
}

/** The change capture's clock (src/capture/clock.ts), read at scrape time. */
export interface CaptureSources {
  state(): 'off' | 'up' | 'lagging' | 'down';
  appliedThrough(): number | null;
}

export function createMetrics() {
  const registry = new Registry();
  // Read at scrape time; bound once the cache exists (see bindCache).
  let sources: CacheSources = { up: () => false, entries: async () => 0 };
  let gate: DatabaseGateSources = { inflight: 0, queued: 0 };
  let capture: CaptureSources = { state: () => 'off', appliedThrough: () => null };
  collectDefaultMetrics({ register: registry, prefix: 'wardcache_process_' });
  const registers = [registry];
  return {
    registry,
    requests: createRequestMetrics(registry, [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]),
    sqlPerRequest: new Histogram({
      name: 'wardcache_sql_statements_per_request',
      help: 'SQL statements one executed GraphQL request (not a cache hit) sent to the database',
      buckets: [0, 1, 2, 3, 4, 6, 8, 12, 20, 50],
      registers,
    }),
    cacheEvents: new Counter({
      name: 'wardcache_cache_events_total',
      help: 'Response cache events: hit, miss, store, stale_skip (a write landed during the miss), invalidation, invalidated (answers removed), verify (hits checked), verify_mismatch',
      labelNames: ['event'] as const,
      registers,
    }),
    cacheEntries: new Gauge({
      name: 'wardcache_cache_entries',
      help: 'Cached answers of the hospitals this process has seen',
      registers,
      async collect() {
        this.set(await sources.entries());
      },
    }),
    cacheUp: new Gauge({
      name: 'wardcache_cache_store_up',
      help: '1 while the cache store answers, 0 while degraded (answering from the database)',
      registers,
      collect() {
        this.set(sources.up() ? 1 : 0);
      },
    }),
    bindCache(next: CacheSources) {
      sources = next;
    },
    dbInflight: new Gauge({
      name: 'wardcache_db_inflight',
      help: 'Database slots in use (DB_MAX_CONCURRENT at most): GraphQL requests executing plus background work',
      registers,
      collect() {
        this.set(gate.inflight);
      },
    }),
    dbQueueLength: new Gauge({
      name: 'wardcache_db_queue_length',
      help: 'Requests and background work waiting for a database slot (DB_QUEUE_MAX at most)',
      registers,
      collect() {
        this.set(gate.queued);
      },
    }),
    requestsShed: new Counter({
      name: 'wardcache_requests_shed_total',
      help: 'GraphQL requests refused with 503 for want of a database slot: queue_full, timeout (waited DB_QUEUE_WAIT_MS), displaced (a write took its place in the queue)',
      labelNames: ['reason'] as const,
      registers,
    }),
    bindDatabaseGate(next: DatabaseGateSources) {
      gate = next;
    },
    redisErrors: new Counter({ name: 'wardcache_redis_errors_total', help: 'Redis commands that failed, or write-side calls Redis did not confirm within the write bound', registers }),
    redisSlowReads: new Counter({
      name: 'wardcache_redis_slow_reads_total',
      help: 'Redis reads slower than the read budget (CACHE_REDIS_TIMEOUT_MS), answered from the database; not an outage',
      registers,
    }),
    redisLatency: new Histogram({
      name: 'wardcache_redis_latency_seconds',
      help: 'Redis round trips: heartbeat (TIME) replies, and write-side calls (intent, invalidation, purge) until confirmed, retries included',
      labelNames: ['kind'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    }),
    captureLag: new Histogram({
      name: 'wardcache_change_capture_lag_seconds',
      help: 'Change capture: from a committed change (its write, by the database clock) to the eviction of the answers it feeds, confirmed by the store',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2, 5, 10, 30],
      registers,
    }),
    captureBacklog: new Gauge({
      name: 'wardcache_change_capture_backlog',
      help: 'Change capture: committed changes the last read of the change log found not yet applied (this process, while it is the reader)',
      registers,
    }),
    captureAppliedAge: new Gauge({
      name: 'wardcache_change_capture_applied_age_seconds',
      help: 'Change capture: every change committed before now minus this is applied; over the bound, cached answers are not served',
      registers,
      collect() {
        const through = capture.appliedThrough();
        this.set(through === null ? -1 : (Date.now() - through) / 1000);
      },
    }),
    captureState: new Gauge({
      name: 'wardcache_change_capture_state',
      help: 'Change capture state: 1 for the current one of off, up, lagging (over the bound), down',
      labelNames: ['state'] as const,
      registers,
      collect() {
        const now = capture.state();
        for (const s of ['off', 'up', 'lagging', 'down'] as const) this.set({ state: s }, s === now ? 1 : 0);
      },
    }),
    bindCapture(next: CaptureSources) {
      capture = next;
    },
    verifyMismatches: new Counter({
      name: 'wardcache_cache_verify_mismatches_total',
      help: 'Sampled cache hits (CACHE_VERIFY_RATE) whose background recomputation differed under an unchanged fence; each was logged and evicted',
      registers,
    }),
    liveStreams: new Gauge({
      name: 'wardcache_live_streams',
      help: 'Live change streams (POST /graphql/stream) open in this process (LIVE_MAX_STREAMS at most)',
      registers,
    }),
    liveEvents: new Counter({ name: 'wardcache_live_events_sent_total', help: 'Live change events (next) written to the streams of this process', registers }),
    liveRefused: new Counter({
      name: 'wardcache_live_streams_refused_total',
      help: 'Live streams refused: limit (LIVE_MAX_STREAMS reached, 503) or unauthenticated (401)',
      labelNames: ['reason'] as const,
      registers,
    }),
    warmRuns: new Counter({
      name: 'wardcache_warm_runs_total',
      help: 'Warms of a hot answer by target and outcome (ok, failed)',
      labelNames: ['target', 'outcome'] as const,
      registers,
    }),
    warmDuration: new Histogram({
      name: 'wardcache_warm_duration_seconds',
      help: 'Time to recompute and store one hot answer',
      labelNames: ['target'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
