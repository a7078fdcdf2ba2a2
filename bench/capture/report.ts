/** The Markdown report of `npm run bench:capture`. */
import { countAbove, histogramQuantile, maxBucket } from './histogram';
import type { LagResult } from './lag';
import type { PgCost, Variant } from './pgbench';
import type { SqliteCost } from './sqlite-cost';

export interface CaptureReport {
  header: string[];
  lag: LagResult[];
  lagFailures: string[];
  pg: PgCost | null;
  sqlite: SqliteCost | null;
  costFailures: string[];
  pgbenchArgs: string;
  sqliteSeconds: number;
}

const ms = (s: number) => (Number.isFinite(s) ? (s * 1000 >= 10 ? `${(s * 1000).toFixed(0)} ms` : `${(s * 1000).toFixed(1)} ms`) : '–');
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const ratio = (n: number) => (Number.isFinite(n) ? `**${n.toFixed(2)}×**` : '–');
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
/** Ratio of the means, then each round's ratio to (a) of the same round. */
const ratios = (tps: number[], base: number[]) => `${ratio(mean(tps) / mean(base))} (${tps.map((t, i) => (t / base[i]).toFixed(2)).join(', ')})`;

/** Nearest-rank quantile of samples. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function lagSection(r: CaptureReport, warnings: string[]): string[] {
  const rows = r.lag.map((x) => {
    const h = x.lag;
    const top = maxBucket(h);
    const vis = x.visible.map((v) => v.ms).filter((v): v is number => v !== null);
    const k = x.writer.byKind;
    const over = countAbove(h, 1);
    if (over > 0) warnings.push(`${x.kind}: ${over} captured change(s) took more than 1 s to evict`);
    if (x.fresh.violations > 0) warnings.push(`${x.kind}: ${x.fresh.violations} value(s) read stale more than 1 s after their commit`);
    const missing = x.visible.length - vis.length;
    if (missing > 0) warnings.push(`${x.kind}: ${missing} rename(s) never showed within 10 s`);
    return [
      x.kind === 'postgresql' ? 'PostgreSQL + Redis' : 'SQLite file',
      `${x.gateways} (rows applied: ${x.perGateway.map((n, i) => `g${i + 1} ${int(n)}`).join(', ')})`,
      `${int(x.writer.commits)} (${k.rename}/${k.event}/${k.tag}/${k.bed})`,
      int(h.count),
      ms(histogramQuantile(h, 0.5)),
      ms(histogramQuantile(h, 0.95)),
      ms(histogramQuantile(h, 0.99)),
      top ? `${ms(top.lower)}–${ms(top.upper)}` : '–',
      int(over),
      `${ms(quantile(vis, 0.5) / 1000)} / ${ms(quantile(vis, 0.99) / 1000)} / ${ms(Math.max(...vis) / 1000)}`,
      `${x.fresh.violations} of ${int(x.fresh.checked)}`,
      `${((100 * x.reads.hits) / Math.max(1, x.reads.reads)).toFixed(0)}% of ${int(x.reads.reads)}`,
    ];
  });
  const out = [
    `## 1. Capture lag under a steady external write rate`,
    '',
    ...table(
      ['database', 'gateways', 'commits (rename/event/tag/bed)', 'log rows applied', 'capture lag p50', 'p95', 'p99', 'max (its bucket)', '> 1 s', 'visible lag p50 / p99 / max', 'stale past 1 s (of values checked)', 'readers: hits'],
      rows,
    ),
    '',
  ];
  for (const f of r.lagFailures) out.push(`**Not measured:** ${f}`, '');
  for (const x of r.lag) {
    const w = x.writer;
    const staleFirst = x.visible.filter((v) => v.staleHitFirst).length;
    out.push(
      `- ${x.kind}: writer commit round trip p50 ${quantile(w.commitMs, 0.5).toFixed(1)} ms, p99 ${quantile(w.commitMs, 0.99).toFixed(1)} ms, ${w.late} commit(s) sent > 100 ms late, ${w.failed} failed${w.errors.length ? ` (${w.errors.join('; ')})` : ''}; ` +
        `${x.visible.length} renames: ${x.warmedHits} had Patient cached through every gateway just before, ${staleFirst} first answered the old name from the cache; ` +
        `self-check mismatches (\`wardcache_cache_verify_mismatches_total\`) ${x.verifyMismatches}; load average ${x.loadavg[0]} → ${x.loadavg[1]}.`,
    );
    if (x.reads.errors + x.otherErrors.errors > 0) out.push(`  - failed reads: ${x.reads.errors + x.otherErrors.errors} (${[...x.reads.errorExamples, ...x.otherErrors.errorExamples].slice(0, 2).join('; ')})`);
    for (const v of x.fresh.examples) out.push(`  - stale: ${v.op} showed ${v.key} = ${JSON.stringify(v.value)}, ${v.afterMs} ms after ${JSON.stringify(v.expected)} committed`);
    for (const g of x.logs)
      for (const [msg, p] of g.problems) {
        out.push(`  - ${g.name} logged ${p.count}× at level ${p.level}: "${msg}" ${p.example.slice(0, 240)}`);
        if (p.level >= 50) warnings.push(`${g.name} logged "${msg}" ${p.count}×`);
      }
  }
  return out;
}

/** Runs of one variant more than 20% apart: the machine was busy with something else. */
function checkSpread(what: string, tps: number[], warnings: string[]): void {
  const spread = (Math.max(...tps) - Math.min(...tps)) / mean(tps);
  if (spread > 0.2) warnings.push(`${what}: its runs differ by ${(spread * 100).toFixed(0)}% (the machine was busy with something else; compare ratios within a round)`);
}

const PG_LABELS: Record<Variant, string> = {
  plain: '(a) capture triggers dropped',
  capture: '(b) capture triggers (as migrated)',
  logical: '(c) no triggers; wal_level=logical, pgoutput slot read live by pg_recvlogical',
  invoker: '(d) diagnosis: (b) with SECURITY INVOKER trigger functions',
};

function costSection(r: CaptureReport, warnings: string[]): string[] {
  const rows: string[][] = [];
  const rounds = Math.max(0, ...(r.pg?.runs ?? []).map((x) => x.round), ...(r.sqlite?.runs ?? []).map((x) => x.round));
  const runCells = (tps: number[]) => Array.from({ length: rounds }, (_, i) => int(tps[i]));
  if (r.pg) {
    const pg = r.pg;
    const base = pg.runs.filter((x) => x.variant === 'plain').map((x) => x.tps);
    for (const v of ['plain', 'capture', 'logical', 'invoker'] as const) {
      const runs = pg.runs.filter((x) => x.variant === v);
      if (!runs.length) continue;
      const tps = runs.map((x) => x.tps);
      checkSpread(`PostgreSQL ${PG_LABELS[v].slice(0, 3)}`, tps, warnings);
      for (const x of runs) if (x.problem || x.failed) warnings.push(`pgbench ${v} round ${x.round}: ${x.failed} failed; ${x.problem ?? ''}`);
      rows.push(['PostgreSQL', PG_LABELS[v], ...runCells(tps), int(mean(tps)), ratios(tps, base), `${mean(runs.map((x) => x.latencyMs)).toFixed(2)} ms`, `${int(mean(runs.map((x) => x.walPerTx)))} B`]);
    }
  }
  if (r.sqlite) {
    const base = r.sqlite.runs.filter((x) => x.variant === 'plain').map((x) => x.tps);
    for (const v of ['plain', 'capture'] as const) {
      const tps = r.sqlite.runs.filter((x) => x.variant === v).map((x) => x.tps);
      checkSpread(`SQLite ${v === 'plain' ? '(a)' : '(b)'}`, tps, warnings);
      rows.push(['SQLite', v === 'plain' ? '(a) capture triggers dropped' : '(b) capture triggers (as migrated)', ...runCells(tps), int(mean(tps)), ratios(tps, base), '–', '–']);
    }
  }
  const out = [
    `## 2. What the capture triggers cost writers`,
    '',
    ...table(['database', 'variant', ...Array.from({ length: rounds }, (_, i) => `run ${i + 1} tx/s`), 'mean tx/s', '× (a) (by round)', 'latency avg', 'WAL per tx'], rows),
    '',
  ];
  for (const f of r.costFailures) out.push(`**Not measured:** ${f}`, '');
  if (r.pg)
    out.push(
      `- PostgreSQL: \`pgbench ${r.pgbenchArgs}\` (${r.pg.pgbench}) on a private cluster (fsync on, other settings initdb's); runs interleaved (a, b, c${r.pg.runs.some((x) => x.variant === 'invoker') ? ', d' : ''}, then again), a checkpoint before each. ` +
        `(b) wrote ${r.pg.logRowsPerTx.toFixed(2)} change-log rows per transaction; nobody read the log or LISTENed meanwhile. ` +
        `pg_recvlogical received ${int(r.pg.decodedBytes / 1024)} KB in (c), and was ${int(r.pg.slotBehindBytes)} bytes of WAL behind at the end.`,
    );
  if (r.sqlite)
    out.push(`- SQLite ${r.sqlite.sqliteVersion} (better-sqlite3): one connection, the same transaction, ${r.sqliteSeconds} s slices alternating; (b) wrote ${r.sqlite.logRowsPerTx.toFixed(2)} change-log rows per transaction.`);
  return out;
}

export function renderReport(r: CaptureReport): string {
  const warnings: string[] = [];
  const lag = r.lag.length || r.lagFailures.length ? lagSection(r, warnings) : [];
  const cost = r.pg || r.sqlite || r.costFailures.length ? costSection(r, warnings) : [];
  return [
    '# Change capture bench',
    '',
    ...r.header.map((h) => `${h}  `),
    '',
    ...(warnings.length ? ['**Look at:**', ...warnings.map((w) => `- ${w}`), ''] : []),
    ...lag,
    '',
    ...cost,
    '',
  ].join('\n');
}
