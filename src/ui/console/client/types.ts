/** The shapes of the console's answers (schema/cache.graphql). */

export interface WarmTargetStatus {
  target: string;
  lastWarmAt: string | null;
  ageMs: number | null;
  ok: boolean | null;
  durationMs: number | null;
  error: string | null;
}

export interface StatsData {
  cacheStats: {
    backend: string;
    hits: number;
    misses: number;
    hitRate: number;
    entries: number;
    invalidations: number;
    lastWarmAt: string | null;
    memoryBytes: number | null;
    targets: WarmTargetStatus[];
    /** `cluster` or `process`: where the figures below come from. */
    figuresScope: string;
    history: HistoryPoint[];
    operations: OperationStats[];
    processes: CacheProcess[];
  };
}

export interface HistoryPoint {
  at: string;
  requests: number;
  hits: number;
  misses: number;
  hitRate: number | null;
  hitP95Ms: number | null;
  missP95Ms: number | null;
  invalidations: number;
}

export interface OperationStats {
  operationName: string;
  hits: number;
  misses: number;
  hitRate: number;
  entries: number;
  bytes: number;
  meanAgeAtHitMs: number | null;
  missP50Ms: number | null;
  missP95Ms: number | null;
}

export interface CacheProcess {
  id: string;
  version: string;
  host: string;
  pid: number;
  startedAt: string;
  lastHeardAt: string;
  hits: number;
  misses: number;
  hitRate: number;
  self: boolean;
}

export interface CacheDependency {
  entity: string;
  change: string;
  property: string | null;
  evicts: string[];
  operations: string[];
}

export interface DependenciesData {
  cacheDependencies: CacheDependency[];
}

export interface CacheEntry {
  id: string;
  operationName: string;
  variables: string;
  bytes: number;
  ageMs: number;
  expiresInMs: number;
  tags: string[];
}

export interface EntriesData {
  cacheEntries: { totalCount: number; entries: CacheEntry[] };
}
