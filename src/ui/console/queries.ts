/**
 * The console's own reads. The contract's CacheStats operation lacks most of what the console
 * shows, so these ask for more; the writes (WarmCache, InvalidateCache, EvictCacheEntry) and the
 * key explorer's read (CacheEntries) are sent exactly as the contract writes them.
 *
 * Every figure comes in one read every few seconds: `cacheStats` gathers all of them at once
 * (store, ledger, figures), so one query per panel would cost the gateway that much more.
 */
export const CONSOLE_QUERIES = {
  /** The cards, the charts (the last hour in 10-second points), operations, processes, warm targets. */
  stats: `query CacheConsole {
  cacheStats {
    backend
    hits
    misses
    hitRate
    entries
    invalidations
    lastWarmAt
    memoryBytes
    targets {
      target
      lastWarmAt
      ageMs
      ok
      durationMs
      error
    }
    figuresScope
    history(minutes: 60) {
      at
      requests
      hits
      misses
      hitRate
      hitP95Ms
      missP95Ms
      invalidations
    }
    operations {
      operationName
      hits
      misses
      hitRate
      entries
      bytes
      meanAgeAtHitMs
      missP50Ms
      missP95Ms
    }
    processes {
      id
      version
      host
      pid
      startedAt
      lastHeardAt
      hits
      misses
      hitRate
      self
    }
  }
}`,
  /** The dependency map: read once (it changes with a deployment, not with traffic). */
  dependencies: `query CacheConsoleDependencies {
  cacheDependencies {
    entity
    change
    property
    evicts
    operations
  }
}`,
} as const;
