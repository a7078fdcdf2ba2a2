import { isObjectType, type GraphQLSchema } from 'graphql';
import { ALL_FACETS, declaredRootTags, ENTITY_FACETS, FEEDS, ROOT_TAGS, type Effect } from './dependencies';
import { ANSWER_TYPES } from './plan';

/**
 * Checks the dependency declarations against the schema, when the schema is built: a root
 * field nobody declared, a facet of a field that does not exist, or a change that names a tag
 * no answer carries would otherwise make answers silently stale. Throws listing every problem.
 */
export function checkCacheDeclarations(schema: GraphQLSchema): void {
  const problems: string[] = [];
  const query = schema.getQueryType()?.getFields() ?? {};
  for (const field of Object.keys(query)) {
    if (!ROOT_TAGS[field]) problems.push(`Query.${field} has no entry in ROOT_TAGS (always, whenNull, entityOnly or uncached)`);
  }
  for (const field of Object.keys(ROOT_TAGS)) {
    if (!query[field]) problems.push(`ROOT_TAGS names ${field}, which is not a Query field`);
  }
  for (const [type, fields] of Object.entries(ENTITY_FACETS)) {
    const t = schema.getType(type);
    if (!t || !isObjectType(t)) {
      problems.push(`ENTITY_FACETS names ${type}, which is not an object type`);
      continue;
    }
    for (const field of Object.keys(fields)) {
      if (!t.getFields()[field]) problems.push(`ENTITY_FACETS names ${type}.${field}, which does not exist`);
    }
  }
  const roots = declaredRootTags();
  const checkEffect = (where: string, e: Effect, owner: string) => {
    if ('root' in e) {
      if (!roots.has(e.root)) problems.push(`${where}: root tag ${e.root} is carried by no answer (see ROOT_TAGS)`);
      return;
    }
    const type = 'self' in e ? owner : e.type;
    const facet = 'self' in e ? e.self : e.facet;
    if (!schema.getType(type)) problems.push(`${where}: ${type} is not a type of the schema`);
    if (facet !== 'all' && !(ALL_FACETS[type] ?? []).includes(facet)) problems.push(`${where}: ${type} has no facet ${facet}`);
  };
  for (const [entity, feeds] of Object.entries(FEEDS)) {
    for (const kind of ['create', 'delete'] as const) feeds[kind].forEach((e) => checkEffect(`FEEDS.${entity}.${kind}`, e, entity));
    for (const [prop, effects] of Object.entries(feeds.update)) effects.forEach((e) => checkEffect(`FEEDS.${entity}.update.${prop}`, e, entity));
    for (const [prop, effects] of Object.entries(feeds.collections ?? {})) effects.forEach((e) => checkEffect(`FEEDS.${entity}.collections.${prop}`, e, entity));
  }
  for (const [answer, fields] of Object.entries(ANSWER_TYPES)) {
    for (const f of fields) if (ROOT_TAGS[f] !== 'always') problems.push(`ANSWER_TYPES.${answer} names ${f}, which carries no root tag`);
  }
  if (problems.length) throw new Error(`Cache dependency declarations are incomplete (src/cache/invalidation/dependencies.ts):\n  - ${problems.join('\n  - ')}`);
}

/** Schema coordinates never cached (ttl 0), from ROOT_TAGS. */
export function uncachedCoordinates(): Record<string, number> {
  return Object.fromEntries(Object.entries(ROOT_TAGS).filter(([, rule]) => rule === 'uncached').map(([field]) => [`Query.${field}`, 0]));
}
