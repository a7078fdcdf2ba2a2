import { JSON_OPTION, parseHospital, parseOptions, stringValue, UsageError } from '../args';
import type { Command } from '../command';
import type { CliContext } from '../context';
import { CliFailure, printJson, storeProblem } from '../output';
import { plural } from '../format';
import { ANSWER_TYPES, ENTITY_TYPES, InvalidationPlanError, planInvalidation, StoreWriteError, type InvalidationStep, type Selection } from '../../cache';

export const INVALIDATE_USAGE = `Usage: npm run cache -- invalidate --typename T [--id I] [--hospital H] [--dry-run] [--json]
       npm run cache -- invalidate --all --yes [--hospital H] [--dry-run] [--json]

Removes cached answers from the shared cache, as the admin mutation invalidateCache does. The
gateways recompute them on the next request (or at the next warm: npm run cache -- warm).

Options:
  --typename T   an entity type: ${ENTITY_TYPES.join(', ')}
                   without --id: every answer showing any object of that type
                   with --id: every answer showing that one object
                 or a whole answer: ${Object.keys(ANSWER_TYPES).join(', ')}
  --id I         the entity's id (entity types only)
  --all          every cached answer of the selected hospitals (instead of --typename);
                 needs --yes
  --yes          confirms --all
  --hospital H   only hospital H (default: every hospital in the database)
  --dry-run      say how many cached answers would be removed; remove none (--all needs no
                 --yes then)
  --json         one JSON document on stdout: {what, dryRun, hospitals: [{id, removed}], removed}
                 (wouldRemove instead of removed with --dry-run)
  -h, --help     show this help

Prints how many cached answers were removed. Exit code 1 if the cache store did not answer.
`;

/** An invalidation plan, or every answer (a purge). */
export type InvalidateStep = InvalidationStep | { kind: 'all' };

export interface InvalidateOptions {
  /** `Patient 5`, `WardMapping`, `--all`: for messages. */
  what: string;
  hospital: number | null;
  step: InvalidateStep;
  dryRun: boolean;
  json: boolean;
}

export function parseInvalidateArgs(args: readonly string[]): { help: true } | { help: false; options: InvalidateOptions } {
  const { help, values } = parseOptions(
    args,
    {
      typename: { type: 'string' },
      id: { type: 'string' },
      hospital: { type: 'string' },
      all: { type: 'boolean' },
      yes: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      ...JSON_OPTION,
    },
    INVALIDATE_USAGE,
  );
  if (help) return { help: true };
  const typename = stringValue(values, 'typename')?.trim();
  const id = stringValue(values, 'id')?.trim() ?? null;
  const hospital = parseHospital(stringValue(values, 'hospital'), INVALIDATE_USAGE);
  const dryRun = values['dry-run'] === true;
  const json = values.json === true;
  if (values.all === true) {
    if (typename !== undefined || id !== null) throw new UsageError('--all removes every cached answer: it takes no --typename nor --id', INVALIDATE_USAGE);
    if (values.yes !== true && !dryRun) {
      throw new UsageError('--all removes every cached answer of the selected hospitals: add --yes to confirm (or --dry-run to count them)', INVALIDATE_USAGE);
    }
    return { help: false, options: { what: '--all', hospital, step: { kind: 'all' }, dryRun, json } };
  }
  if (values.yes === true) throw new UsageError('--yes confirms --all only', INVALIDATE_USAGE);
  if (!typename) throw new UsageError('--typename is required (or --all --yes for every cached answer)', INVALIDATE_USAGE);
  try {
    const step = planInvalidation(typename, id);
    return { help: false, options: { what: id === null ? typename : `${typename} ${id}`, hospital, step, dryRun, json } };
  } catch (err) {
    if (err instanceof InvalidationPlanError) throw new UsageError(err.message, INVALIDATE_USAGE);
    throw err;
  }
}

const selectionOf = (step: InvalidateStep): Selection => (step.kind === 'type' ? { kind: 'type', typename: step.typename } : step.kind === 'all' ? { kind: 'all' } : { kind: 'tags', tags: step.tags });

async function remove(ctx: CliContext, hospitalId: number, step: InvalidateStep): Promise<number> {
  const { invalidation } = ctx.gateway.cache;
  if (step.kind === 'all') return invalidation.purge(hospitalId);
  if (step.kind === 'type') return invalidation.invalidateType(hospitalId, step.typename);
  return invalidation.invalidate(hospitalId, step.tags);
}

export async function runInvalidate(ctx: CliContext, options: InvalidateOptions): Promise<number> {
  const hospitals = await ctx.hospitals(options.hospital);
  const { what, step, dryRun } = options;
  const counts: Array<{ id: number; n: number }> = [];
  let problem: string | null = null;
  for (const hospital of hospitals) {
    try {
      // A dry run counts from the store's indexes: nothing is removed, no counter moves.
      counts.push({ id: hospital.id, n: dryRun ? await ctx.gateway.cache.store.count(hospital.id, selectionOf(step)) : await remove(ctx, hospital.id, step) });
    } catch (err) {
      if (!(err instanceof StoreWriteError)) throw err;
      problem = `the cache store (${ctx.describeCache()}) did not confirm the invalidation: ${err.message}`;
      break;
    }
  }
  problem ??= storeProblem(ctx);
  if (problem && dryRun) throw new CliFailure(`${problem}; cannot count the answers of ${what}`, 1);
  if (problem) {
    // Not confirmed: nothing is guaranteed, so no counts either.
    throw new CliFailure(`${problem}; answers of ${what} may still be cached. Run the command again once Redis answers.`, 1);
  }
  const total = counts.reduce((sum, c) => sum + c.n, 0);
  const field = dryRun ? 'wouldRemove' : 'removed';
  if (options.json) {
    printJson(ctx, { what, dryRun, hospitals: counts.map((c) => ({ id: c.id, [field]: c.n })), [field]: total });
    return 0;
  }
  const verb = dryRun ? 'would be removed' : 'removed';
  if (hospitals.length > 1) for (const c of counts) ctx.out(`hospital ${c.id}: ${plural(c.n, 'cached answer')} ${verb}`);
  const where = hospitals.length === 1 ? `hospital ${hospitals[0].id}` : plural(hospitals.length, 'hospital');
  ctx.out(`invalidate ${what}${dryRun ? ' --dry-run' : ''}: ${plural(total, 'cached answer')} ${verb} (${where})${dryRun ? '; nothing removed' : ''}`);
  return 0;
}

export const invalidateCommand: Command = {
  name: 'invalidate',
  summary: 'remove the cached answers showing an entity type, one entity, a whole answer, or all',
  usage: INVALIDATE_USAGE,
  prepare(args) {
    const parsed = parseInvalidateArgs(args);
    return parsed.help ? parsed : { help: false, run: (ctx) => runInvalidate(ctx, parsed.options) };
  },
};
