/**
 * Which change feeds which cached answer: the one place that says it.
 *
 * A cached response carries tags, all inside its hospital's scope:
 * - entity tags, one per object with an id in the answer: `Ward:3`, `Admission:7`; for types
 *   listed in ENTITY_FACETS, one per facet the operation selects (`Patient:5#core`,
 *   `Patient:5#latestEventAt`), so a new clinical event does not evict a ward map that only
 *   shows the patient's name;
 * - root tags for answers computed over many rows (`Q:dashboardStats`, `Q:wardMapping`…),
 *   which a change can alter without touching any object the answer shows.
 * FEEDS maps each committed ORM change to the tags it must evict.
 */
export type Facet = 'core' | 'latestEventAt' | 'tags' | 'currentAdmission';

/**
 * GraphQL type → field → facet; fields not listed are `core`. The one declaration of facets:
 * ALL_FACETS is derived from it.
 */
export const ENTITY_FACETS: Record<string, Record<string, Facet>> = {
  Patient: { latestEventAt: 'latestEventAt', tags: 'tags', currentAdmission: 'currentAdmission' },
};

export const ALL_FACETS: Record<string, readonly Facet[]> = Object.fromEntries(
  Object.entries(ENTITY_FACETS).map(([type, fields]) => [type, ['core', ...new Set(Object.values(fields))] as Facet[]]),
);

/**
 * How each root query field's answers are tagged, besides their entity tags. Every root query
 * field must be listed (checked when the schema is built, src/cache/invalidation/declarations.ts):
 * - `always`: computed over many rows, so any change to those rows may alter it (a root tag);
 * - `whenNull`: a root tag only when the answer is null (an unknown id may come to exist);
 * - `entityOnly`: its answer is exactly the entities it shows (their tags suffice);
 * - `uncached`: never cached (live data).
 */
export type RootTagRule = 'always' | 'whenNull' | 'entityOnly' | 'uncached';

export const ROOT_TAGS: Record<string, RootTagRule> = {
  dashboardStats: 'always',
  recentPatients: 'always',
  wardMapping: 'always',
  wardFilters: 'always',
  // A null answer (unknown id) turns into a patient when one is registered with that id.
  patient: 'whenNull',
  cacheStats: 'uncached',
  cacheEntries: 'uncached',
  cacheDependencies: 'uncached',
};

/** The root tags a change may name: `Q:<field>` for `always`, `Q:<field>:null` for `whenNull`. */
export function declaredRootTags(): Set<string> {
  const out = new Set<string>();
  for (const [field, rule] of Object.entries(ROOT_TAGS)) {
    if (rule === 'always') out.add(field);
    if (rule === 'whenNull') out.add(`${field}:null`);
  }
  return out;
}

export type Effect =
  | { self: Facet | 'all' }
  | { related: string; type: string; facet: Facet | 'all' }
  | { root: string };

export interface Feeds {
  create: Effect[];
  delete: Effect[];
  /** Changed property → effects; `*` for any property not listed. */
  update: Record<string, Effect[]>;
  /** Collection property (M:N) → effects when its members change. */
  collections?: Record<string, Effect[]>;
}

const self = (facet: Facet | 'all'): Effect => ({ self: facet });
const root = (field: string): Effect => ({ root: field });
const related = (property: string, type: string, facet: Facet | 'all'): Effect => ({ related: property, type, facet });

/** Entity class name → what its changes feed. Hospital changes purge the whole scope. */
export const FEEDS: Record<string, Feeds> = {
  Patient: {
    create: [root('dashboardStats'), root('recentPatients'), root('patient:null')],
    delete: [self('all'), root('dashboardStats'), root('recentPatients'), root('wardMapping')],
    update: {
      name: [self('core'), root('wardMapping')], // the ward map's name search
      status: [self('core'), root('dashboardStats')],
      latestEventAt: [self('latestEventAt'), root('recentPatients')],
      '*': [self('core')],
    },
    collections: { tags: [self('tags'), root('wardMapping')] }, // the ward map's tag filter
  },
  Admission: {
    create: [related('patient', 'Patient', 'currentAdmission'), root('wardMapping')],
    delete: [self('all'), related('patient', 'Patient', 'currentAdmission'), root('wardMapping')],
    update: { '*': [self('all'), related('patient', 'Patient', 'currentAdmission'), root('wardMapping')] },
  },
  // An event shows only through its patient's latestEventAt, whose own change is listed above.
  ClinicalEvent: {
    create: [],
    delete: [self('all'), related('patient', 'Patient', 'latestEventAt'), root('recentPatients')],
    update: { '*': [self('all'), related('patient', 'Patient', 'latestEventAt'), root('recentPatients')] },
  },
  Ward: {
    create: [root('wardMapping'), root('wardFilters')],
    delete: [self('all'), root('wardMapping'), root('wardFilters')],
    update: { '*': [self('all'), root('wardMapping'), root('wardFilters')] },
  },
  Tag: {
    create: [root('wardFilters')],
    delete: [self('all'), root('wardMapping'), root('wardFilters')],
    update: { '*': [self('all'), root('wardMapping'), root('wardFilters')] },
  },
};

/** The tags of one entity: `Type:id` or, for faceted types, `Type:id#facet`. */
export function entityTags(type: string, id: string | number, facet: Facet | 'all'): string[] {
  const facets = ALL_FACETS[type];
  if (!facets) return [`${type}:${id}`];
  return (facet === 'all' ? facets : [facet]).map((f) => `${type}:${id}#${f}`);
}

export const rootTag = (field: string) => `Q:${field}`;
