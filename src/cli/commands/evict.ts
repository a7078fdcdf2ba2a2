import { JSON_OPTION, parseHospital, parseOptions, stringValue, UsageError } from '../args';
import type { Command } from '../command';
import type { CliContext } from '../context';
import { CliFailure, printJson } from '../output';
import { entryLines, explorerEntry } from './keys';
import { parseEntryId } from '../../modules/cache-admin/entry-id';

export const EVICT_USAGE = `Usage: npm run cache -- evict --id ID [--hospital H] [--dry-run] [--json]

Removes one cached answer, named by the id the key explorer shows (npm run cache -- keys, or
the admin query cacheEntries), as the admin mutation evictCacheEntry does. The gateways
recompute it on the next request.

Options:
  --id ID        the answer's id (it names its hospital: h<hospital>.<key>)
  --hospital H   check that the answer is of hospital H (exit code 1 if not)
  --dry-run      show the answer that would be removed; remove nothing
  --json         one JSON document on stdout: {hospitalId, dryRun, evicted, entry}
  -h, --help     show this help

Exit code 1 when no cached answer has that id in that hospital (it expired, or was already
evicted or invalidated).
`;

export interface EvictOptions {
  /** --hospital, checked against the id's. */
  hospital: number | null;
  id: string;
  /** The hospital and response key the id names. */
  scope: number;
  key: string;
  dryRun: boolean;
  json: boolean;
}

export function parseEvictArgs(args: readonly string[]): { help: true } | { help: false; options: EvictOptions } {
  const { help, values } = parseOptions(args, { hospital: { type: 'string' }, id: { type: 'string' }, 'dry-run': { type: 'boolean' }, ...JSON_OPTION }, EVICT_USAGE);
  if (help) return { help: true };
  const hospital = parseHospital(stringValue(values, 'hospital'), EVICT_USAGE);
  const id = stringValue(values, 'id')?.trim();
  if (!id) throw new UsageError('--id is required (the id npm run cache -- keys shows)', EVICT_USAGE);
  const parsed = parseEntryId(id);
  if (parsed === null) throw new UsageError(`"${id}" is not a cached answer's id (npm run cache -- keys shows them)`, EVICT_USAGE);
  return { help: false, options: { hospital, id, scope: parsed.scope, key: parsed.key, dryRun: values['dry-run'] === true, json: values.json === true } };
}

export async function runEvict(ctx: CliContext, options: EvictOptions): Promise<number> {
  if (options.hospital !== null && options.hospital !== options.scope) {
    throw new CliFailure(`${options.id} names an answer of hospital ${options.scope}, not of hospital ${options.hospital}; nothing removed`, 1);
  }
  const [hospital] = await ctx.hospitals(options.scope);
  const { store } = ctx.gateway.cache;
  const found = await store.describe(hospital.id, options.key);
  if (!found) throw new CliFailure(`no cached answer has id ${options.id} in hospital ${hospital.id} (it expired, or was already evicted or invalidated)`, 1);
  const entry = explorerEntry(hospital.id, found, Date.now());
  const evicted = options.dryRun ? false : await store.evict(hospital.id, options.key);
  if (options.json) {
    printJson(ctx, { hospitalId: hospital.id, dryRun: options.dryRun, evicted, entry });
  } else {
    ctx.out(`evict${options.dryRun ? ' --dry-run' : ''}: hospital ${hospital.id}: ${options.dryRun ? 'would remove' : evicted ? 'removed' : 'found nothing to remove (it went meanwhile)'}`);
    for (const l of entryLines(entry)) ctx.out(`  ${l}`);
  }
  return 0;
}

export const evictCommand: Command = {
  name: 'evict',
  summary: 'remove one cached answer by the id the key explorer shows',
  usage: EVICT_USAGE,
  prepare(args) {
    const parsed = parseEvictArgs(args);
    return parsed.help ? parsed : { help: false, run: (ctx) => runEvict(ctx, parsed.options) };
  },
};
