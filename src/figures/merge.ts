import { addInto, LATENCY_BUCKETS } from './latency';
import { SLOT_MS, SLOTS, type HospitalFigures, type OperationTraffic, type SeriesBucket } from './types';

/**
 * Several processes' figures of one hospital as one: counters and histogram buckets added by
 * operation name and by ten seconds (exact, the buckets being the same everywhere). Buckets
 * older than the hour before `now` are left out.
 */
export function mergeFigures(parts: readonly HospitalFigures[], now: number): Pick<HospitalFigures, 'operations' | 'series'> {
  const operations = new Map<string, OperationTraffic>();
  const series = new Map<number, SeriesBucket>();
  const oldest = (Math.floor(now / SLOT_MS) - SLOTS + 1) * SLOT_MS;
  for (const part of parts) {
    for (const op of part.operations) {
      let into = operations.get(op.operationName);
      if (!into) operations.set(op.operationName, (into = { operationName: op.operationName, hits: 0, misses: 0, ageSumMs: 0, hitLatency: new Float64Array(LATENCY_BUCKETS), missLatency: new Float64Array(LATENCY_BUCKETS) }));
      into.hits += op.hits;
      into.misses += op.misses;
      into.ageSumMs += op.ageSumMs;
      addInto(into.hitLatency, op.hitLatency);
      addInto(into.missLatency, op.missLatency);
    }
    for (const b of part.series) {
      if (b.at < oldest) continue;
      let into = series.get(b.at);
      if (!into) series.set(b.at, (into = { at: b.at, requests: 0, hits: 0, misses: 0, invalidations: 0, hitLatency: new Float64Array(LATENCY_BUCKETS), missLatency: new Float64Array(LATENCY_BUCKETS) }));
      into.requests += b.requests;
      into.hits += b.hits;
      into.misses += b.misses;
      into.invalidations += b.invalidations;
      addInto(into.hitLatency, b.hitLatency);
      addInto(into.missLatency, b.missLatency);
    }
  }
  return { operations: [...operations.values()], series: [...series.values()].sort((a, b) => a.at - b.at) };
}
