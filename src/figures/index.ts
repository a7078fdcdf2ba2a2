/**
 * Per-operation and cluster-wide figures: hits, misses, age at hit, latency histograms per
 * hospital and operation, and ten-second buckets of the last hour, recorded by each gateway
 * process from its requests and shared through the cache's Redis. The only import path from
 * outside src/figures.
 *
 *   recorder.ts   the in-process counters (the hit path's share: a few additions, no allocation)
 *   latency.ts    the fixed latency buckets every process uses, so histograms add up exactly
 *   codec.ts      the Redis layout and its encoding
 *   redis.ts      publication of this process's figures, reading of every other process's
 *   merge.ts      several processes' figures as one
 *   figures.ts    one process's figures: record, publish on a timer, read merged
 *   summary.ts    what the admin reads: per-operation rows, history points, the process list
 */
export { createFigures, readPublishedFigures, type Figures, type FiguresOptions } from './figures';
export { historyPoints, HISTORY_MAX_MINUTES, operationRows, processRows, type HistoryPoint, type OperationRow, type ProcessRow } from './summary';
export { bucketBoundMs, latencyBucket, LATENCY_BUCKETS, quantileMs } from './latency';
export { OTHER } from './recorder';
export { SLOT_MS, type CacheOutcome, type ClusterFigures, type OperationTraffic, type ProcessInfo, type SeriesBucket } from './types';
