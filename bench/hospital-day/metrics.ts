/**
 * The gateways' Prometheus text (/metrics, src/observability/metrics.ts), read before and after a
 * measurement. Only the counters the report needs are kept, summed over the gateways.
 */

/** Series name with its labels as written (`name{a="b"}`) → value. */
export type Samples = Map<string, number>;

/** Generous: a saturated gateway answers /metrics behind every request queued before it. */
export const SCRAPE_TIMEOUT_MS = 120_000;

export async function scrape(url: string): Promise<Samples> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${url}/metrics answered HTTP ${res.status}`);
  const out: Samples = new Map();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** Sum of the series of one metric whose labels include all of `labels` (exact `k="v"` matches). */
export function sum(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const [series, value] of samples) {
    const brace = series.indexOf('{');
    const base = brace === -1 ? series : series.slice(0, brace);
    if (base !== name) continue;
    if (want.every((w) => series.includes(w))) total += value;
  }
  return total;
}

/** What the report reads from /metrics; all cumulative counters, summed over gateways. */
export interface GatewayCounters {
  hits: number;
  misses: number;
  stores: number;
  /** Answers computed but not stored because a write landed during the miss (refused stores). */
  staleSkips: number;
  invalidations: number;
  /** SQL statements of executed GraphQL requests (misses and writes; not warms or self-checks). */
  sqlStatements: number;
  /** Executed GraphQL requests (not hits) the statement count is over. */
  sqlRequests: number;
  warmOk: number;
  warmFailed: number;
  redisSlowReads: number;
  redisErrors: number;
  verifyMismatches: number;
  /** Requests that skipped the cache because the change capture was behind its bound. */
  captureBypasses: number;
  captureLagSum: number;
  captureLagCount: number;
}

const EVENTS = 'wardcache_cache_events_total';

export function countersOf(s: Samples): GatewayCounters {
  return {
    hits: sum(s, EVENTS, { event: 'hit' }),
    misses: sum(s, EVENTS, { event: 'miss' }),
    stores: sum(s, EVENTS, { event: 'store' }),
    staleSkips: sum(s, EVENTS, { event: 'stale_skip' }),
    invalidations: sum(s, EVENTS, { event: 'invalidation' }),
    sqlStatements: sum(s, 'wardcache_sql_statements_per_request_sum'),
    sqlRequests: sum(s, 'wardcache_sql_statements_per_request_count'),
    warmOk: sum(s, 'wardcache_warm_runs_total', { outcome: 'ok' }),
    warmFailed: sum(s, 'wardcache_warm_runs_total', { outcome: 'failed' }),
    redisSlowReads: sum(s, 'wardcache_redis_slow_reads_total'),
    redisErrors: sum(s, 'wardcache_redis_errors_total'),
    verifyMismatches: sum(s, 'wardcache_cache_verify_mismatches_total'),
    captureBypasses: sum(s, EVENTS, { event: 'capture_bypass' }),
    captureLagSum: sum(s, 'wardcache_change_capture_lag_seconds_sum'),
    captureLagCount: sum(s, 'wardcache_change_capture_lag_seconds_count'),
  };
}

/** Counters of each gateway, in order. */
export async function readCounters(urls: string[]): Promise<GatewayCounters[]> {
  return Promise.all(urls.map(async (u) => countersOf(await scrape(u))));
}

/** One gateway's counters and when its answer came (ms, performance.now()); null if it never did. */
export interface Reading {
  counters: GatewayCounters | null;
  at: number;
}

/**
 * Reads each gateway, retrying for up to `patienceMs`: a saturated gateway answers /metrics late
 * or drops the connection (its HTTP server's header timeout), so the time of the answer is kept
 * and rates are taken over the interval between two answers.
 */
export async function readEach(urls: string[], patienceMs = 180_000): Promise<Reading[]> {
  const deadline = performance.now() + patienceMs;
  return Promise.all(
    urls.map(async (u) => {
      for (;;) {
        try {
          const counters = countersOf(await scrape(u));
          return { counters, at: performance.now() };
        } catch (err) {
          if (performance.now() > deadline) {
            process.stderr.write(`  /metrics of ${u} did not answer: ${err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : String(err)}\n`);
            return { counters: null, at: performance.now() };
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }),
  );
}

/** Differences summed over gateways, and the mean interval (s) they cover; null if a reading failed. */
export function between(before: Reading[], after: Reading[]): { counters: GatewayCounters; seconds: number } | null {
  if ([...before, ...after].some((r) => r.counters === null)) return null;
  const deltas = before.map((b, i) => deltaCounters(b.counters as GatewayCounters, after[i].counters as GatewayCounters));
  const seconds = before.reduce((s, b, i) => s + (after[i].at - b.at) / 1000, 0) / before.length;
  return { counters: addCounters(deltas), seconds };
}

export function addCounters(list: GatewayCounters[]): GatewayCounters {
  const total = countersOf(new Map());
  for (const c of list) for (const k of Object.keys(total) as Array<keyof GatewayCounters>) total[k] += c[k];
  return total;
}

export function deltaCounters(before: GatewayCounters, after: GatewayCounters): GatewayCounters {
  const out = countersOf(new Map());
  for (const k of Object.keys(out) as Array<keyof GatewayCounters>) out[k] = after[k] - before[k];
  return out;
}
