import type { Figures } from '../figures';
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
 * One structured log line, the request metrics and the cache figures (src/figures) per GraphQL
 * request. Metric labels and figures take only the contract's operation names (anything else is
 * `other`), so a client cannot grow the series. Without `figures`, none are recorded.
 */
export function createRequestObserver(metrics: Metrics, logger: Logger, knownOperations: ReadonlySet<string>, figures: Pick<Figures, 'record'> | null = null) {
  return function observe(r: RequestRecord): void {
    const operation = r.operation && knownOperations.has(r.operation) ? r.operation : 'other';
    metrics.requests.record(operation, r.outcome, r.cache, r.durationMs / 1000);
    figures?.record(operation, r.hospitalId, r.cache, r.ageMs, r.durationMs);
    // Statements of the requests that executed (a hit sends none, by construction).
    if (r.sql !== null && r.cache !== 'hit') metrics.sqlPerRequest.observe(r.sql);
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
