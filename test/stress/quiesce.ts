/**
 * After the load: writes have stopped; wait a little (re-warms run 1 s after a burst), then every
 * answer any process serves must equal a cold recomputation (the oracle, asked once per answer),
 * and the cold recomputation must equal the model's final state. Then the processes' metrics.
 */
import { canonical, show, withoutClockFields, type Checker } from './checker';
import { fetchText, isClean, type Client, type Endpoint } from './client';
import type { GatewayProcess } from './cluster';
import type { LoadContext } from './load';
import type { RunStats } from './report';

export async function checkQuiescence(ctx: LoadContext, oracle: Endpoint, checker: Checker, client: Client): Promise<boolean> {
  const { stats } = ctx;
  // Everything read during the run, plus every patient's own answer.
  const keys = new Set(ctx.readKeys);
  for (const p of ctx.model.known()) keys.add(`Patient\0${JSON.stringify({ id: p.id })}`);
  for (const id of ctx.model.baseline.seededPatients.keys()) keys.add(`Patient\0${JSON.stringify({ id })}`);
  let equal = true;
  for (const key of [...keys].sort()) {
    const [operation, json] = key.split('\0');
    const variables = JSON.parse(json) as Record<string, unknown>;
    const cold = await client.request(oracle, operation, variables, ctx.viewer);
    if (!isClean(cold) || cold.hit !== false) {
      equal = false;
      checker.recordErrors(cold, 'quiescence', true);
      stats.violation({
        class: 'quiescence',
        actor: 'quiescence',
        operation,
        variables,
        process: oracle.name,
        hit: cold.hit,
        cacheAgeMs: cold.ageMs,
        requestId: cold.requestId,
        what: 'the oracle did not answer a cold recomputation',
        expected: 'HTTP 200, hit=false, no errors',
        got: show({ status: cold.status, hit: cold.hit, errors: cold.errors, transport: cold.transportError }),
      });
      continue;
    }
    // The cold answer against the model's final state (no write is in flight any more).
    stats.finalStateCompared += 1;
    const final = checker.mismatches({ ...cold, startedAt: performance.now(), endedAt: performance.now() });
    if (final && final.length > 0) checker.recordMismatches(cold, 'final-state', final, 'finalState');
    const want = canonical(withoutClockFields(cold.data));
    for (const g of ctx.gateways) {
      // Twice: the first may execute and store, the second is then a hit.
      for (let round = 1; round <= 2; round++) {
        const a = await client.request(g, operation, variables, ctx.viewer);
        stats.quiescenceCompared += 1;
        const got = isClean(a) ? canonical(withoutClockFields(a.data)) : null;
        if (got !== want) {
          equal = false;
          stats.violation({
            class: 'quiescence',
            actor: 'quiescence',
            operation,
            variables,
            process: g.name,
            hit: a.hit,
            cacheAgeMs: a.ageMs,
            requestId: a.requestId,
            what: `answer ${round} differs from a cold recomputation`,
            expected: show(want),
            got: got === null ? show({ status: a.status, errors: a.errors, transport: a.transportError }) : show(got),
          });
        }
      }
    }
  }
  return equal;
}

/** Sum of a metric's samples in a Prometheus text page; null when the page does not have it. */
export function metricSum(page: string, name: string): number | null {
  let found = false;
  let sum = 0;
  for (const line of page.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) {
      found = true;
      sum += value;
    }
  }
  return found ? sum : null;
}

export const VERIFY_METRIC = 'wardcache_cache_verify_mismatches_total';

/** Adds up the verify-mismatch counters of the gateway processes. */
export async function readVerifyMetric(gateways: GatewayProcess[], stats: RunStats): Promise<void> {
  for (const g of gateways) {
    stats.verifyMetricProcesses += 1;
    const page = await fetchText(`${g.url}/metrics`);
    if (page === null) {
      stats.notes.push(`${g.name}: /metrics did not answer`);
      continue;
    }
    const n = metricSum(page, VERIFY_METRIC);
    if (n === null) continue;
    stats.verifyMetricPresent += 1;
    if (n > 0) {
      stats.violations.verifyMismatches += n;
      stats.notes.push(`${g.name}: ${VERIFY_METRIC} = ${n}`);
    }
  }
}

/** Upper bound (s) of the bucket where a cumulative histogram reaches quantile `q`. */
function bucketQuantile(buckets: Array<[number, number]>, q: number): number {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  for (const [le, count] of buckets) if (count >= q * total) return le;
  return Infinity;
}

/**
 * What a healthy Redis did under this load, per gateway: heartbeat round trips and confirmed
 * writes (`wardcache_redis_latency_seconds`, as bucket bounds), and reads past the 50 ms budget.
 * This is the measurement behind the read budget, the dead threshold and the write bound.
 */
export async function readRedisLatency(gateways: GatewayProcess[], stats: RunStats): Promise<void> {
  for (const g of gateways) {
    const page = await fetchText(`${g.url}/metrics`);
    if (page === null) continue;
    const parts: string[] = [];
    for (const kind of ['heartbeat', 'write']) {
      const buckets: Array<[number, number]> = [];
      for (const line of page.split('\n')) {
        const m = new RegExp(`^wardcache_redis_latency_seconds_bucket\\{le="([^"]+)",kind="${kind}"\\} (\\d+)`).exec(line);
        if (m) buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
      }
      const total = buckets[buckets.length - 1]?.[1] ?? 0;
      if (total === 0) continue;
      const ms = (s: number) => (Number.isFinite(s) ? `≤${s * 1000} ms` : '>5 s');
      parts.push(`${kind} n=${total} p50 ${ms(bucketQuantile(buckets, 0.5))} p99 ${ms(bucketQuantile(buckets, 0.99))} max ${ms(bucketQuantile(buckets, 1))}`);
    }
    const slow = metricSum(page, 'wardcache_redis_slow_reads_total');
    if (parts.length || slow) stats.redisLatency.push(`${g.name}: ${parts.join('; ')}; reads over the 50 ms budget: ${slow ?? 0}`);
  }
}
