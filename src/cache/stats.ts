/** Counters since start, per gateway process. */
export interface CacheCounters {
  hits: number;
  misses: number;
  stores: number;
  /** Misses whose answer was not stored because a write feeding it was invalidated meanwhile. */
  staleSkips: number;
  /** Misses that waited for another process computing the same answer, and got it (a hit). */
  leaseHits: number;
  /** Hits answered from another cached answer (a filtered ward map from the whole one). */
  derivedHits: number;
  /** Invalidation requests delivered (writes and admin calls). */
  invalidations: number;
  /** Cached responses those invalidations removed. */
  invalidatedResponses: number;
  /** Hits recomputed in the background to check them (CACHE_VERIFY_RATE). */
  verifications: number;
  /** Verified hits whose recomputation differed under an unchanged fence (evicted). */
  verifyMismatches: number;
}

export function createCounters(): CacheCounters {
  return { hits: 0, misses: 0, stores: 0, staleSkips: 0, leaseHits: 0, derivedHits: 0, invalidations: 0, invalidatedResponses: 0, verifications: 0, verifyMismatches: 0 };
}
