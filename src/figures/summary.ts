import type { OperationCensus } from '../cache/stores/store';
import { addInto, LATENCY_BUCKETS, quantileMs } from './latency';
import { OTHER } from './recorder';
import { SLOT_MS, SLOTS, type ClusterFigures, type OperationTraffic } from './types';

/** Figures as the admin reads them (cacheStats, the console, the CLI's `stats`). */

export interface OperationRow {
  operationName: string;
  hits: number;
  misses: number;
  /** hits ÷ (hits + misses); 0 when both are 0. */
  hitRate: number;
  /** Fresh cached answers now, and their bytes (the store's census). */
  entries: number;
  bytes: number;
  meanAgeAtHitMs: number | null;
  missP50Ms: number | null;
  missP95Ms: number | null;
}

export interface HistoryPoint {
  at: Date;
  requests: number;
  hits: number;
  misses: number;
  hitRate: number | null;
  hitP95Ms: number | null;
  missP95Ms: number | null;
  invalidations: number;
}

export interface ProcessRow {
  id: string;
  version: string;
  host: string;
  pid: number;
  startedAt: Date;
  lastHeardAt: Date;
  hits: number;
  misses: number;
  hitRate: number;
  self: boolean;
}

export const HISTORY_MAX_MINUTES = SLOTS / 6;

const rate = (hits: number, misses: number) => (hits + misses === 0 ? 0 : hits / (hits + misses));

/**
 * Traffic by operation joined to what is cached now: every operation of `names` (in that
 * order, then `other`) with a hit, a miss or a cached answer. Census entries under a name
 * outside `names` (or anonymous) count as `other`.
 */
export function operationRows(figures: Pick<ClusterFigures, 'operations'>, census: readonly OperationCensus[], names: Iterable<string>): OperationRow[] {
  const order = [...new Set(names)].filter((n) => n !== OTHER);
  order.push(OTHER);
  const known = new Set(order);
  const cached = new Map<string, { entries: number; bytes: number }>();
  for (const c of census) {
    const name = known.has(c.operationName) ? c.operationName : OTHER;
    const into = cached.get(name) ?? { entries: 0, bytes: 0 };
    cached.set(name, { entries: into.entries + c.entries, bytes: into.bytes + c.bytes });
  }
  // A process of another version may publish names this one's contract lacks: `other` too.
  const traffic = new Map<string, OperationTraffic>();
  for (const op of figures.operations) {
    const name = known.has(op.operationName) ? op.operationName : OTHER;
    const into = traffic.get(name);
    if (!into) traffic.set(name, { ...op, operationName: name, hitLatency: op.hitLatency.slice(), missLatency: op.missLatency.slice() });
    else {
      into.hits += op.hits;
      into.misses += op.misses;
      into.ageSumMs += op.ageSumMs;
      addInto(into.hitLatency, op.hitLatency);
      addInto(into.missLatency, op.missLatency);
    }
  }
  const rows: OperationRow[] = [];
  for (const name of order) {
    const t = traffic.get(name);
    const c = cached.get(name);
    if (!c?.entries && !t?.hits && !t?.misses) continue;
    const hits = t?.hits ?? 0;
    const misses = t?.misses ?? 0;
    rows.push({
      operationName: name,
      hits,
      misses,
      hitRate: rate(hits, misses),
      entries: c?.entries ?? 0,
      bytes: c?.bytes ?? 0,
      meanAgeAtHitMs: t && hits > 0 ? t.ageSumMs / hits : null,
      missP50Ms: t ? quantileMs(t.missLatency, 0.5) : null,
      missP95Ms: t ? quantileMs(t.missLatency, 0.95) : null,
    });
  }
  return rows;
}

/**
 * The last `minutes` (1 to 60) as one point per ten seconds, oldest first, ten seconds without
 * traffic included (zeros); the last point is the ten seconds `figures.at` falls in (partial).
 */
export function historyPoints(figures: Pick<ClusterFigures, 'series' | 'at'>, minutes: number): HistoryPoint[] {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > HISTORY_MAX_MINUTES) throw new RangeError(`minutes must be 1 to ${HISTORY_MAX_MINUTES}`);
  const byAt = new Map(figures.series.map((b) => [b.at, b]));
  const last = Math.floor(figures.at / SLOT_MS) * SLOT_MS;
  const points: HistoryPoint[] = [];
  const empty = new Float64Array(LATENCY_BUCKETS);
  for (let at = last - (minutes * 6 - 1) * SLOT_MS; at <= last; at += SLOT_MS) {
    const b = byAt.get(at);
    const hits = b?.hits ?? 0;
    const misses = b?.misses ?? 0;
    points.push({
      at: new Date(at),
      requests: b?.requests ?? 0,
      hits,
      misses,
      hitRate: hits + misses === 0 ? null : hits / (hits + misses),
      hitP95Ms: quantileMs(b?.hitLatency ?? empty, 0.95),
      missP95Ms: quantileMs(b?.missLatency ?? empty, 0.95),
      invalidations: b?.invalidations ?? 0,
    });
  }
  return points;
}

/** The processes, with their hit rates. */
export function processRows(figures: Pick<ClusterFigures, 'processes'>): ProcessRow[] {
  return figures.processes.map((p) => ({
    id: p.id,
    version: p.version,
    host: p.host,
    pid: p.pid,
    startedAt: new Date(p.startedAt),
    lastHeardAt: new Date(p.lastHeardAt),
    hits: p.hits,
    misses: p.misses,
    hitRate: rate(p.hits, p.misses),
    self: p.self,
  }));
}
