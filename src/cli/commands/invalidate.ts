import { parseHospital, parseOptions, stringValue, UsageError } from '../args';
import type { Command } from '../command';
import type { CliContext } from '../context';
import { CliFailure, storeProblem } from '../output';
import { plural } from '../format';
import { ANSWER_TYPES, ENTITY_TYPES, InvalidationPlanError, planInvalidation, StoreWriteError, type InvalidationStep } from '../../cache';

export const INVALIDATE_USAGE = `Usage: npm run cache -- invalidate --typename T [--id I] [--hospital H]

Removes cached answers from the shared cache, as the admin mutation invalidateCache does. The
gateways recompute them on the next request (or at the next warm: npm run cache -- warm).

Options:
  --typename T   an entity type: ${ENTITY_TYPES.join(', ')}
                   without --id: every answer showing any object of that type
                   with --id: every answer showing that one object
                 or a whole answer: ${Object.keys(ANSWER_TYPES).join(', ')}
  --id I         the entity's id (entity types only)
  --hospital H   only hospital H (default: every hospital in the database)
  -h, --help     show this help

Prints how many cached answers were removed. Exit code 1 if the cache store did not answer.
`;

export interface InvalidateOptions {
  typename: string;
  id: string | null;
  hospital: number | null;
  step: InvalidationStep;
}

export function parseInvalidateArgs(args: readonly string[]): { help: true } | { help: false; options: InvalidateOptions } {
  const { help, values } = parseOptions(
    args,
    { typename: { type: 'string' }, id: { type: 'string' }, hospital: { type: 'string' } },
    INVALIDATE_USAGE,
  );
  if (help) return { help: true };
  const typename = stringValue(values, 'typename')?.trim();
  if (!typename) throw new UsageError('--typename is required', INVALIDATE_USAGE);
  const id = stringValue(values, 'id')?.trim() ?? null;
  const hospital = parseHospital(stringValue(values, 'hospital'), INVALIDATE_USAGE);
  try {
    return { help: false, options: { typename, id, hospital, step: planInvalidation(typename, id) } };
  } catch (err) {
    if (err instanceof InvalidationPlanError) throw new UsageError(err.message, INVALIDATE_USAGE);
    throw err;
  }
}

export async function runInvalidate(ctx: CliContext, options: InvalidateOptions): Promise<number> {
  const hospitals = await ctx.hospitals(options.hospital);
  const { invalidation } = ctx.gateway.cache;
  const what = options.id === null ? options.typename : `${options.typename} ${options.id}`;
  const step = options.step;
  let total = 0;
  const lines: string[] = [];
  let problem: string | null = null;
  for (const hospital of hospitals) {
    try {
      const removed =
        step.kind === 'type' ? await invalidation.invalidateType(hospital.id, step.typename) : await invalidation.invalidate(hospital.id, step.tags);
      total += removed;
      lines.push(`hospital ${hospital.id}: ${plural(removed, 'cached answer')} removed`);
    } catch (err) {
      if (!(err instanceof StoreWriteError)) throw err;
      problem = `the cache store (${ctx.describeCache()}) did not confirm the invalidation: ${err.message}`;
      break;
    }
  }
  problem ??= storeProblem(ctx);
  if (problem) {
    // Not confirmed: nothing is guaranteed, so no counts either.
    throw new CliFailure(`${problem}; answers of ${what} may still be cached. Run the command again once Redis answers.`, 1);
  }
  if (hospitals.length > 1) for (const line of lines) ctx.out(line);
  const where = hospitals.length === 1 ? `hospital ${hospitals[0].id}` : plural(hospitals.length, 'hospital');
  ctx.out(`invalidate ${what}: ${plural(total, 'cached answer')} removed (${where})`);
  return 0;
}

export const invalidateCommand: Command = {
  name: 'invalidate',
  summary: 'remove the cached answers showing an entity type, one entity, or a whole answer',
  usage: INVALIDATE_USAGE,
  prepare(args) {
    const parsed = parseInvalidateArgs(args);
    return parsed.help ? parsed : { help: false, run: (ctx) => runInvalidate(ctx, parsed.options) };
  },
};
