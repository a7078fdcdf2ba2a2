import type { GraphQLSchema } from 'graphql';
import { ALL_FACETS, FEEDS, rootTag, ROOT_TAGS, type Effect, type Facet } from './dependencies';
import { entityKind, operationTags, type OperationTags } from './operation-tags';

/**
 * The dependency map: for each kind of write (an entity created, deleted, one of its properties
 * updated, a collection's members changed), what it evicts and which of the contract's
 * operations' answers it can change. Read back from the declarations the cache applies (FEEDS
 * through feed.ts; a Hospital change purges its whole scope) and from the contract's operations
 * walked against the schema (operationTags): nothing here is declared a second time. The CLI
 * (`deps`), the admin field cacheDependencies and the console show it.
 */

export type DependencyChange = 'create' | 'delete' | 'update' | 'collection';

export interface DependencyRow {
  /** The entity written: `Patient`, …, `Hospital`. */
  entity: string;
  change: DependencyChange;
  /** The updated property (`*`: any property not listed) or the collection; null for create and delete. */
  property: string | null;
  /** What it evicts, for people: `Patient (itself, facet core)`, `wardMapping (every answer)`. */
  evicts: string[];
  /**
   * The tags it evicts, as patterns: `Patient:{id}#core` (the written row's id),
   * `Patient:{patient}#currentAdmission` (the id of the row its `patient` points at),
   * `Q:wardMapping`; `*` for every answer of the hospital.
   */
  tags: string[];
  /** The contract's cached query operations whose answers can carry one of those tags, in contract order. */
  operations: string[];
}

/** Types whose changes purge their hospital's whole scope (see feedChange). */
const PURGING_TYPES = ['Hospital'] as const;

/** One effect, for people, as tag patterns, and as the entity kinds / root tags it reaches. */
interface Described {
  text: string;
  tags: string[];
  kinds: string[];
  roots: string[];
}

function facetsOf(type: string, facet: Facet | 'all'): Array<Facet | undefined> {
  const facets = ALL_FACETS[type];
  if (!facets) return [undefined];
  return facet === 'all' ? [...facets] : [facet];
}

function facetText(type: string, facet: Facet | 'all'): string {
  if (!ALL_FACETS[type]) return '';
  return facet === 'all' ? ', every facet' : `, facet ${facet}`;
}

function rootText(root: string): string {
  const [field, qualifier] = root.split(':', 2);
  if (qualifier === 'null') return `${field} (answers that were null)`;
  return ROOT_TAGS[field] === 'always' ? `${field} (every answer)` : `${root} (answers tagged ${rootTag(root)})`;
}

function describe(owner: string, e: Effect): Described {
  if ('root' in e) return { text: rootText(e.root), tags: [rootTag(e.root)], kinds: [], roots: [rootTag(e.root)] };
  const self = 'self' in e;
  const type = self ? owner : e.type;
  const facet = self ? e.self : e.facet;
  const who = self ? 'itself' : `its ${e.related}`;
  const idOf = self ? 'id' : e.related;
  const facets = facetsOf(type, facet);
  return {
    text: `${type} (${who}${facetText(type, facet)})`,
    tags: facets.map((f) => `${type}:{${idOf}}${f ? `#${f}` : ''}`),
    kinds: facets.map((f) => entityKind(type, f)),
    roots: [],
  };
}

/**
 * The contract's query operations whose answers can be cached, with the tags they can carry
 * (`operations`: name → text, src/contract/operations.ts loadContractOperations).
 */
export function cachedOperations(schema: GraphQLSchema, operations: ReadonlyMap<string, string>): Map<string, OperationTags> {
  const out = new Map<string, OperationTags>();
  for (const [name, text] of operations) {
    const tags = operationTags(schema, name, text);
    if (tags?.cached) out.set(name, tags);
  }
  return out;
}

/** The map, one row per entity × change, in FEEDS order, then the purging types. */
export function dependencyMap(schema: GraphQLSchema, operations: ReadonlyMap<string, string>): DependencyRow[] {
  const shows = cachedOperations(schema, operations);
  const row = (entity: string, change: DependencyChange, property: string | null, effects: readonly Effect[]): DependencyRow => {
    const described = effects.map((e) => describe(entity, e));
    const kinds = new Set(described.flatMap((d) => d.kinds));
    const roots = new Set(described.flatMap((d) => d.roots));
    const reached = [...shows].filter(([, s]) => [...s.entities].some((k) => kinds.has(k)) || [...s.roots].some((r) => roots.has(r)));
    return {
      entity,
      change,
      property,
      evicts: [...new Set(described.map((d) => d.text))],
      tags: [...new Set(described.flatMap((d) => d.tags))],
      operations: reached.map(([name]) => name),
    };
  };

  const rows: DependencyRow[] = [];
  for (const [entity, feeds] of Object.entries(FEEDS)) {
    rows.push(row(entity, 'create', null, feeds.create), row(entity, 'delete', null, feeds.delete));
    // Listed properties first, then `*` (feedChange: an unlisted property gets `*`, or nothing).
    const listed = Object.keys(feeds.update).filter((p) => p !== '*');
    for (const property of listed) rows.push(row(entity, 'update', property, feeds.update[property]));
    rows.push(row(entity, 'update', '*', feeds.update['*'] ?? []));
    for (const [property, effects] of Object.entries(feeds.collections ?? {})) rows.push(row(entity, 'collection', property, effects));
  }
  const everyOperation = [...shows.keys()];
  for (const entity of PURGING_TYPES) {
    for (const [change, property] of [['create', null], ['delete', null], ['update', '*']] as const) {
      rows.push({ entity, change, property, evicts: ['every answer of the hospital'], tags: ['*'], operations: everyOperation });
    }
  }
  return rows;
}
