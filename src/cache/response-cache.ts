import { useResponseCache, type Cache } from '@envelop/response-cache';
import type { DocumentNode, ExecutionResult, GraphQLSchema } from 'graphql';
import type { Principal } from '../auth/tokens';
import { createCanonicalizer } from './canonical';
import { responseKey, type OperationRequest } from './keys';
import { createCounters, type CacheCounters } from './stats';
import type { Fence, Lookup, ResponseStore, StoredResponse } from './store';
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
  /** From the lookup on the HTTP fast path (or a warm); undefined when no lookup ran yet. */
  fence?: Fence;
  /** An expired copy of the answer, served only if the database cannot answer. */
  stale?: StoredResponse;
  /** What became of the answer (set once the store call finished). */
  stored?: 'stored' | 'stale' | 'skipped';
  cacheable: boolean;
  document?: DocumentNode;
  operationName?: string | null;
  pending: Promise<unknown>[];
  outcome?: { hit: boolean; ageMs: number };
}

export type LookupResult = { hit: StoredResponse } | { hit: null; scope: RequestCacheScope | null };

export interface ResponseCache {
  readonly store: ResponseStore;
  /** All scopes together (for metrics). */
  readonly counters: CacheCounters;
  /** One hospital's counters (for its admin's cacheStats). */
  countersFor(scope: number): CacheCounters;
  /** The hospitals this process has cached or invalidated for. */
  scopes(): number[];
  /** The key a principal's request is cached under. */
  keyFor(principal: Principal, op: OperationRequest): string | null;
  /** Called after every delivered invalidation (the warmer re-warms from here). */
  onInvalidated(listener: (scope: number) => void): void;
  /** A hit's bytes, or the request's scope for the execution that follows. */
  lookup(principal: Principal, op: OperationRequest): LookupResult | Promise<LookupResult>;
  /** The envelop plugin that stores misses (run inside Apollo by src/graphql/executor.ts). */
  plugin(): ReturnType<typeof useResponseCache>;
  /** Invalidation entry point for the ORM subscriber and the admin API. */
  readonly invalidation: InvalidationTarget & { invalidateType(scope: number, typename: string): Promise<number> };
}

/** Context objects that may carry a request's cache scope. */
export interface CacheAwareContext {
  cache?: RequestCacheScope | null;
}

const MAX_KEYS_PER_DOCUMENT = 256;

const EVENT_OF: Record<keyof CacheCounters, string> = {
  hits: 'hit',
  misses: 'miss',
  stores: 'store',
  staleSkips: 'stale_skip',
  invalidations: 'invalidation',
  invalidatedResponses: 'invalidated',
};

export function createResponseCache(
  store: ResponseStore,
  settings: CacheSettings,
  schema: GraphQLSchema,
  /** Every counted event, for metrics. */
  onEvent: (event: string, n: number) => void = () => undefined,
): ResponseCache {
  const canonical = createCanonicalizer(schema);

  /**
   * Null when the request is not a cacheable query. Answers to queries that any reader may run
   * do not depend on the role, so all roles share them ("reader" class); others are per role.
   */
  function keyFor(principal: Principal, op: OperationRequest): string | null {
    const c = canonical(op);
    if (!c) return null;
    const roleClass = c.requiredRole === 'viewer' ? 'reader' : principal.role;
    const id = `${roleClass}\0${c.variables}`;
    let key = c.keys.get(id);
    if (key === undefined) {
      key = responseKey(roleClass, c.text, c.variables);
      // Bounded per document: variables a client varies without end are hashed each time.
      if (c.keys.size < MAX_KEYS_PER_DOCUMENT && c.variables.length <= 512) c.keys.set(id, key);
    }
    return key;
  }

  const counters = createCounters();
  const perScope = new Map<number, CacheCounters>();
  const listeners: Array<(scope: number) => void> = [];
  const countersFor = (scope: number): CacheCounters => {
    let c = perScope.get(scope);
    if (!c) perScope.set(scope, (c = createCounters()));
    return c;
  };
  const count = (scope: number, field: keyof CacheCounters, n = 1) => {
    counters[field] += n;
    countersFor(scope)[field] += n;
    onEvent(EVENT_OF[field], n);
  };

  async function counted(scope: number, removed: Promise<number>): Promise<number> {
    const n = await removed;
    count(scope, 'invalidations');
    count(scope, 'invalidatedResponses', n);
    for (const listener of listeners) listener(scope);
    return n;
  }

  return {
    store,
    counters,
    countersFor,
    scopes: () => [...perScope.keys()],
    keyFor,
    onInvalidated: (listener) => void listeners.push(listener),

    lookup(principal, op) {
      const key = keyFor(principal, op);
      if (key === null) return { hit: null, scope: null };
      const scope: RequestCacheScope = { scope: principal.hospitalId, key, cacheable: false, pending: [] };
      const settle = (found: Lookup): LookupResult => {
        if (found.hit) {
          count(scope.scope, 'hits');
          return { hit: found.hit };
        }
        scope.fence = found.fence;
        scope.stale = found.stale;
        return { hit: null, scope };
      };
      const found = store.lookup(scope.scope, scope.key);
      return found instanceof Promise ? found.then(settle) : settle(found);
    },

    plugin() {
      const shapeOf = createShapeAnalyzer(schema);
      // One Cache per request, bound to that request's scope and fence.
      const bound = (ctx: RequestCacheScope): Cache => ({
        async get() {
          if (ctx.fence !== undefined) return null; // the fast path already looked and missed
          const found = await store.lookup(ctx.scope, ctx.key);
          if (found.hit) {
            count(ctx.scope, 'hits');
            ctx.outcome = { hit: true, ageMs: Math.max(0, Date.now() - found.hit.storedAt) };
            return JSON.parse(found.hit.body.toString('utf8')) as ExecutionResult;
          }
          ctx.fence = found.fence;
          return null;
        },
        set(_id, result, entities, ttl) {
          count(ctx.scope, 'misses');
          const body = Buffer.from(JSON.stringify({ data: result.data }));
          const tags = ctx.document ? responseTags(shapeOf(ctx.document, ctx.operationName), result.data, entities) : [];
          const outcome = store.store(ctx.scope, ctx.key, body, tags, ttl, ctx.fence ?? null).then((o) => {
            ctx.stored = o;
            if (o === 'stored') count(ctx.scope, 'stores');
            else if (o === 'stale') count(ctx.scope, 'staleSkips');
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
        // Live admin data is never cached.
        ttlPerSchemaCoordinate: { 'Query.cacheStats': 0, ...settings.ttlPerCoordinate },
        invalidateViaMutation: false,
        includeExtensionMetadata: false,
        shouldCacheResult: ({ result }) => !result.errors?.length,
      });
    },

    invalidation: {
      invalidate: (scope, tags) => counted(scope, store.invalidate(scope, tags)),
      invalidateType: (scope, typename) => counted(scope, store.invalidateType(scope, typename)),
      purge: (scope) => counted(scope, store.purge(scope)),
    },
  };
}
