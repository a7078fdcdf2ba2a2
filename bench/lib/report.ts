import type { Measured } from './hits';
import { cpuPerResponse, cpuSummary } from './hits';
import type { InvalidationCase } from './invalidation';

/** A latency distribution's tail, in ms. */
export interface Stall {
  p99: number;
  max: number;
}

export interface HitRow {
  op: string;
  store: 'memory' | 'redis';
  answerBytes: number;
  gateway: Measured;
  /** Requests under hit load that reached the database (must be 0). */
  gatewayMisses: number;
  /** The gateway's event-loop delay during the measurement. */
  loopDelay: Stall;
  /** Redis store only: the bare server's GET times under the same load (one ioredis connection, like the store). */
  redisGet?: Stall;
  bare: Measured;
  /** The bare server with the verified-token cache off: jose's HMAC check on every request. */
  bareUncached?: Measured;
  /** The same gateway with CACHE_VERIFY_RATE=0: the cost of the self-check at its default rate. */
  gatewayNoVerify?: Measured;
  /** Hits the gateway checked in the background during the measurement. */
  verifications?: number;
}

export interface MissRow {
  op: string;
  store: 'memory' | 'redis';
  samples: number[];
  sqlPerMiss: number[];
}

export interface Report {
  header: string[];
  hits: HitRow[];
  misses: MissRow[];
  invalidation: InvalidationCase[];
}

export const TARGET_RATIO = 0.6;
export const TARGET_P99_MS = 5;

const f = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
const loadShare = (m: Measured) => m.cpu.processes[1] / m.cpu.wallS;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/** One markdown table: hits against the bare baseline, then misses, then invalidation. */
export function renderReport(r: Report): string {
  const rows: string[][] = [];
  for (const h of r.hits) {
    const ratio = h.gateway.rps / h.bare.rps;
    const cpuRatio = cpuPerResponse(h.bare) / cpuPerResponse(h.gateway);
    const failed = h.gateway.non2xx + h.gateway.errors + h.gatewayMisses;
    const verdict = `${ratio >= TARGET_RATIO ? '✓' : '✗'} ratio, ${h.gateway.p99 < TARGET_P99_MS ? '✓' : '✗'} p99`;
    const notes = [`gateway ${cpuSummary(h.gateway)}; bare ${cpuSummary(h.bare)}`];
    // A saturated load generator caps both servers alike: req/s then compares autocannon with itself.
    if (loadShare(h.gateway) > 0.95 || loadShare(h.bare) > 0.95) notes.push('**load generator saturated: compare CPU per hit, not req/s**');
    notes.push(`gateway event-loop delay p99 ${f(h.loopDelay.p99)} ms, max ${f(h.loopDelay.max)} ms`);
    if (h.redisGet) notes.push(`bare's Redis GET p99 ${f(h.redisGet.p99)} ms, max ${f(h.redisGet.max)} ms`);
    if (failed > 0) notes.push(`**${failed} requests not answered as hits** (the store gave up on Redis: see the log)`);
    if (h.bareUncached) notes.push(`bare with jose on every request: ${int(h.bareUncached.rps)} req/s, p99 ${f(h.bareUncached.p99)} ms`);
    if (h.gatewayNoVerify) {
      const nv = h.gatewayNoVerify;
      notes.push(
        `self-check at the default rate (${h.verifications ?? 0} hits recomputed): gateway with it off ${int(nv.rps)} req/s, p99 ${f(nv.p99)} ms, ${int(cpuPerResponse(nv))} µs/hit → with it on ${((h.gateway.rps / nv.rps) * 100).toFixed(0)}% of the req/s, ${((cpuPerResponse(h.gateway) / cpuPerResponse(nv)) * 100).toFixed(0)}% of the CPU per hit`,
      );
    }
    const cpu = `${int(cpuPerResponse(h.gateway))} / ${int(cpuPerResponse(h.bare))} (${(cpuRatio * 100).toFixed(0)}%)`;
    rows.push([`hit ${h.op} (${kb(h.answerBytes)})`, h.store, int(h.gateway.rps), f(h.gateway.p50), f(h.gateway.p99), int(h.bare.rps), f(h.bare.p50), f(h.bare.p99), `**${(ratio * 100).toFixed(0)}%**`, cpu, verdict, notes.join('; ')]);
  }
  for (const m of r.misses) {
    const sql = [...new Set(m.sqlPerMiss)].join(' or ');
    rows.push([`miss ${m.op}`, m.store, '', f(quantile(m.samples, 0.5)), f(quantile(m.samples, 0.99)), '', '', '', '', '', '', `${sql} SQL statements per miss; ${m.samples.length} misses one at a time (p99 = max)`]);
  }
  for (const c of r.invalidation) {
    rows.push([c.label, 'redis', '', f(c.medianMs), f(c.maxMs), '', '', '', '', '', '', `${int(c.unrelated)} unrelated answers in Redis; ${int(c.removed)} removed per call; median / max of ${c.reps} calls`]);
  }
  const head = ['measurement', 'store', 'req/s', 'p50 ms', 'p99 ms', 'bare req/s', 'bare p50', 'bare p99', 'vs bare', 'CPU µs/hit gw / bare', 'target', 'notes'];
  return [
    ...r.header,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Target: hits at ≥ ${TARGET_RATIO * 100}% of the bare baseline's req/s (same store, same run), p99 < ${TARGET_P99_MS} ms.`,
    'CPU µs/hit: CPU time of the server process per answered request (all its threads); bare/gateway in brackets. Steadier than req/s on a shared machine.',
    'CPU shares of one core during the measurement: srv = the server under test (core 0), load = autocannon, redis = redis-server (both on core 1), other@N = everything else on core N.',
    '',
  ].join('\n');
}
