import type { HistoryPoint } from './types';

/** Points per minute: the history has one point per 10 seconds. */
const POINTS_PER_MINUTE = 6;

type Series = Array<number | null>;

export interface ChartData {
  /** Unix seconds of each point's start (uPlot's time axis). */
  x: number[];
  hitRatePct: Series;
  requestsPerS: Series;
  missesPerS: Series;
  /** p95 latencies in ms; null where none, or not above 0 (the latency chart is logarithmic). */
  hitP95Ms: Series;
  missP95Ms: Series;
  /** Invalidations in the minute ending with each point (the point and the five before it). */
  invalidationsPerMin: Series;
}

export interface HourTotals {
  requests: number;
  hits: number;
  misses: number;
  invalidations: number;
  /** hits ÷ (hits + misses) over the hour; null without either. */
  hitRate: number | null;
  /** The busiest 10 seconds, in requests per second. */
  peakRequestsPerS: number;
  /** The newest point's p95s that are not null. */
  lastHitP95Ms: number | null;
  lastMissP95Ms: number | null;
}

const positive = (v: number | null): number | null => (v != null && v > 0 ? v : null);

/** The history as the charts' columns (oldest first, as the API sends it). */
export function chartData(points: HistoryPoint[]): ChartData {
  const invalidations = points.map((p) => p.invalidations);
  return {
    x: points.map((p) => Date.parse(p.at) / 1000),
    hitRatePct: points.map((p) => (p.hitRate == null ? null : p.hitRate * 100)),
    requestsPerS: points.map((p) => p.requests / 10),
    missesPerS: points.map((p) => p.misses / 10),
    hitP95Ms: points.map((p) => positive(p.hitP95Ms)),
    missP95Ms: points.map((p) => positive(p.missP95Ms)),
    invalidationsPerMin: invalidations.map((_, i) => invalidations.slice(Math.max(0, i - POINTS_PER_MINUTE + 1), i + 1).reduce((a, b) => a + b, 0)),
  };
}

export function hourTotals(points: HistoryPoint[]): HourTotals {
  const sum = (f: (p: HistoryPoint) => number): number => points.reduce((a, p) => a + f(p), 0);
  const hits = sum((p) => p.hits);
  const misses = sum((p) => p.misses);
  const lastOf = (f: (p: HistoryPoint) => number | null): number | null => {
    for (let i = points.length - 1; i >= 0; i--) {
      const v = f(points[i]);
      if (v != null) return v;
    }
    return null;
  };
  return {
    requests: sum((p) => p.requests),
    hits,
    misses,
    invalidations: sum((p) => p.invalidations),
    hitRate: hits + misses === 0 ? null : hits / (hits + misses),
    peakRequestsPerS: points.reduce((a, p) => Math.max(a, p.requests / 10), 0),
    lastHitP95Ms: lastOf((p) => p.hitP95Ms),
    lastMissP95Ms: lastOf((p) => p.missP95Ms),
  };
}
