import type { GraphQLSchema } from 'graphql';
import { dependencyMap, type DependencyRow } from '../../cache';
import { loadContractOperations } from '../../contract/operations';
import type { Resolvers } from '../../graphql/generated/resolvers-types';
import type { CacheAdminDeps } from './deps';

/**
 * cacheDependencies: the dependency map (src/cache/invalidation/dependency-map.ts), the same rows
 * as `npm run cache -- deps`. It is a function of the schema and the contract's operations only,
 * so it is derived once per schema (the one this query runs against) and kept.
 */
export function cacheDependenciesResolvers(_deps: CacheAdminDeps): Resolvers {
  const derived = new WeakMap<GraphQLSchema, DependencyRow[]>();
  const mapOf = (schema: GraphQLSchema): DependencyRow[] => {
    let rows = derived.get(schema);
    if (!rows) derived.set(schema, (rows = dependencyMap(schema, loadContractOperations())));
    return rows;
  };
  return {
    Query: {
      cacheDependencies: (_, __, ___, info) =>
        mapOf(info.schema).map(({ entity, change, property, evicts, operations }) => ({ entity, change, property, evicts, operations })),
    },
  };
}
