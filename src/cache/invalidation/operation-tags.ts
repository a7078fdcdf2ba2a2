import { getOperationAST, isObjectType, parse, TypeInfo, visit, visitWithTypeInfo, type GraphQLSchema } from 'graphql';
import { ENTITY_FACETS, ROOT_TAGS, rootTag } from './dependencies';

/**
 * The tags a query operation's answers can carry, read from its text against the schema, the
 * way src/cache/keying/tags.ts tags a stored answer: root tags by ROOT_TAGS, and one entity tag
 * per object with an id (the response cache selects the id itself when the operation does not),
 * with the facets of ENTITY_FACETS for faceted types. Shared by live changes (which operations an
 * invalidation changed) and the dependency map (which operations a write can change).
 */
export interface OperationTags {
  /** Root tags: `Q:dashboardStats`, `Q:patient:null`… */
  roots: Set<string>;
  /** Entity kinds: `Ward`, `Patient#core`… (the type, and the facet for faceted types). */
  entities: Set<string>;
  /** False when every root field is `uncached`: no answer of it is ever stored. */
  cached: boolean;
}

/** `Patient` + `core` → `Patient#core`; `Ward` → `Ward` (unfaceted types have one kind). */
export const entityKind = (type: string, facet?: string): string => (ENTITY_FACETS[type] && facet ? `${type}#${facet}` : type);

/**
 * Walks one operation (`name` in `text`). Fields under an `uncached` root add nothing (their
 * answers are never stored). Null when `name` is not a query of `text` (a mutation, a
 * subscription, or missing): no answer of it is cached.
 */
export function operationTags(schema: GraphQLSchema, name: string, text: string): OperationTags | null {
  const doc = parse(text);
  const op = getOperationAST(doc, name);
  if (!op || op.operation !== 'query') return null;
  const query = schema.getQueryType();
  const shows: OperationTags = { roots: new Set(), entities: new Set(), cached: false };
  const typeInfo = new TypeInfo(schema);
  visit(
    doc,
    visitWithTypeInfo(typeInfo, {
      // The document's fragments are walked where they are defined; other operations not at all.
      OperationDefinition: (node) => (node === op ? undefined : false),
      Field(node) {
        const parent = typeInfo.getParentType();
        const field = node.name.value;
        if (!parent || field.startsWith('__')) return undefined;
        if (parent === query) {
          const rule = ROOT_TAGS[field];
          if (rule === 'always') shows.roots.add(rootTag(field));
          else if (rule === 'whenNull') shows.roots.add(rootTag(`${field}:null`));
          // Never cached: nothing below can be evicted from the cache.
          if (rule === 'uncached') return false;
          shows.cached = true;
          return undefined;
        }
        // Objects with an id carry their own tag (the response cache collects them by `id`).
        if (!isObjectType(parent) || !parent.getFields().id) return undefined;
        shows.entities.add(entityKind(parent.name, ENTITY_FACETS[parent.name]?.[field] ?? 'core'));
        return undefined;
      },
    }),
  );
  return shows;
}
