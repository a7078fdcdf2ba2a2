/**
 * The response cache: the only import path from outside src/cache.
 *
 *   keying/        canonical operation text, response keys, tags of an answer
 *   stores/        the store contract, the in-process and Redis stores (reads fail open,
 *                  writes fail closed), Redis timing and liveness
 *   invalidation/  which change feeds which answer (dependencies.ts, checked against the
 *                  schema by declarations.ts; feed.ts applies them for the ORM subscriber and
 *                  for src/capture), admin/CLI plans, purges; operation-tags.ts and
 *                  dependency-map.ts read them back for operators (which write feeds which
 *                  contract operation)
 *   verify/        the self-check of sampled hits
 *   derive.ts      answers derived from other cached answers (a filtered ward map from the whole one)
 *   ticket.ts      one execution's cache state (CacheTicket), owned by the cache
 *   extensions.ts  `extensions.cache`, built in one place
 *   cache.ts       createCache(): the component the gateway builds once
 */
export { createCache, type CacheCaller, type CacheOptions, type CacheSettings, type LookupResult, type ResponseCache } from './cache';
export { CacheTicket } from './ticket';
export type { AnswerDerivation } from './derive';
export { hitSuffix, MISS, type CacheExtension } from './extensions';
export type { SharedAnswer } from './inflight';
export type { CacheCounters } from './stats';
export type { OperationRequest } from './keying/keys';
export type { Fence, Lookup } from './stores/store';
export { createStore, type StoreEvents } from './stores/create-store';
export {
  StoreReadError,
  StoreWriteError,
  tagType,
  type EntryInfo,
  type EntryLabel,
  type EntryPage,
  type OperationCensus,
  type ResponseStore,
  type Selection,
  type StoredResponse,
  type StoreOutcome,
  type StoreState,
} from './stores/store';
export { checkCacheDeclarations } from './invalidation/declarations';
export { ANSWER_TYPES, ENTITY_TYPES, InvalidationPlanError, planInvalidation, type InvalidationStep } from './invalidation/plan';
export { purgeSharedCache } from './invalidation/purge';
export { WriteReport } from './invalidation/write-report';
export { emptyPending, feedChange, feedCollection, type Pending } from './invalidation/feed';
export { ENTITY_FACETS, FEEDS, ROOT_TAGS, rootTag } from './invalidation/dependencies';
export { entityKind, operationTags, type OperationTags } from './invalidation/operation-tags';
export { dependencyMap, type DependencyChange, type DependencyRow } from './invalidation/dependency-map';
export { createMemoryStore } from './stores/memory-store';
export { createRedisStore } from './stores/redis-store';
