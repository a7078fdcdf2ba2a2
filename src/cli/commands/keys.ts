import { JSON_OPTION, parseHospital, parseInteger, parseOptions, stringValue, UsageError } from '../args';
import type { Command } from '../command';
import type { CliContext } from '../context';
import { printJson } from '../output';
import { age, bytes, plural } from '../format';
import type { EntryInfo } from '../../cache';
// The very ids GraphQL cacheEntries gives and evictCacheEntry takes.
import { entryId } from '../../modules/cache-admin/entry-id';

export const KEYS_MAX_LIMIT = 500;
export const KEYS_DEFAULT_LIMIT = 50;
/** Tags shown per answer in text; --json has them all (a ward map carries one per patient). */
const TAGS_SHOWN = 8;

export const KEYS_USAGE = `Usage: npm run cache -- keys [--hospital H] [--operation O] [--limit N] [--json]

The key explorer: the cached answers of each hospital, newest first, with their id (for
\`npm run cache -- evict\` and the admin mutation evictCacheEntry), operation, variables, size,
age, time until they stop being served fresh, and invalidation tags. Read from the store's
indexes (no scan of the keyspace); changes nothing.

Options:
  --hospital H    only hospital H (default: every hospital in the database)
  --operation O   only answers of operation O (Dashboard, WardMapping, WardFilters, Patient…)
  --limit N       at most N answers per hospital, 1 to ${KEYS_MAX_LIMIT} (default ${KEYS_DEFAULT_LIMIT})
  --json          one JSON document on stdout: {operationName, limit, hospitals: [{id, name,
                  totalCount, entries: [{id, operationName, variables, bytes, ageMs,
                  expiresInMs, tags}]}]}
  -h, --help      show this help
`;

export interface KeysOptions {
  hospital: number | null;
  operationName: string | null;
  limit: number;
  json: boolean;
}

export function parseKeysArgs(args: readonly string[]): { help: true } | { help: false; options: KeysOptions } {
  const { help, values } = parseOptions(args, { hospital: { type: 'string' }, operation: { type: 'string' }, limit: { type: 'string' }, ...JSON_OPTION }, KEYS_USAGE);
  if (help) return { help: true };
  const operation = stringValue(values, 'operation');
  const operationName = operation === undefined ? null : operation.trim();
  if (operationName === '') throw new UsageError('--operation needs an operation name', KEYS_USAGE);
  return {
    help: false,
    options: {
      hospital: parseHospital(stringValue(values, 'hospital'), KEYS_USAGE),
      operationName,
      limit: parseInteger(stringValue(values, 'limit'), 'limit', { min: 1, max: KEYS_MAX_LIMIT, fallback: KEYS_DEFAULT_LIMIT }, KEYS_USAGE),
      json: values.json === true,
    },
  };
}

/** An answer as the explorer shows it: the fields of the GraphQL CacheEntry. */
export interface ExplorerEntry {
  id: string;
  operationName: string;
  variables: string;
  bytes: number;
  ageMs: number;
  expiresInMs: number;
  tags: readonly string[];
}

export function explorerEntry(hospitalId: number, e: EntryInfo, now: number): ExplorerEntry {
  return {
    id: entryId(hospitalId, e.key),
    operationName: e.operationName,
    variables: e.variables,
    bytes: e.bytes,
    ageMs: Math.max(0, now - e.storedAt),
    expiresInMs: Math.max(0, e.freshUntil - now),
    tags: e.tags,
  };
}

export function entryLines(e: ExplorerEntry): string[] {
  const more = e.tags.length > TAGS_SHOWN ? `, … (+${e.tags.length - TAGS_SHOWN} more)` : '';
  const tags = e.tags.length ? `${e.tags.slice(0, TAGS_SHOWN).join(', ')}${more}` : '(none)';
  return [
    `${e.operationName || '(anonymous)'} ${e.variables}  ${bytes(e.bytes)}  age ${age(e.ageMs)}  expires in ${age(e.expiresInMs)}`,
    `  id    ${e.id}`,
    `  tags  ${e.tags.length}: ${tags}`,
  ];
}

export async function runKeys(ctx: CliContext, options: KeysOptions): Promise<number> {
  const hospitals = await ctx.hospitals(options.hospital);
  const { store } = ctx.gateway.cache;
  const pages = [];
  for (const hospital of hospitals) {
    const page = await store.list(hospital.id, { operationName: options.operationName, first: options.limit });
    const now = Date.now();
    pages.push({ id: hospital.id, name: hospital.name, totalCount: page.totalCount, entries: page.entries.map((e) => explorerEntry(hospital.id, e, now)) });
  }
  if (options.json) {
    printJson(ctx, { operationName: options.operationName, limit: options.limit, hospitals: pages });
    return 0;
  }
  const what = options.operationName === null ? 'cached answer' : `cached ${options.operationName} answer`;
  for (const p of pages) {
    const shown = p.entries.length < p.totalCount ? `${p.entries.length} of ${p.totalCount}` : String(p.totalCount);
    ctx.out(`hospital ${p.id} "${p.name}": ${plural(shown, what)}${p.entries.length ? ', newest first' : ''}`);
    for (const e of p.entries) for (const l of entryLines(e)) ctx.out(`  ${l}`);
  }
  if (hospitals.length === 0) ctx.out('the database has no hospitals');
  return 0;
}

export const keysCommand: Command = {
  name: 'keys',
  summary: 'the key explorer: cached answers with id, operation, variables, size, age, expiry, tags',
  usage: KEYS_USAGE,
  prepare(args) {
    const parsed = parseKeysArgs(args);
    return parsed.help ? parsed : { help: false, run: (ctx) => runKeys(ctx, parsed.options) };
  },
};
