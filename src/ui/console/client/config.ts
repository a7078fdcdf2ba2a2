/** What the page hands the client in `<script type="application/json" id="console-config">` (page.ts). */
export interface ConsoleConfig {
  /** Where every request goes (POST, same origin). */
  endpoint: string;
  /** How often the figures are read again. */
  refreshMs: number;
  /** GraphQL text of each read and write, by what it is for. */
  operations: {
    stats: string;
    dependencies: string;
    /** The contract's CacheEntries and EvictCacheEntry, WarmCache and InvalidateCache, verbatim. */
    entries: string;
    evict: string;
    warm: string;
    invalidate: string;
  };
  /** Warm targets shown before the first answer arrives. */
  targets: readonly string[];
  /** What "Invalidate type" offers. */
  typenames: readonly string[];
  /** The contract's cacheable queries, offered by the key explorer's operation search. */
  cachedOperations: readonly string[];
}
