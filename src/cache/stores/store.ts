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

/** What a stored answer is, for the key explorer (the cache passes it with each store). */
export interface EntryLabel {
  /** The operation name the client sent (`Dashboard`…); empty for an anonymous operation. */
  operationName: string;
  /** The JSON text of its variables after defaults. */
  variables: string;
}

/** A stored answer as the key explorer, the dry runs and the per-operation figures see it (never its body). */
export interface EntryInfo extends EntryLabel {
  /** The response key (within its scope). */
  key: string;
  /** The stored answer's size (its body). */
  bytes: number;
  storedAt: number;
  freshUntil: number;
  tags: readonly string[];
}

export interface EntryPage {
  /** Fresh answers that match. */
  totalCount: number;
  /** The newest `first` of them, newest first. */
  entries: EntryInfo[];
}

/** One operation's share of a scope's fresh answers. */
export interface OperationCensus {
  operationName: string;
  entries: number;
  bytes: number;
}

/** What an invalidation (or a purge: `all`) would remove, for dry runs. */
export type Selection = { kind: 'tags'; tags: readonly string[] } | { kind: 'type'; typename: string } | { kind: 'all' };

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

/** Thrown when the store did not answer an operator's read (explorer, census, dry-run count) in time. */
export class StoreReadError extends Error {
  override name = 'StoreReadError';
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
  store(scope: number, key: string, body: Buffer, tags: readonly string[], ttlMs: number, fence: Fence, label?: EntryLabel): Promise<StoreOutcome>;
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
  /*
   * The explorer's reads: from the scope's own indexes, never a scan of the keyspace; they
   * change nothing (no counters, no local copies, no lease).
   */
  /** The scope's fresh answers, newest first; `operationName` keeps those of that operation. */
  list(scope: number, filter: { operationName?: string | null; first: number }): Promise<EntryPage>;
  /** One answer's description, or null when it is not there (or no longer fresh). */
  describe(scope: number, key: string): Promise<EntryInfo | null>;
  /** Fresh answers and their bytes per operation. */
  census(scope: number): Promise<OperationCensus[]>;
  /** How many answers an invalidation (or purge) of `selection` would remove now. */
  count(scope: number, selection: Selection): Promise<number>;
  /** Memory the store uses, in bytes (null when it cannot tell). */
  memoryBytes(): Promise<number | null>;
  close(): Promise<void>;
}

/** `Patient:5#core` → `Patient`; `Q:wardMapping` → `Q`. */
export function tagType(tag: string): string {
  const i = tag.indexOf(':');
  return i === -1 ? tag : tag.slice(0, i);
}
