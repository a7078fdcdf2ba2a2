import { getOperationAST, isObjectType, parse, TypeInfo, visit, visitWithTypeInfo, type GraphQLSchema } from 'graphql';
// The cache's own declarations (which facet a field is, what each change evicts): the events
// are derived from the very tags the cache evicts, so they are read where they are declared.
import { ENTITY_FACETS, FEEDS, ROOT_TAGS, rootTag, type ResponseCache } from '../cache';

/**
 * What an invalidation means for the contract's operations: which of their answers changed.
 *
 * Derived, not declared a second time: each operation of the contract is walked against the
 * schema once, collecting the tags its answers can carry (root tags by ROOT_TAGS, entity tags by
 * the types and facets it selects, as src/cache/keying/tags.ts tags a stored answer). A tag an
 * invalidation names then changed exactly the operations whose answers can carry it.
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

interface Shows {
  /** `Q:dashboardStats`, `Q:patient:null`… */
  roots: Set<string>;
  /** `Ward`, `Patient#core`… (type, and facet for faceted types). */
  entities: Set<string>;
}

function showsOf(schema: GraphQLSchema, name: string, text: string): Shows {
  const doc = parse(text);
  const op = getOperationAST(doc, name);
  if (!op || op.operation !== 'query') throw new Error(`Live changes: ${name} is not a query of the contract's operations`);
  const query = schema.getQueryType();
  const shows: Shows = { roots: new Set(), entities: new Set() };
  const typeInfo = new TypeInfo(schema);
  visit(
    doc,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        const field = node.name.value;
        if (!parent || field.startsWith('__')) return;
        if (parent === query) {
          const rule = ROOT_TAGS[field];
          if (rule === 'always') shows.roots.add(rootTag(field));
          else if (rule === 'whenNull') shows.roots.add(rootTag(`${field}:null`));
          return;
        }
        // Objects with an id carry their own tag (the response cache collects them by `id`).
        if (!isObjectType(parent) || !parent.getFields().id) return;
        const facets = ENTITY_FACETS[parent.name];
        shows.entities.add(facets ? `${parent.name}#${facets[field] ?? 'core'}` : parent.name);
      },
    }),
  );
  return shows;
}

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
  const shows = new Map<LiveOperation, Shows>();
  for (const name of LIVE_OPERATIONS) {
    const text = operations.get(name);
    if (!text) throw new Error(`Live changes: the contract has no operation ${name}`);
    shows.set(name, showsOf(schema, name, text));
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
