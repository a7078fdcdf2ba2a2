import { JSON_OPTION, parseHospital, parseOptions, stringList, stringValue, UsageError } from '../args';
import type { Command } from '../command';
import type { CliContext, HospitalRow } from '../context';
import { CliFailure, printJson, storeProblem } from '../output';
import { age, duration, plural } from '../format';
import { StoreWriteError } from '../../cache';
import { hotOperations, WARM_TARGETS, type WarmTarget } from '../../jobs/hot-operations';
import { answerState, type AnswerState } from './answer-state';

export const WARM_USAGE = `Usage: npm run cache -- warm [--hospital H] [--target T]... [--force] [--clear] [--dry-run] [--json]

Recomputes the hot answers the ward dashboard asks for first and stores them in the shared
cache, exactly as the gateways' warm jobs do (and records each run in the shared warm ledger).
An answer that is cached and still fresh is skipped unless --force is given.

Options:
  --hospital H   only hospital H (default: every hospital in the database)
  --target T     ${WARM_TARGETS.join(', ')}; repeat or comma-separate
                 for several (default: all three)
  --force        warm answers that are cached and fresh too
  --clear        first remove every cached answer of the selected hospitals (not only the
                 hot ones), then warm
  --dry-run      say, per hospital and target, whether it would be warmed and why (missing,
                 stale, or present and fresh), and how many answers --clear would remove;
                 change nothing
  --json         one JSON document on stdout instead of the lines below
  -h, --help     show this help

Prints one line per hospital and target, then a summary. Exit code 1 if any target failed.
`;

export interface WarmOptions {
  hospital: number | null;
  targets: readonly WarmTarget[];
  force: boolean;
  clear: boolean;
  dryRun: boolean;
  json: boolean;
}

export function parseWarmArgs(args: readonly string[]): { help: true } | { help: false; options: WarmOptions } {
  const { help, values } = parseOptions(
    args,
    {
      hospital: { type: 'string' },
      target: { type: 'string', multiple: true },
      force: { type: 'boolean' },
      clear: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      ...JSON_OPTION,
    },
    WARM_USAGE,
  );
  if (help) return { help: true };
  const hospital = parseHospital(stringValue(values, 'hospital'), WARM_USAGE);
  const named = stringList(values, 'target').map((t) => t.toUpperCase().replace(/-/g, '_'));
  const unknown = named.filter((t) => !(WARM_TARGETS as readonly string[]).includes(t));
  if (unknown.length) throw new UsageError(`unknown --target ${unknown.join(', ')}; use ${WARM_TARGETS.join(', ')}`, WARM_USAGE);
  const wanted = new Set(named);
  // Always in the canonical order, each once.
  const targets = named.length ? WARM_TARGETS.filter((t) => wanted.has(t)) : WARM_TARGETS;
  const flag = (name: string) => values[name] === true;
  return { help: false, options: { hospital, targets, force: flag('force'), clear: flag('clear'), dryRun: flag('dry-run'), json: flag('json') } };
}

/** What was (or, in a dry run, would be) done with one target of one hospital. */
export type WarmAction = 'warmed' | 'failed' | 'skipped' | 'would warm' | 'would skip';

export interface TargetReport {
  target: WarmTarget;
  /** What was cached before this command touched it (before --clear too). */
  state: AnswerState['state'];
  /** Of the cached answer, when present. */
  ageMs: number | null;
  expiresInMs: number | null;
  action: WarmAction;
  durationMs: number | null;
  error: string | null;
}

export interface HospitalReport {
  id: number;
  name: string;
  /** Answers --clear removed (or, in a dry run, would remove); null without --clear. */
  cleared: number | null;
  targets: TargetReport[];
}

const reason = (t: TargetReport): string => {
  if (t.state === 'fresh') return `present and fresh (age ${age(t.ageMs ?? 0)}, expires in ${age(t.expiresInMs ?? 0)})`;
  if (t.state === 'stale') return `stale (age ${age(t.ageMs ?? 0)})`;
  return t.state;
};

function line(t: TargetReport, position: string, width: number, cleared: boolean): string {
  const head = `hospital ${position} ${t.target.padEnd(width)}`;
  switch (t.action) {
    case 'warmed':
      return `${head} ok ${duration(t.durationMs ?? 0)}`;
    case 'failed':
      return `${head} FAILED ${duration(t.durationMs ?? 0)}: ${t.error ?? 'unknown error'}`;
    case 'skipped':
      return `${head} skipped: ${reason(t)} (--force warms it)`;
    case 'would warm':
      return `${head} would warm: ${t.state === 'fresh' ? `${reason(t)}, ${cleared ? 'cleared first' : 'forced'}` : reason(t)}`;
    case 'would skip':
      return `${head} would skip: ${reason(t)}`;
  }
}

async function clearHospital(ctx: CliContext, hospital: HospitalRow, dryRun: boolean): Promise<number> {
  const { store, invalidation } = ctx.gateway.cache;
  if (dryRun) return store.count(hospital.id, { kind: 'all' });
  try {
    return await invalidation.purge(hospital.id);
  } catch (err) {
    if (!(err instanceof StoreWriteError)) throw err;
    throw new CliFailure(`the cache store (${ctx.describeCache()}) did not confirm the purge of hospital ${hospital.id}: ${err.message}; nothing was warmed`, 1);
  }
}

export async function runWarm(ctx: CliContext, options: WarmOptions): Promise<number> {
  const hospitals = await ctx.hospitals(options.hospital);
  const ops = hotOperations();
  const started = performance.now();
  const reports: HospitalReport[] = [];
  const width = String(hospitals.length).length;
  const targetWidth = Math.max(...options.targets.map((t) => t.length));
  for (const [i, hospital] of hospitals.entries()) {
    const position = `${String(i + 1).padStart(width)}/${hospitals.length} (id ${hospital.id})`;
    const report: HospitalReport = { id: hospital.id, name: hospital.name, cleared: null, targets: [] };
    reports.push(report);
    // What is cached now, before --clear removes it: the report says what was there.
    const states = new Map<WarmTarget, AnswerState>();
    for (const target of options.targets) states.set(target, await answerState(ctx, hospital.id, ops[target]));
    if (options.clear) {
      report.cleared = await clearHospital(ctx, hospital, options.dryRun);
      if (!options.json) ctx.out(`hospital ${position} ${options.dryRun ? 'would clear' : 'cleared'}: ${plural(report.cleared, 'cached answer')}`);
    }
    for (const target of options.targets) {
      const found = states.get(target) as AnswerState;
      const warm = options.force || options.clear || found.state !== 'fresh';
      const t: TargetReport = { target, ...found, action: warm ? 'would warm' : 'would skip', durationMs: null, error: null };
      if (!options.dryRun) {
        if (warm) {
          // One target at a time, so progress shows as it happens.
          const [result] = await ctx.gateway.warmer.warm(hospital.id, [target]);
          Object.assign(t, { action: result.ok ? 'warmed' : 'failed', durationMs: result.durationMs, error: result.error });
        } else t.action = 'skipped';
      }
      report.targets.push(t);
      if (!options.json) ctx.out(line(t, position, targetWidth, options.clear));
    }
  }
  const all = reports.flatMap((r) => r.targets);
  const count = (action: WarmAction) => all.filter((t) => t.action === action).length;
  const summary = {
    warmed: count('warmed'),
    skipped: count('skipped'),
    failed: count('failed'),
    wouldWarm: count('would warm'),
    wouldSkip: count('would skip'),
    cleared: options.clear ? reports.reduce((n, r) => n + (r.cleared ?? 0), 0) : null,
  };
  const failed = all.filter((t) => t.action === 'failed');
  if (options.json) {
    const { hospital: _hospital, json: _json, ...flags } = options;
    printJson(ctx, { ...flags, hospitals: reports, ...summary });
  } else if (hospitals.length === 0) {
    ctx.out('warm: the database has no hospitals; nothing to warm');
  } else {
    const scope = `${plural(hospitals.length, 'hospital')} × ${plural(options.targets.length, 'target')}`;
    const cleared = summary.cleared === null ? '' : `; ${plural(summary.cleared, 'cached answer')} ${options.dryRun ? 'would be ' : ''}cleared first`;
    if (options.dryRun) {
      ctx.out(`warm --dry-run: ${summary.wouldWarm}/${all.length} hot answers would be warmed, ${summary.wouldSkip} skipped (${scope})${cleared}; nothing changed`);
    } else {
      const skipped = summary.skipped ? `, ${summary.skipped} skipped (present and fresh; --force warms them)` : '';
      const failures = failed.length ? `, ${failed.length} FAILED` : '';
      ctx.out(`warm: ${summary.warmed}/${all.length} hot answers warmed${skipped}${failures} (${scope})${cleared} in ${duration(performance.now() - started)}`);
    }
  }
  if (failed.length === 0) return 0;
  const left = options.clear ? 'nothing is cached for them until a request or the next warm' : 'their previous cached answers (if any) stay';
  ctx.err(`warm: ${plural(failed.length, 'target')} failed; ${left}:`);
  for (const r of reports) for (const t of r.targets.filter((x) => x.action === 'failed')) ctx.err(`  hospital ${r.id} ${t.target}: ${t.error ?? 'unknown error'}`);
  const problem = storeProblem(ctx);
  if (problem) ctx.err(`warm: ${problem}`);
  return 1;
}

export const warmCommand: Command = {
  name: 'warm',
  summary: 'recompute and store the hot answers (dashboard, ward map, ward filters)',
  usage: WARM_USAGE,
  prepare(args) {
    const parsed = parseWarmArgs(args);
    return parsed.help ? parsed : { help: false, run: (ctx) => runWarm(ctx, parsed.options) };
  },
};
