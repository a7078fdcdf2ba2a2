import { parseHospital, parseOptions, stringList, stringValue, UsageError } from '../args';
import type { Command } from '../command';
import type { CliContext } from '../context';
import { storeProblem } from '../output';
import { duration, plural } from '../format';
import { WARM_TARGETS, type WarmTarget } from '../../jobs/hot-operations';
import type { WarmResult } from '../../jobs/warmer';

export const WARM_USAGE = `Usage: npm run cache -- warm [--hospital H] [--target T]...

Recomputes the hot answers the ward dashboard asks for first and stores them in the shared
cache, exactly as the gateways' warm jobs do (and records each run in the shared warm ledger).

Options:
  --hospital H   only hospital H (default: every hospital in the database)
  --target T     ${WARM_TARGETS.join(', ')}; repeat or comma-separate
                 for several (default: all three)
  -h, --help     show this help

Prints one line per hospital and target, then a summary. Exit code 1 if any target failed.
`;

export interface WarmOptions {
  hospital: number | null;
  targets: readonly WarmTarget[];
}

export function parseWarmArgs(args: readonly string[]): { help: true } | { help: false; options: WarmOptions } {
  const { help, values } = parseOptions(args, { hospital: { type: 'string' }, target: { type: 'string', multiple: true } }, WARM_USAGE);
  if (help) return { help: true };
  const hospital = parseHospital(stringValue(values, 'hospital'), WARM_USAGE);
  const named = stringList(values, 'target').map((t) => t.toUpperCase().replace(/-/g, '_'));
  const unknown = named.filter((t) => !(WARM_TARGETS as readonly string[]).includes(t));
  if (unknown.length) throw new UsageError(`unknown --target ${unknown.join(', ')}; use ${WARM_TARGETS.join(', ')}`, WARM_USAGE);
  const wanted = new Set(named);
  // Always in the canonical order, each once.
  const targets = named.length ? WARM_TARGETS.filter((t) => wanted.has(t)) : WARM_TARGETS;
  return { help: false, options: { hospital, targets } };
}

export async function runWarm(ctx: CliContext, options: WarmOptions): Promise<number> {
  const hospitals = await ctx.hospitals(options.hospital);
  if (hospitals.length === 0) {
    ctx.out('warm: the database has no hospitals; nothing to warm');
    return 0;
  }
  const started = performance.now();
  const failures: Array<{ hospitalId: number; result: WarmResult }> = [];
  let ok = 0;
  const width = String(hospitals.length).length;
  const targetWidth = Math.max(...options.targets.map((t) => t.length));
  for (const [i, hospital] of hospitals.entries()) {
    for (const target of options.targets) {
      // One target at a time, so progress shows as it happens.
      const [result] = await ctx.gateway.warmer.warm(hospital.id, [target]);
      const position = `${String(i + 1).padStart(width)}/${hospitals.length}`;
      const line = `hospital ${position} (id ${hospital.id}) ${target.padEnd(targetWidth)} ${result.ok ? 'ok' : 'FAILED'} ${duration(result.durationMs)}`;
      if (result.ok) {
        ok += 1;
        ctx.out(line);
      } else {
        failures.push({ hospitalId: hospital.id, result });
        ctx.out(`${line}: ${result.error ?? 'unknown error'}`);
      }
    }
  }
  const total = hospitals.length * options.targets.length;
  const elapsed = duration(performance.now() - started);
  const scope = `${plural(hospitals.length, 'hospital')} × ${plural(options.targets.length, 'target')}`;
  if (failures.length === 0) {
    ctx.out(`warm: ${ok}/${total} hot answers warmed (${scope}) in ${elapsed}`);
    return 0;
  }
  ctx.out(`warm: ${ok}/${total} hot answers warmed, ${failures.length} FAILED (${scope}) in ${elapsed}`);
  ctx.err(`warm: ${plural(failures.length, 'target')} failed; their previous cached answers (if any) stay:`);
  for (const { hospitalId, result } of failures) ctx.err(`  hospital ${hospitalId} ${result.target}: ${result.error ?? 'unknown error'}`);
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
