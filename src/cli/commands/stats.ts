import { parseHospital, parseOptions, stringValue } from '../args';
import type { Command } from '../command';
import type { CliContext } from '../context';
import { storeProblem } from '../output';
import { age, bytes, duration, plural } from '../format';
import { WARM_TARGETS } from '../../jobs/hot-operations';

export const STATS_USAGE = `Usage: npm run cache -- stats [--hospital H]

Shows, per hospital: cached answers (entries), invalidations so far, and the last warm run of
each hot target (when, how long ago, ok or failed), plus the cache backend and its memory use.

Hits and misses are counted inside each gateway process and cannot be read from here: ask a
gateway (the admin query cacheStats) for those.

Options:
  --hospital H   only hospital H (default: every hospital in the database)
  -h, --help     show this help
`;

export interface StatsOptions {
  hospital: number | null;
}

export function parseStatsArgs(args: readonly string[]): { help: true } | { help: false; options: StatsOptions } {
  const { help, values } = parseOptions(args, { hospital: { type: 'string' } }, STATS_USAGE);
  if (help) return { help: true };
  return { help: false, options: { hospital: parseHospital(stringValue(values, 'hospital'), STATS_USAGE) } };
}

export async function runStats(ctx: CliContext, options: StatsOptions): Promise<number> {
  const hospitals = await ctx.hospitals(options.hospital);
  const { store } = ctx.gateway.cache;
  const memory = await store.memoryBytes();
  // Redis reports used_memory for the whole instance (every prefix), the memory store its own bytes.
  const scope = store.backend === 'redis' ? ' (whole Redis instance)' : '';
  ctx.out(`cache: ${ctx.describeCache()}, ${store.state()}; memory used: ${memory === null ? 'unknown' : bytes(memory)}${scope}`);
  ctx.out('hits/misses: counted per gateway process, not visible from here (ask a gateway: admin query cacheStats)');
  const width = Math.max(...WARM_TARGETS.map((t) => t.length));
  const now = Date.now();
  for (const hospital of hospitals) {
    const [entries, fence, runs] = await Promise.all([store.entries(hospital.id), store.fence(hospital.id), ctx.ledger.lastRuns(hospital.id)]);
    const invalidations = fence === null ? 'unknown' : fence;
    ctx.out(`hospital ${hospital.id} "${hospital.name}": ${plural(entries, 'entry', 'entries')}, ${plural(invalidations, 'invalidation')}`);
    for (const target of WARM_TARGETS) {
      const run = runs[target];
      if (!run) {
        ctx.out(`  ${target.padEnd(width)}  never warmed`);
        continue;
      }
      const status = run.ok ? 'ok' : `FAILED: ${run.error ?? 'unknown error'}`;
      ctx.out(`  ${target.padEnd(width)}  last warm ${run.at} (${age(now - Date.parse(run.at))} ago) ${duration(run.durationMs)} ${status}`);
    }
  }
  if (hospitals.length === 0) ctx.out('the database has no hospitals');
  const problem = storeProblem(ctx);
  if (problem) {
    ctx.err(`stats: ${problem}`);
    return 1;
  }
  return 0;
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'entries, invalidations and last warm runs per hospital; backend and memory',
  usage: STATS_USAGE,
  prepare(args) {
    const parsed = parseStatsArgs(args);
    return parsed.help ? parsed : { help: false, run: (ctx) => runStats(ctx, parsed.options) };
  },
};
