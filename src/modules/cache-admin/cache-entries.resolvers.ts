import { GraphQLError } from 'graphql';
import { StoreReadError, StoreWriteError } from '../../cache';
import { BadUserInputError, ErrorCode } from '../../errors/errors';
import { principalOf } from '../../graphql/context';
import type { Resolvers } from '../../graphql/generated/resolvers-types';
import type { CacheAdminDeps } from './deps';
import { entryId, parseEntryId } from './entry-id';

/** The contract's bounds on one page of the explorer. */
export const MAX_ENTRIES_PAGE = 500;

/** The store did not answer: a clear, retryable error instead of an empty page or a false "gone". */
async function answered<T>(what: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (!(err instanceof StoreReadError || err instanceof StoreWriteError)) throw err;
    throw new GraphQLError(`The cache store did not answer ${what}; retry shortly`, { extensions: { code: ErrorCode.ServiceUnavailable, retryable: true } });
  }
}

/**
 * cacheEntries and evictCacheEntry: the key explorer, confined to the caller's hospital (the
 * store lists one scope from its own indexes: see src/cache/stores/redis-explore.ts for the cost).
 */
export function cacheEntriesResolvers(deps: CacheAdminDeps): Resolvers {
  const { store } = deps.cache;
  return {
    Query: {
      cacheEntries: async (_, { operationName, first }, ctx) => {
        const scope = principalOf(ctx).hospitalId;
        const n = first ?? 50;
        if (n < 1 || n > MAX_ENTRIES_PAGE) throw new BadUserInputError(`first must be between 1 and ${MAX_ENTRIES_PAGE}, got ${n}`, 'first');
        const page = await answered('the listing', store.list(scope, { operationName: operationName ?? null, first: n }));
        const now = Date.now();
        return {
          totalCount: page.totalCount,
          entries: page.entries.map((e) => ({
            id: entryId(scope, e.key),
            operationName: e.operationName,
            variables: e.variables,
            bytes: e.bytes,
            ageMs: Math.max(0, now - e.storedAt),
            expiresInMs: e.freshUntil - now,
            tags: [...e.tags],
          })),
        };
      },
    },
    Mutation: {
      evictCacheEntry: async (_, { id }, ctx) => {
        const scope = principalOf(ctx).hospitalId;
        const parsed = parseEntryId(id);
        if (!parsed) throw new BadUserInputError(`"${id}" is not a cache entry id (ids come from cacheEntries)`, 'id');
        // Another hospital's id: not there, as far as this hospital is concerned.
        if (parsed.scope !== scope) return false;
        return answered('the eviction', store.evict(scope, parsed.key));
      },
    },
  };
}
