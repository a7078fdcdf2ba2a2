/** The shapes figures take once read: one process's, or several merged. */

/** A request's cache outcome, as the request observer records it. */
export type CacheOutcome = 'hit' | 'miss' | 'stale' | 'none';

/** Ten seconds of the series. */
export const SLOT_MS = 10_000;
/** Slots kept: the last hour. */
export const SLOTS = 360;

/** One operation's traffic in one hospital since the process started (or summed over processes). */
export interface OperationTraffic {
  /** A contract operation name, or `other`. */
  operationName: string;
  hits: number;
  misses: number;
  /** Sum of the ages of the answers hits served (ms). */
  ageSumMs: number;
  /** Latency histograms (src/figures/latency.ts layout). */
  hitLatency: Float64Array;
  missLatency: Float64Array;
}

/** Ten seconds of one hospital's traffic. */
export interface SeriesBucket {
  /** Start of the ten seconds (ms since the epoch, a multiple of SLOT_MS). */
  at: number;
  /** Every GraphQL request of the hospital: hits, misses, stale answers and uncached ones (writes, admin). */
  requests: number;
  hits: number;
  misses: number;
  invalidations: number;
  hitLatency: Float64Array;
  missLatency: Float64Array;
}

/** What a process says about itself when it publishes. */
export interface ProcessInfo {
  id: string;
  version: string;
  host: string;
  pid: number;
  /** ms since the epoch. */
  startedAt: number;
  /** When it last published (ms since the epoch); for this very process, now. */
  lastHeardAt: number;
  /** All hospitals, since it started. */
  hits: number;
  misses: number;
}

/** One process's figures for one hospital. */
export interface HospitalFigures {
  operations: OperationTraffic[];
  /** Non-empty ten-second buckets of the last hour, any order. */
  series: SeriesBucket[];
}

/**
 * One hospital's figures: this process's live ones plus, with Redis, every other process's
 * last published ones (`cluster`); this process's only without Redis or when Redis did not
 * answer (`process`).
 */
export interface ClusterFigures {
  scope: 'cluster' | 'process';
  /** When they were read (ms since the epoch). */
  at: number;
  /** Summed over the processes, by operation name. */
  operations: OperationTraffic[];
  /** Summed over the processes, by ten seconds; non-empty buckets only, oldest first. */
  series: SeriesBucket[];
  /** This process first (self: true), then the others, most recently heard first. */
  processes: Array<ProcessInfo & { self: boolean }>;
}
