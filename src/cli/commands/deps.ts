import { JSON_OPTION, parseOptions, stringValue, UsageError } from '../args';
import type { Command } from '../command';
import { printJson, type Output } from '../output';
import { ENTITY_TYPES } from '../../cache';

const ENTITIES = [...ENTITY_TYPES, 'Hospital'];

export const DEPS_USAGE = `Usage: npm run cache -- deps [--entity E] [--json]

Prints the dependency map: for each kind of write (an entity created, deleted, a property
updated, a collection's members changed), what it evicts from the cache and which of the
contract's operations' answers it can change. Read from the cache's own declarations
(src/cache/invalidation/dependencies.ts) and the contract's operations: it needs neither the
database nor Redis.

Options:
  --entity E   only writes to E: ${ENTITIES.join(', ')}
  --json       one JSON document on stdout: {dependencies: [{entity, change, property,
               evicts, tags, operations}]}
  -h, --help   show this help

\`{id}\` in a tag is the written row's id, \`{patient}\` the id of the row its patient points at.
`;

export interface DepsOptions {
  entity: string | null;
  json: boolean;
}

export function parseDepsArgs(args: readonly string[]): { help: true } | { help: false; options: DepsOptions } {
  const { help, values } = parseOptions(args, { entity: { type: 'string' }, ...JSON_OPTION }, DEPS_USAGE);
  if (help) return { help: true };
  const raw = stringValue(values, 'entity')?.trim();
  const entity = raw === undefined ? null : (ENTITIES.find((e) => e.toLowerCase() === raw.toLowerCase()) ?? null);
  if (raw !== undefined && entity === null) throw new UsageError(`unknown --entity ${raw}; use ${ENTITIES.join(', ')}`, DEPS_USAGE);
  return { help: false, options: { entity, json: values.json === true } };
}

export async function runDeps(io: Output, options: DepsOptions): Promise<number> {
  // Loaded only now (the schema's modules take a while): usage errors need none of them.
  const [{ dependencyMap }, { buildTypeSchema }, { loadContractOperations }] = await Promise.all([
    import('../../cache'),
    import('../../graphql/schema'),
    import('../../contract/operations'),
  ]);
  const rows = dependencyMap(buildTypeSchema(), loadContractOperations()).filter((r) => options.entity === null || r.entity === options.entity);
  if (options.json) {
    printJson(io, { dependencies: rows });
    return 0;
  }
  const changeOf = (r: (typeof rows)[number]) => (r.property === null ? r.change : `${r.change} ${r.property}`);
  const width = Math.max(...rows.map((r) => changeOf(r).length));
  let entity = '';
  for (const r of rows) {
    if (r.entity !== entity) {
      if (entity) io.out('');
      io.out((entity = r.entity));
    }
    io.out(`  ${changeOf(r).padEnd(width)}  → ${r.operations.length ? r.operations.join(', ') : 'no cached operation'}`);
    io.out(`  ${''.padEnd(width)}    evicts ${r.evicts.length ? r.evicts.join('; ') : 'nothing'}`);
  }
  return 0;
}

export const depsCommand: Command = {
  name: 'deps',
  summary: 'the dependency map: which write evicts what, and the operations it can change',
  usage: DEPS_USAGE,
  prepare(args) {
    const parsed = parseDepsArgs(args);
    return parsed.help ? parsed : { help: false, offline: (io) => runDeps(io, parsed.options) };
  },
};
