import { useResponseCache, type Cache } from '@envelop/response-cache';
import type { DocumentNode, ExecutionResult, GraphQLSchema } from 'graphql';
import type { Principal } from '../auth/tokens';
import { responseKey, type OperationRequest } from './keys';
import { createCounters, type CacheCounters } from './stats';
import type { Fence, ResponseStore, StoredResponse } from './store';
import { createShapeAnalyzer, responseTags } from './tags';
import type { InvalidationTarget } from './invalidation.subscriber';

export interface CacheSettings {
  /** Default time to live of a cached answer. */
  ttlMs: number;
  /** Per type or schema coordinate (`Query.wardFilters`, `Patient`), in ms; the lowest applies. */
  ttlPerCoordinate: Record<string, number>;
}

/** The cache's view of one request: its scope and key, and what happened to it. */
export interface RequestCacheScope {
  scope: number;
  key: string;
  /** From the lookup on the HTTP fast path; undefined when no lookup ran yet. */
  fence?: Fence;
  cacheable: boolean;
  document?: DocumentNode;
  operationName?: string | null;
  pending: Promise<unknown>[];
  outcome?: { hit: boolean; ageMs: number };
}

export interface ResponseCache {
  readonly store: ResponseStore;
  readonly counters: CacheCounters;
  /** A hit's bytes, or the request's scope for the execution that follows. */
  lookup(principal: Principal, op: OperationRequest): Promise<{ hit: StoredResponse } | { hit: null; scope: RequestCacheScope }>;
  /** The envelop plugin that stores misses (run inside Apollo by src/graphql/executor.ts). */
  plugin(schema: GraphQLSchema): ReturnType<typeof useResponseCache>;
  /** Invalidation entry point for the ORM subscriber and the admin API. */
  readonly invalidation: InvalidationTarget & { invalidateType(scope: number, typename: string): Promise<number> };
}

/** Context objects that may carry a request's cache scope. */
export interface CacheAwareContext {
  cache?: RequestCacheScope | null;
}

export function createResponseCache(store: ResponseStore, settings: CacheSettings): ResponseCache {
  const counters = createCounters();

  function counted(removed: Promise<number>): Promise<number> {
    counters.invalidations += 1;
    return removed.then((n) => {
      counters.invalidatedResponses += n;
      return n;
    });
  }

  return {
    store,
    counters,

    async lookup(principal, op) {
      const scope: RequestCacheScope = { scope: principal.hospitalId, key: responseKey(principal.role, op), cacheable: false, pending: [] };
      const found = await store.lookup(scope.scope, scope.key);
      if (found.hit) {
        counters.hits += 1;
        return { hit: found.hit };
      }
      scope.fence = found.fence;
      return { hit: null, scope };
    },

    plugin(schema) {
      const shapeOf = createShapeAnalyzer(schema);
      // One Cache per request, bound to that request's scope and fence.
      const bound = (ctx: RequestCacheScope): Cache => ({
        async get() {
          if (ctx.fence !== undefined) return null; // the fast path already looked and missed
          const found = await store.lookup(ctx.scope, ctx.key);
          if (found.hit) {
            counters.hits += 1;
            ctx.outcome = { hit: true, ageMs: Math.max(0, Date.now() - found.hit.storedAt) };
            return JSON.parse(found.hit.body.toString('utf8')) as ExecutionResult;
          }
          ctx.fence = found.fence;
          return null;
        },
        set(_id, result, entities, ttl) {
          counters.misses += 1;
          const body = Buffer.from(JSON.stringify({ data: result.data }));
          const tags = ctx.document ? responseTags(shapeOf(ctx.document, ctx.operationName), result.data, entities) : [];
          const outcome = store.store(ctx.scope, ctx.key, body, tags, ttl, ctx.fence ?? null).then((o) => {
            if (o === 'stored') counters.stores += 1;
            else if (o === 'stale') counters.staleSkips += 1;
          });
          ctx.pending.push(outcome);
        },
        invalidate() {
          // Never called: invalidateViaMutation is off; committed ORM changes invalidate instead.
        },
      });
      return useResponseCache<CacheAwareContext>({
        session: (ctx) => (ctx.cache ? String(ctx.cache.scope) : null),
        enabled: (ctx) => ctx.cache?.cacheable === true,
        cache: (ctx) => bound(ctx.cache as RequestCacheScope),
        buildResponseCacheKey: ({ context }) => (context as CacheAwareContext).cache?.key ?? '',
        ttl: settings.ttlMs,
        ttlPerSchemaCoordinate: settings.ttlPerCoordinate,
        invalidateViaMutation: false,
        includeExtensionMetadata: false,
        shouldCacheResult: ({ result }) => !result.errors?.length,
      });
    },

    invalidation: {
      invalidate: (scope, tags) => counted(store.invalidate(scope, tags)),
      invalidateType: (scope, typename) => counted(store.invalidateType(scope, typename)),
      purge: (scope) => counted(store.purge(scope)),
    },
  };
}
