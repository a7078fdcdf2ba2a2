import { JSON_OPTION, parseHospital, parseOptions, stringValue } from '../args';
import type { Command } from '../command';
import type { CliContext } from '../context';
import { printJson, storeProblem } from '../output';
import { age, bytes, duration, plural } from '../format';
import { WARM_TARGETS } from '../../jobs/hot-operations';
import { operationRows, readPublishedFigures, type ClusterFigures, type OperationRow } from '../../figures';

export const STATS_USAGE = `Usage: npm run cache -- stats [--hospital H] [--json]

Shows, per hospital: cached answers (entries), invalidations so far, the last warm run of each
hot target (when, how long ago, ok or failed), and per operation: hits, misses, hit rate,
cached answers and their bytes, mean age of the answers hits served, and the latency of
misses (median, 95th percentile); plus the cache backend and its memory use.

Hits, misses and latencies are the figures every gateway process sharing this Redis publishes
to it every few seconds (cluster-wide); without REDIS_URL there are none to read from here.

Options:
  --hospital H   only hospital H (default: every hospital in the database)
  --json         one JSON document on stdout: {cache, figuresScope, processes, hospitals:
                 [{id, name, entries, invalidations, targets, operations}]}
  -h, --help     show this help
`;

export interface StatsOptions {
  hospital: number | null;
  json: boolean;
}

export function parseStatsArgs(args: readonly string[]): { help: true } | { help: false; options: StatsOptions } {
  const { help, values } = parseOptions(args, { hospital: { type: 'string' }, ...JSON_OPTION }, STATS_USAGE);
  if (help) return { help: true };
  return { help: false, options: { hospital: parseHospital(stringValue(values, 'hospital'), STATS_USAGE), json: values.json === true } };
}

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;
const ms = (v: number | null) => (v === null ? '-' : duration(v));

/** The per-operation table, aligned. */
function table(rows: readonly OperationRow[], traffic: boolean): string[] {
  const head = ['operation', 'hits', 'misses', 'hit rate', 'entries', 'bytes', 'mean age at hit', 'miss p50', 'miss p95'];
  const cells = rows.map((r) => [
    r.operationName,
    ...(traffic ? [String(r.hits), String(r.misses), percent(r.hitRate)] : ['-', '-', '-']),
    String(r.entries),
    bytes(r.bytes),
    r.meanAgeAtHitMs === null ? '-' : r.meanAgeAtHitMs < 60_000 ? duration(r.meanAgeAtHitMs) : age(r.meanAgeAtHitMs),
    ms(r.missP50Ms),
    ms(r.missP95Ms),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  // Names left-aligned, figures right-aligned.
  const fmt = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [fmt(head), ...cells.map(fmt)];
}

export async function runStats(ctx: CliContext, options: StatsOptions): Promise<number> {
  const hospitals = await ctx.hospitals(options.hospital);
  const { store } = ctx.gateway.cache;
  const { redisUrl, cache: settings } = ctx.config;
  const names = ctx.gateway.figures.operations;
  const memory = await store.memoryBytes();
  const now = Date.now();
  const report = [];
  let processes: ClusterFigures['processes'] = [];
  // Without Redis no gateway's figures can be read from another process: what is cached only.
  const published = redisUrl ? await readPublishedFigures(redisUrl, settings.redisPrefix, hospitals.map((h) => h.id)) : null;
  for (const hospital of hospitals) {
    const [entries, fence, runs, census] = await Promise.all([store.entries(hospital.id), store.fence(hospital.id), ctx.ledger.lastRuns(hospital.id), store.census(hospital.id)]);
    const figures = published?.get(hospital.id) ?? null;
    if (figures) processes = figures.processes;
    report.push({
      id: hospital.id,
      name: hospital.name,
      entries,
      invalidations: fence === null ? null : Number(fence),
      targets: WARM_TARGETS.map((target) => {
        const run = runs[target];
        return { target, lastWarmAt: run?.at ?? null, ageMs: run ? now - Date.parse(run.at) : null, ok: run?.ok ?? null, durationMs: run?.durationMs ?? null, error: run?.error ?? null };
      }),
      operations: operationRows(figures ?? { operations: [] }, census, names),
    });
  }
  const problem = storeProblem(ctx);
  if (options.json) {
    printJson(ctx, {
      cache: { backend: store.backend, description: ctx.describeCache(), state: store.state(), memoryBytes: memory },
      figuresScope: redisUrl ? 'cluster' : null,
      processes: processes.map(({ self: _self, ...p }) => ({ ...p, startedAt: new Date(p.startedAt).toISOString(), lastHeardAt: new Date(p.lastHeardAt).toISOString() })),
      hospitals: report,
    });
  } else {
    // Redis reports used_memory for the whole instance (every prefix), the memory store its own bytes.
    const scope = store.backend === 'redis' ? ' (whole Redis instance)' : '';
    ctx.out(`cache: ${ctx.describeCache()}, ${store.state()}; memory used: ${memory === null ? 'unknown' : bytes(memory)}${scope}`);
    ctx.out(
      redisUrl
        ? `figures: cluster-wide, from ${plural(processes.length, 'gateway process', 'gateway processes')} publishing to this Redis (hits, misses, latencies)`
        : 'figures: none without REDIS_URL (each gateway counts its own hits and misses: ask it, admin query cacheStats)',
    );
    const width = Math.max(...WARM_TARGETS.map((t) => t.length));
    for (const h of report) {
      ctx.out(`hospital ${h.id} "${h.name}": ${plural(h.entries, 'entry', 'entries')}, ${plural(h.invalidations ?? 'unknown', 'invalidation')}`);
      for (const t of h.targets) {
        if (t.lastWarmAt === null) ctx.out(`  ${t.target.padEnd(width)}  never warmed`);
        else ctx.out(`  ${t.target.padEnd(width)}  last warm ${t.lastWarmAt} (${age(t.ageMs ?? 0)} ago) ${duration(t.durationMs ?? 0)} ${t.ok ? 'ok' : `FAILED: ${t.error ?? 'unknown error'}`}`);
      }
      if (h.operations.length === 0) ctx.out('  no traffic and no cached answers yet');
      else for (const l of table(h.operations, redisUrl !== null)) ctx.out(`  ${l}`);
    }
    if (hospitals.length === 0) ctx.out('the database has no hospitals');
  }
  if (problem) {
    ctx.err(`stats: ${problem}`);
    return 1;
  }
  return 0;
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'per hospital: entries, invalidations, last warm runs, per-operation figures; backend and memory',
  usage: STATS_USAGE,
  prepare(args) {
    const parsed = parseStatsArgs(args);
    return parsed.help ? parsed : { help: false, run: (ctx) => runStats(ctx, parsed.options) };
  },
};
