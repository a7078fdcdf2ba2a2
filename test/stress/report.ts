/**
 * Counters of one run (one database), the examples of violations, and the summary table.
 */

export const VIOLATION_CLASSES = [
  /** A cache hit (extensions.cache.hit = true) that showed data older than a write that had returned. */
  'stale',
  /** The same from an executed answer (hit = false), or a write's own answer wrong. */
  'wrong',
  /** HTTP status ≥ 500. */
  '5xx',
  /** An error with extensions.code INTERNAL_SERVER_ERROR. */
  'internal',
  /** An error with extensions.code SERVICE_UNAVAILABLE. */
  'serviceUnavailable',
  /** An error with extensions.code CACHE_INVALIDATION_PENDING. */
  'invalidationPending',
  /** Any other error: other codes (CONFLICT the model should have avoided…), transport errors, no cache extension. */
  'other',
  /** At quiescence, a process's answer differs from a cold recomputation. */
  'quiescence',
  /** At quiescence, the cold recomputation differs from the model's final state. */
  'finalState',
  /** wardcache_cache_verify_mismatches_total summed over the processes. */
  'verifyMismatches',
] as const;

export type ViolationClass = (typeof VIOLATION_CLASSES)[number];

export interface Example {
  class: ViolationClass;
  /** Seconds since the load started. */
  atS: number;
  actor: string;
  operation: string;
  variables: unknown;
  process: string;
  hit: boolean | null;
  cacheAgeMs: number | null;
  requestId: string | null;
  what: string;
  expected: string;
  got: string;
  /** For pre-write data: the write the answer did not show yet and how long before the read it had returned. */
  older?: string;
}

export interface WriteCount {
  ok: number;
  failed: number;
}

export class RunStats {
  reads = 0;
  /** Reads whose answer was compared with the model or the baseline. */
  readsChecked = 0;
  /** Of those, the writers' reads right after their own write. */
  readsAfterWrite = 0;
  hits = 0;
  misses = 0;
  readLatencies: number[] = [];
  hitLatencies: number[] = [];
  missLatencies: number[] = [];
  readonly violations = Object.fromEntries(VIOLATION_CLASSES.map((c) => [c, 0])) as Record<ViolationClass, number>;
  readonly writes = new Map<string, WriteCount>();
  readonly errorCodes = new Map<string, number>();
  readonly examples: Example[] = [];
  verifyMetricPresent = 0;
  verifyMetricProcesses = 0;
  quiescenceCompared = 0;
  finalStateCompared = 0;
  /** The load phase's length (s), for rates. */
  loadSeconds = 0;
  readonly notes: string[] = [];
  /** Per gateway: Redis round trips measured under this load (information, not a violation). */
  readonly redisLatency: string[] = [];
  /** Time origin (performance.now()) of the load phase. */
  origin = performance.now();

  constructor(
    readonly database: string,
    readonly seed: number,
    readonly examplesPerClass: number,
  ) {}

  violation(example: Omit<Example, 'atS'> & { at?: number }): void {
    this.violations[example.class] += 1;
    const shown = this.examples.filter((e) => e.class === example.class).length;
    if (shown < this.examplesPerClass) {
      const { at, ...rest } = example;
      this.examples.push({ ...rest, atS: Math.round(((at ?? performance.now()) - this.origin) / 100) / 10 });
    }
  }

  write(kind: string, ok: boolean): void {
    const c = this.writes.get(kind) ?? { ok: 0, failed: 0 };
    if (ok) c.ok += 1;
    else c.failed += 1;
    this.writes.set(kind, c);
  }

  errorCode(code: string): void {
    this.errorCodes.set(code, (this.errorCodes.get(code) ?? 0) + 1);
  }

  read(latencyMs: number, hit: boolean | null): void {
    this.reads += 1;
    this.readLatencies.push(latencyMs);
    if (hit === true) {
      this.hits += 1;
      this.hitLatencies.push(latencyMs);
    } else if (hit === false) {
      this.misses += 1;
      this.missLatencies.push(latencyMs);
    }
  }

  totalViolations(): number {
    return VIOLATION_CLASSES.reduce((s, c) => s + this.violations[c], 0);
  }
}

export interface StressReport {
  database: string;
  seed: number;
  stats: RunStats;
  /** Every process answered the same as the cold oracle at quiescence. */
  quiescenceEqual: boolean;
  ok: boolean;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const ms = (n: number) => (Number.isNaN(n) ? '-' : `${n.toFixed(1)} ms`);

/** The summary table, one column per database. */
export function formatSummary(reports: StressReport[]): string {
  const kinds = [...new Set(reports.flatMap((r) => [...r.stats.writes.keys()]))].sort();
  const rows: Array<[string, (r: StressReport) => string]> = [
    ['seed', (r) => String(r.seed)],
    ['load seconds', (r) => r.stats.loadSeconds.toFixed(1)],
    ['reads', (r) => String(r.stats.reads)],
    ['reads checked', (r) => String(r.stats.readsChecked)],
    ['reads-after-write checked', (r) => String(r.stats.readsAfterWrite)],
    ['hit rate', (r) => (r.stats.hits + r.stats.misses === 0 ? '-' : `${((100 * r.stats.hits) / (r.stats.hits + r.stats.misses)).toFixed(1)} %`)],
    ['read p50 / p95', (r) => `${ms(percentile(r.stats.readLatencies, 50))} / ${ms(percentile(r.stats.readLatencies, 95))}`],
    ['hit p50 / p95', (r) => `${ms(percentile(r.stats.hitLatencies, 50))} / ${ms(percentile(r.stats.hitLatencies, 95))}`],
    ['miss p50 / p95', (r) => `${ms(percentile(r.stats.missLatencies, 50))} / ${ms(percentile(r.stats.missLatencies, 95))}`],
    ...kinds.map((k): [string, (r: StressReport) => string] => [
      `writes ${k} ok/failed`,
      (r) => {
        const c = r.stats.writes.get(k);
        return c ? `${c.ok} / ${c.failed}` : '0 / 0';
      },
    ]),
    ['STALE (hit, pre-write data)', (r) => String(r.stats.violations.stale)],
    ['WRONG (miss, pre-write data)', (r) => String(r.stats.violations.wrong)],
    ['5xx', (r) => String(r.stats.violations['5xx'])],
    ['INTERNAL_SERVER_ERROR', (r) => String(r.stats.violations.internal)],
    ['SERVICE_UNAVAILABLE', (r) => String(r.stats.violations.serviceUnavailable)],
    ['CACHE_INVALIDATION_PENDING', (r) => String(r.stats.violations.invalidationPending)],
    ['other errors', (r) => String(r.stats.violations.other)],
    [
      'verify mismatches',
      (r) =>
        `${r.stats.violations.verifyMismatches} (metric on ${r.stats.verifyMetricPresent}/${r.stats.verifyMetricProcesses} processes)`,
    ],
    ['quiescence: answers compared', (r) => String(r.stats.quiescenceCompared)],
    ['quiescence: differ from cold', (r) => String(r.stats.violations.quiescence)],
    ['final state: differs from model', (r) => `${r.stats.violations.finalState} of ${r.stats.finalStateCompared}`],
    ['error codes seen', (r) => [...r.stats.errorCodes].map(([c, n]) => `${c}×${n}`).join(' ') || '-'],
    ['RESULT', (r) => (r.ok ? 'ok' : `FAILED (${r.stats.totalViolations()} violations)`)],
  ];
  const header = ['', ...reports.map((r) => r.database)];
  const table = [header, ...rows.map(([label, f]) => [label, ...reports.map(f)])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i])).join(' | ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(header), rule, ...table.slice(1).map(line)].join('\n');
}

/** The examples of violations, for the log and failure messages. */
export function formatExamples(report: StressReport): string {
  const { stats } = report;
  if (stats.examples.length === 0 && stats.notes.length === 0) return '';
  const lines = [`examples (${report.database}, seed ${report.seed}):`];
  for (const e of stats.examples) {
    lines.push(
      `- [${e.class}] t=${e.atS}s ${e.actor} ${e.operation} ${JSON.stringify(e.variables)} via ${e.process}` +
        ` hit=${String(e.hit)} ageMs=${String(e.cacheAgeMs)} requestId=${String(e.requestId)}`,
      `    ${e.what}`,
      `    expected: ${e.expected}`,
      `    got:      ${e.got}`,
      ...(e.older ? [`    older:    ${e.older}`] : []),
    );
  }
  for (const n of stats.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
