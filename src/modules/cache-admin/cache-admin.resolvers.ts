import { mergeResolvers } from '@graphql-tools/merge';
import type { Resolvers } from '../../graphql/generated/resolvers-types';
import { cacheDependenciesResolvers } from './cache-dependencies.resolvers';
import { cacheEntriesResolvers } from './cache-entries.resolvers';
import { cacheMaintenanceResolvers } from './cache-maintenance.resolvers';
import { cacheStatsResolvers } from './cache-stats.resolvers';
import type { CacheAdminDeps } from './deps';

export type { CacheAdminDeps } from './deps';

/**
 * The admin's cache fields, all admin only (src/auth/policy.ts) and confined to the caller's
 * hospital: figures (cacheStats), maintenance (warmCache, invalidateCache), the key explorer
 * (cacheEntries, evictCacheEntry) and the dependency map (cacheDependencies).
 */
export function cacheAdminResolvers(deps: CacheAdminDeps): Resolvers {
  return mergeResolvers([
    cacheStatsResolvers(deps),
    cacheMaintenanceResolvers(deps),
    cacheEntriesResolvers(deps),
    cacheDependenciesResolvers(deps),
  ]) as Resolvers;
}
