import {
  getOperationAST,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { ENTITY_FACETS, ROOT_TAGS, rootTag, type Facet } from '../invalidation/dependencies';

/** What an operation selects, as far as tagging needs it. Computed once per parsed document. */
export interface DocumentShape {
  roots: Array<{ responseKey: string; field: string }>;
  /** For faceted types: the facets the operation selects anywhere in the document. */
  facets: Map<string, Set<Facet>>;
}

function rootFields(document: DocumentNode, set: SelectionSetNode, out: DocumentShape['roots']): void {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      if (!sel.name.value.startsWith('__')) out.push({ responseKey: sel.alias?.value ?? sel.name.value, field: sel.name.value });
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      rootFields(document, sel.selectionSet, out);
    } else {
      const frag = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === sel.name.value);
      if (frag && frag.kind === Kind.FRAGMENT_DEFINITION) rootFields(document, frag.selectionSet, out);
    }
  }
}

export function createShapeAnalyzer(schema: GraphQLSchema) {
  const memo = new WeakMap<DocumentNode, DocumentShape>();
  return function shapeOf(document: DocumentNode, operationName?: string | null): DocumentShape {
    const known = memo.get(document);
    if (known) return known;
    const shape: DocumentShape = { roots: [], facets: new Map() };
    const op = getOperationAST(document, operationName);
    if (op) rootFields(document, op.selectionSet, shape.roots);
    const typeInfo = new TypeInfo(schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          const parent = typeInfo.getParentType()?.name;
          const facetsOfType = parent ? ENTITY_FACETS[parent] : undefined;
          if (!parent || !facetsOfType) return;
          let set = shape.facets.get(parent);
          if (!set) shape.facets.set(parent, (set = new Set()));
          set.add(facetsOfType[node.name.value] ?? 'core');
        },
      }),
    );
    memo.set(document, shape);
    return shape;
  };
}

/** The tags a cached answer carries: its root tags and one per entity (and selected facet). */
export function responseTags(
  shape: DocumentShape,
  data: Record<string, unknown> | null | undefined,
  entities: Iterable<{ typename: string; id?: string | number }>,
): string[] {
  const tags = new Set<string>();
  for (const { responseKey, field } of shape.roots) {
    const rule = ROOT_TAGS[field];
    if (rule === 'always') tags.add(rootTag(field));
    else if (rule === 'whenNull' && data?.[responseKey] == null) tags.add(rootTag(`${field}:null`));
  }
  for (const { typename, id } of entities) {
    if (id == null) continue; // type-level markers: the root tags and facets cover those cases
    const facets = ENTITY_FACETS[typename] ? shape.facets.get(typename) : undefined;
    if (facets) for (const f of facets) tags.add(`${typename}:${id}#${f}`);
    else tags.add(`${typename}:${id}`);
  }
  return [...tags];
}
