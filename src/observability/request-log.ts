import type { Logger } from './logger';
import type { Metrics } from './metrics';

export interface RequestRecord {
  requestId: string;
  /** The operation name the client sent, if any. */
  operation: string | null;
  hospitalId: number | null;
  cache: 'hit' | 'miss' | 'stale' | 'none';
  ageMs: number | null;
  status: number;
  /** ok, error (GraphQL errors in a 200), refused (4xx) */
  outcome: 'ok' | 'error' | 'refused';
  durationMs: number;
  sql: number | null;
}

/**
 * One structured log line and the request metrics per GraphQL request. Metric labels take only
 * the contract's operation names (anything else is `other`), so a client cannot grow the series.
 */
export function createRequestObserver(metrics: Metrics, logger: Logger, knownOperations: ReadonlySet<string>) {
  // Label children bound once per label set: prom-client hashes label objects on every call
  // otherwise, a real cost on the cache-hit path.
  const counters = new Map<string, { inc(): void }>();
  const timers = new Map<string, { observe(v: number): void }>();
  const counter = (operation: string, outcome: string, cache: string) => {
    const key = `${operation}|${outcome}|${cache}`;
    let c = counters.get(key);
    if (!c) counters.set(key, (c = metrics.requests.labels(operation, outcome, cache)));
    return c;
  };
  const timer = (operation: string, cache: string) => {
    const key = `${operation}|${cache}`;
    let h = timers.get(key);
    if (!h) timers.set(key, (h = metrics.requestDuration.labels(operation, cache)));
    return h;
  };
  return function observe(r: RequestRecord): void {
    const operation = r.operation && knownOperations.has(r.operation) ? r.operation : 'other';
    counter(operation, r.outcome, r.cache).inc();
    timer(operation, r.cache).observe(r.durationMs / 1000);
    if (r.sql !== null) metrics.sqlPerRequest.observe(r.sql);
    if (logger.isLevelEnabled('info')) {
      logger.info(
        {
          requestId: r.requestId,
          operation: r.operation,
          hospitalId: r.hospitalId,
          cache: r.cache,
          cacheAgeMs: r.ageMs,
          status: r.status,
          outcome: r.outcome,
          durationMs: Math.round(r.durationMs * 100) / 100,
          sql: r.sql,
        },
        'graphql request',
      );
    }
  };
}

export type RequestObserver = ReturnType<typeof createRequestObserver>;
