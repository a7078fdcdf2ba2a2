/**
 * The hospital-day report: one column per run (1×, 5×, 10× the users), then the latencies per
 * operation, then examples of what went wrong. Markdown, printed and written to a file.
 */
import type { CpuUse } from '../lib/cpu';
import type { GatewayCounters } from './metrics';
import type { PgCounters } from './services';
import { quantile, type OpStats, type RunStats } from './stats';

export interface RunResult {
  users: number;
  /** Measured wall time (s). */
  wallS: number;
  stats: RunStats;
  /** /metrics differences, summed over the gateways. */
  gw: GatewayCounters | null;
  /**
   * /metrics differences cover the whole run: read before the warm-up and after the drain
   * (gwSeconds apart); rates are per second of sending (warm-up + measured, gwSendingS).
   */
  gwSeconds: number;
  gwSendingS: number;
  /** CPU seconds of the PostgreSQL backends of the bench's database during the measured window. */
  pgCpuS: number;
  pg: PgCounters;
  /** processes: the gateways…, redis, the load (this process); cores: 0, 1. */
  cpu: CpuUse;
  logs: { warmFailed: number; warnOrWorse: number; examples: string[] };
  loopDelay: { p99: number; max: number };
}

const READS = ['Dashboard', 'WardMapping', 'WardMappingFiltered'];
const WRITES = ['RecordEvent', 'TagPatient', 'UntagPatient', 'AdmitPatient', 'TransferPatient', 'DischargePatient'];
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : '–');
const msq = (values: number[], q: number) => {
  const v = quantile(values, q);
  return Number.isFinite(v) ? (v >= 100 ? int(v) : v.toFixed(1)) : '–';
};

function readTotals(s: RunStats) {
  const t = { sent: 0, answered: 0, ok: 0, hits: 0, timeouts: 0, s503: 0, retryAfter: 0, errors: 0, lat503: [] as number[], wire503: [] as number[] };
  for (const name of READS) {
    const o = s.ops.get(name);
    if (!o) continue;
    t.sent += o.sent;
    t.answered += o.answered;
    t.ok += o.ok;
    t.hits += o.hits;
    t.timeouts += o.timeouts;
    t.s503 += o.s503;
    t.retryAfter += o.s503RetryAfter;
    t.errors += o.errorCount();
    t.lat503.push(...o.lat503);
    t.wire503.push(...o.wire503);
  }
  return t;
}

function hitRate(o: OpStats | undefined): string {
  return o ? pct(o.hits, o.hits + o.misses) : '–';
}

function summaryRows(runs: RunResult[]): string[][] {
  const rows: Array<[string, (r: RunResult) => string]> = [];
  const add = (label: string, cell: (r: RunResult) => string) => rows.push([label, cell]);
  const per = (r: RunResult, n: number) => f1(n / r.wallS);
  const cpu = (r: RunResult, i: number) => `${Math.round((100 * r.cpu.processes[i]) / r.cpu.wallS)}%`;
  const g = (r: RunResult) => r.cpu.processes.length - 2;
  add('users (target reads/s)', (r) => `${int(r.users)} (${int(r.users / 5)})`);
  add('reads sent / answered', (r) => `${int(readTotals(r.stats).sent)} / ${int(readTotals(r.stats).answered)}`);
  add('reads answered OK per s', (r) => per(r, readTotals(r.stats).ok));
  add('**hit rate** (extensions.cache.hit), all reads', (r) => `**${pct(readTotals(r.stats).hits, readTotals(r.stats).ok)}**`);
  add('hit rate Dashboard / WardMapping / filtered', (r) => READS.map((n) => hitRate(r.stats.ops.get(n))).join(' / '));
  add('timeouts (no answer in 30 s)', (r) => int(readTotals(r.stats).timeouts));
  add('503 (with Retry-After) · p99 ms of 503s from issue / on the wire', (r) => {
    const t = readTotals(r.stats);
    return `${int(t.s503)} (${int(t.retryAfter)}) · ${msq(t.lat503, 0.99)} / ${msq(t.wire503, 0.99)}`;
  });
  add('other read errors', (r) => int(readTotals(r.stats).errors));
  add('refreshes skipped (previous still pending)', (r) => `${int(r.stats.refreshes.skipped)} of ${int(r.stats.refreshes.due)}`);
  add('**stale reads** (from hits / executed) of answers checked', (r) => `**${int(r.stats.stale.staleHits + r.stats.stale.staleExecuted)}** (${int(r.stats.stale.staleHits)} / ${int(r.stats.stale.staleExecuted)}) of ${int(r.stats.stale.checked)}`);
  add('wrong reads: a state that never was (hits / executed)', (r) => `${int(r.stats.stale.wrongHits + r.stats.stale.wrongExecuted)} (${int(r.stats.stale.wrongHits)} / ${int(r.stats.stale.wrongExecuted)})`);
  add('writes done / refused / ambiguous / skipped', (r) => {
    const w = r.stats.writes;
    const refused = [...w.refused.values()].reduce((a, b) => a + b, 0);
    return `${int(w.done)} / ${int(refused)} / ${int(w.ambiguous)} / ${int(w.skippedBusy + w.noTarget)}`;
  });
  add('PostgreSQL transactions/s (pg_stat_database)', (r) => per(r, r.pg.xacts));
  const gw = (label: string, cell: (c: GatewayCounters, r: RunResult) => string) => add(label, (r) => (r.gw ? cell(r.gw, r) : 'no /metrics'));
  const rate = (r: RunResult, n: number) => f1(n / r.gwSendingS);
  add('PostgreSQL rows read/s (tup_returned)', (r) => int(r.pg.tupReturned / r.wallS));
  gw('SQL statements/s of executed requests (gateways) ¹', (c, r) => rate(r, c.sqlStatements));
  gw('SQL statements per request of the statement histogram (sum / count) ¹', (c) => (c.sqlRequests > 0 ? (c.sqlStatements / c.sqlRequests).toFixed(2) : '–'));
  gw('cache misses/s · stores/s · invalidations/s ¹', (c, r) => `${rate(r, c.misses)} · ${rate(r, c.stores)} · ${rate(r, c.invalidations)}`);
  gw('change capture: requests past its bound (cache bypassed) · mean lag of applied changes ¹', (c) => `${int(c.captureBypasses)} · ${c.captureLagCount ? `${Math.round((1000 * c.captureLagSum) / c.captureLagCount)} ms of ${int(c.captureLagCount)}` : '–'}`);
  gw('**stores refused** (stale_skip) · share of computed answers ¹', (c) => `**${int(c.staleSkips)}** · ${pct(c.staleSkips, c.stores + c.staleSkips)}`);
  add('**warm failures**: "warm failed" log lines ¹', (r) => `**${int(r.logs.warmFailed)}**`);
  gw('warm runs failed / ok (metric) ¹', (c) => `${int(c.warmFailed)} / ${int(c.warmOk)}`);
  add('gateway log lines at warn or above ¹', (r) => int(r.logs.warnOrWorse));
  gw('Redis slow reads · Redis errors (gateways) ¹', (c) => `${int(c.redisSlowReads)} · ${int(c.redisErrors)}`);
  add('gateway CPU (core 0)', (r) => Array.from({ length: g(r) }, (_, i) => cpu(r, i)).join(' + '));
  add('Redis CPU · load generator CPU (core 1)', (r) => `${cpu(r, g(r))} · ${cpu(r, g(r) + 1)}`);
  add('PostgreSQL backends of the bench\'s database CPU (≈, unpinned)', (r) => `${Math.round((100 * r.pgCpuS) / r.cpu.wallS)}%`);
  add('core 0 / core 1 busy (all processes)', (r) => r.cpu.cores.map((c) => `${Math.round((100 * c) / r.cpu.wallS)}%`).join(' / '));
  add('load generator event-loop delay p99 / max ms', (r) => `${f1(r.loopDelay.p99)} / ${f1(r.loopDelay.max)}`);
  return rows.map(([label, cell]) => [label, ...runs.map(cell)]);
}

function latencyRows(runs: RunResult[]): string[][] {
  const rows: string[][] = [];
  for (const name of [...READS, ...WRITES]) {
    for (const r of runs) {
      const o = r.stats.ops.get(name);
      if (!o) continue;
      const errors = [...o.errors.entries()].map(([k, v]) => `${k} ×${v}`).join(', ');
      rows.push([name, int(r.users), int(o.sent), int(o.ok), msq(o.lat, 0.5), msq(o.lat, 0.95), msq(o.lat, 0.99), msq(o.lat, 1), `${msq(o.wire, 0.5)} / ${msq(o.wire, 0.99)}`, READS.includes(name) ? hitRate(o) : '', int(o.timeouts), int(o.s503), errors]);
    }
  }
  return rows;
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

export function renderReport(header: string[], runs: RunResult[]): string {
  const lines = [...header, ''];
  lines.push(...table(['', ...runs.map((r) => `${int(r.users)} users`)], summaryRows(runs)), '');
  lines.push(
    '¹ Whole run: the gateways\' /metrics and log lines are read before the warm-up and after the drain (a saturated gateway answers /metrics only after everything queued before it); rates are per second of sending (warm-up + measured). Every other row covers the measured window only (requests sent in it, followed to their answer or timeout).',
    '',
  );
  const lagging = runs.filter((r) => r.loopDelay.p99 > 100).map((r) => int(r.users));
  if (lagging.length > 0) {
    lines.push(`**The load generator lagged** at ${lagging.join(', ')} users (event-loop delay p99 > 100 ms): latencies there include its own delay, and fewer requests and writes were sent than were due.`, '');
  }
  lines.push('Latency (ms, OK answers only) from issuing the request to its last byte (waits for one of the 512 connections per gateway included), and on the wire: from getting its connection:', '');
  lines.push(...table(['operation', 'users', 'sent', 'OK', 'p50', 'p95', 'p99', 'max', 'wire p50 / p99', 'hit rate', 'timeouts', '503', 'errors / refusals'], latencyRows(runs)), '');
  for (const r of runs) {
    const ex = r.stats.stale.examples;
    if (ex.length > 0) lines.push(`Stale and wrong reads at ${int(r.users)} users (first few of each):`, ...ex.map((e) => `- **${e.kind}** ${e.op} (${e.hit ? 'cache hit' : e.hit === false ? 'executed' : 'no cache extension'}): ${e.what}`), '');
    if (r.logs.examples.length > 0) lines.push(`Gateway warnings at ${int(r.users)} users (other than "warm failed"):`, ...r.logs.examples.map((e) => `- \`${e.replace(/`/g, "'")}\``), '');
  }
  return lines.join('\n');
}
