import { entityTags, rootTag } from './dependencies';

/** A row id as clients send it (`"12"`): a positive safe integer, or null. */
function parseId(id: string | number): number | null {
  const s = String(id);
  if (!/^[1-9][0-9]{0,14}$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * What an operator (`npm run cache -- invalidate`) or an admin (`invalidateCache`) may name, and
 * what that removes; free of GraphQL and CLI concerns so that both use it.
 *
 * - an entity type without id (`Patient`): every answer showing any object of that type;
 * - an entity with id (`Patient` 5): every answer showing that object, all facets;
 * - an answer (`WardMapping`): every answer computed over the rows of that page (root tags).
 */
export const ENTITY_TYPES: readonly string[] = ['Patient', 'Ward', 'Tag', 'Admission', 'ClinicalEvent'];
export const ANSWER_TYPES: Readonly<Record<string, readonly string[]>> = {
  DashboardStats: ['dashboardStats'],
  RecentPatients: ['recentPatients'],
  WardMapping: ['wardMapping'],
  WardFilters: ['wardFilters'],
};
export const TYPENAMES: readonly string[] = [...ENTITY_TYPES, ...Object.keys(ANSWER_TYPES)];

export type InvalidationStep = { kind: 'type'; typename: string } | { kind: 'tags'; tags: string[] };

export class InvalidationPlanError extends Error {
  override name = 'InvalidationPlanError';
  constructor(
    message: string,
    readonly field: 'typename' | 'id',
  ) {
    super(message);
  }
}

/** Validates one request; throws InvalidationPlanError before anything is removed. */
export function planInvalidation(typename: string, id?: string | number | null): InvalidationStep {
  const answer = ANSWER_TYPES[typename];
  if (answer) {
    if (id != null) throw new InvalidationPlanError(`${typename} is a whole answer and takes no id`, 'id');
    return { kind: 'tags', tags: answer.map(rootTag) };
  }
  if (!ENTITY_TYPES.includes(typename)) {
    throw new InvalidationPlanError(`Unknown typename ${typename}; use one of ${TYPENAMES.join(', ')}`, 'typename');
  }
  if (id == null) return { kind: 'type', typename };
  const rowId = parseId(id);
  if (rowId === null) throw new InvalidationPlanError(`${id} is not a valid id`, 'id');
  return { kind: 'tags', tags: entityTags(typename, rowId, 'all') };
}
