/**
 * The contract every response store keeps (in-process and Redis). A scope is a hospital: every
 * key, tag and fence lives inside one scope, and nothing crosses scopes.
 *
 * Freshness rests on the fence: `lookup` returns, on a miss, the scope's invalidation counter
 * as it was *before* the miss reads any data; each invalidation records, per tag it removes,
 * the counter value it moved to. `store` writes only if none of the answer's tags (nor their
 * types, nor the whole scope) was invalidated after the fence was read, atomically. A write
 * that commits and invalidates while a miss is in flight therefore makes that miss's (possibly
 * older) answer unstorable if, and only if, it feeds that answer: the same declarations that
 * would have evicted the answer decide.
 */
export interface StoredResponse {
  /** The serialised `{"data":…}` body, exactly as it is sent. */
  body: Buffer;
  /** Epoch ms when it was stored (for `extensions.cache.ageMs`). */
  storedAt: number;
  /** Epoch ms until which it is served as a hit; after that it is kept only as a stale copy. */
  freshUntil: number;
}

/** Opaque token from a miss; null means "do not store" (the store is degraded). */
export type Fence = string | null;

/**
 * A miss may carry the stale copy of an expired answer: served only when the database cannot
 * answer ("serve stale on error"). Invalidated answers are deleted, never kept as stale copies.
 */
export type Lookup =
  /** A hit carries the fence read with it (atomically), for the self-check. */
  | { hit: StoredResponse; fence: Fence }
  | { hit: null; fence: Fence; stale?: StoredResponse };

export type StoreOutcome = 'stored' | 'stale' | 'skipped';

export type StoreState = 'up' | 'degraded';

/**
 * A write about to commit, announced to the store first. While it is open the scope's answers
 * are served as usual (the write has not returned yet); if it is neither confirmed by an
 * invalidation nor released before its deadline (its writer died, or lost the store after the
 * commit), every process treats the scope as unservable and purges it before serving it again.
 */
export interface WriteIntent {
  readonly id: string;
  readonly scope: number;
}

/** Thrown when the store did not confirm a write-side call (intent, invalidation, purge) in time. */
export class StoreWriteError extends Error {
  override name = 'StoreWriteError';
}

export interface ResponseStore {
  readonly backend: 'memory' | 'redis';
  state(): StoreState;
  /** May answer without a promise (the in-process store), so a hit costs no extra microtask. */
  lookup(scope: number, key: string): Lookup | Promise<Lookup>;
  /**
   * The scope's fence without a lookup, for a refresh that must replace a cached answer. Also
   * the scope's invalidation count (each invalidation advances it by one).
   */
  fence(scope: number): Promise<Fence>;
  /** Stores unless something the answer carries was invalidated since `fence` was read ('stale'). */
  store(scope: number, key: string, body: Buffer, tags: readonly string[], ttlMs: number, fence: Fence): Promise<StoreOutcome>;
  /**
   * Claims the computation of `key` for up to `ms`, so identical misses across processes run
   * once. A release function: compute (also when the store cannot tell); null: another caller
   * computes it now, wait for its stored answer.
   */
  lease(scope: number, key: string, ms: number): Promise<(() => void) | null>;
  /*
   * Write side: never skipped because of local state, never answered from a fallback. Each
   * resolves only once the store confirmed it, and rejects with StoreWriteError otherwise.
   */
  /** Announces a write to `scope` before it commits (see WriteIntent). */
  beginWrite(scope: number): Promise<WriteIntent>;
  /** Closes an intent whose transaction rolled back (best effort: an unclosed one only purges). */
  releaseWrite(intent: WriteIntent): Promise<void>;
  /** Removes every response carrying one of `tags` and closes `intent`; returns how many were removed. */
  invalidate(scope: number, tags: readonly string[], intent?: WriteIntent): Promise<number>;
  /** Removes every response carrying any tag of `typename` (e.g. every `Patient:*`). */
  invalidateType(scope: number, typename: string): Promise<number>;
  /** Removes every response of the scope (and closes `intent`). */
  purge(scope: number, intent?: WriteIntent): Promise<number>;
  /**
   * True when the scope's fence is still `fence` and no write intent is open: no write has
   * committed-but-not-invalidated or invalidated since `fence` was read (the self-check's test).
   */
  quiet(scope: number, fence: Fence): Promise<boolean>;
  /** Removes one response (a verification found it wrong); true when it was there. */
  evict(scope: number, key: string): Promise<boolean>;
  /** Live entries of the scope. */
  entries(scope: number): Promise<number>;
  /** Memory the store uses, in bytes (null when it cannot tell). */
  memoryBytes(): Promise<number | null>;
  close(): Promise<void>;
}

/** `Patient:5#core` → `Patient`; `Q:wardMapping` → `Q`. */
export function tagType(tag: string): string {
  const i = tag.indexOf(':');
  return i === -1 ? tag : tag.slice(0, i);
}
