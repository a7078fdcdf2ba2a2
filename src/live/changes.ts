import type { GraphQLSchema } from 'graphql';
// The cache's own declarations (what each change evicts, which tags an operation's answers
// carry): the events are derived from the very tags the cache evicts, so they are read there.
import { FEEDS, operationTags, type OperationTags, type ResponseCache } from '../cache';

/**
 * What an invalidation means for the contract's operations: which of their answers changed.
 *
 * Derived, not declared a second time: each operation of the contract is walked against the
 * schema once, collecting the tags its answers can carry (operationTags, shared with the
 * dependency map). A tag an invalidation names then changed exactly the operations whose answers
 * can carry it.
 */

/** The operations of operations.graphql a live change names, in the order they are reported. */
export const LIVE_OPERATIONS = ['Dashboard', 'WardMapping', 'WardFilters', 'Patient'] as const;
export type LiveOperation = (typeof LIVE_OPERATIONS)[number];

/** The one operation answered per patient (by its `id` variable): `patientIds` names those. */
const PER_PATIENT: LiveOperation = 'Patient';

/** What the cache invalidated: tags, a type, or the whole hospital (`cache.onInvalidated`). */
export type Invalidated = Parameters<Parameters<ResponseCache['onInvalidated']>[0]>[1];

/** One event's content before it is stamped with its hospital and time. */
export interface ChangeSummary {
  operations: LiveOperation[];
  /** Empty with `Patient` in operations: any patient's answer may have changed. */
  patientIds: string[];
}

/** Every operation, any patient: a purge, a type invalidation, or a gap in what was heard. */
export const everything = (): ChangeSummary => ({ operations: [...LIVE_OPERATIONS], patientIds: [] });

/**
 * Types whose every change that evicts their own tag also evicts the tag of the patient they
 * belong to (FEEDS declares a `related` Patient effect beside each `self` one): a Patient answer
 * showing them is then named by that patient's id, not by "any patient".
 */
function namedThroughPatient(type: string): boolean {
  const feeds = FEEDS[type];
  if (!feeds) return false;
  const lists = [feeds.create, feeds.delete, ...Object.values(feeds.update), ...Object.values(feeds.collections ?? {})];
  return lists.every((effects) => !effects.some((e) => 'self' in e) || effects.some((e) => 'related' in e && e.type === 'Patient'));
}

/** `Patient:5#core` → { type: Patient, id: 5, key: Patient#core }; `Q:…` → null. */
function entityOf(tag: string): { type: string; id: string; key: string } | null {
  const colon = tag.indexOf(':');
  if (colon <= 0 || tag.startsWith('Q:')) return null;
  const type = tag.slice(0, colon);
  const [id, facet] = tag.slice(colon + 1).split('#', 2);
  return { type, id, key: facet ? `${type}#${facet}` : type };
}

/**
 * Builds the interpreter of invalidations for the contract's operations (`operations`: name →
 * text, src/contract/operations.ts). Throws at start if an operation the contract names is
 * missing or is no query.
 */
export function createChangeInterpreter(schema: GraphQLSchema, operations: ReadonlyMap<string, string>) {
  const shows = new Map<LiveOperation, OperationTags>();
  for (const name of LIVE_OPERATIONS) {
    const text = operations.get(name);
    if (!text) throw new Error(`Live changes: the contract has no operation ${name}`);
    const tags = operationTags(schema, name, text);
    if (!tags) throw new Error(`Live changes: ${name} is not a query of the contract's operations`);
    shows.set(name, tags);
  }
  const throughPatient = new Map<string, boolean>();
  const isNamedThroughPatient = (type: string) => {
    let known = throughPatient.get(type);
    if (known === undefined) throughPatient.set(type, (known = namedThroughPatient(type)));
    return known;
  };

  /** Null when the invalidation changed no answer of the contract's operations. */
  return function interpret(what: Invalidated): ChangeSummary | null {
    if (what.kind !== 'tags') return everything();
    const changed = new Set<LiveOperation>();
    const patients = new Set<string>();
    let anyPatient = false;
    let leanedOnPatient = false; // a tag answered for by its patient's tag, which must then be there
    for (const tag of what.tags) {
      const entity = entityOf(tag);
      for (const [name, s] of shows) {
        if (entity ? !s.entities.has(entity.key) : !s.roots.has(tag)) continue;
        changed.add(name);
        if (name !== PER_PATIENT) continue;
        if (!entity) anyPatient = true; // a root tag (`Q:patient:null`: a patient registered)
        else if (entity.type === 'Patient') patients.add(entity.id);
        else if (isNamedThroughPatient(entity.type)) leanedOnPatient = true;
        else anyPatient = true; // a ward or a tag: shown in the answers of patients we cannot name
      }
    }
    if (changed.size === 0) return null;
    if (leanedOnPatient && patients.size === 0) anyPatient = true;
    const ids = changed.has(PER_PATIENT) && !anyPatient ? [...patients].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b)) : [];
    return { operations: LIVE_OPERATIONS.filter((o) => changed.has(o)), patientIds: ids };
  };
}

export type ChangeInterpreter = ReturnType<typeof createChangeInterpreter>;
