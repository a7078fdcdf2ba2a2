import { LATENCY_BUCKETS, latencyBucket } from './latency';
import { SLOT_MS, SLOTS, type CacheOutcome, type HospitalFigures, type OperationTraffic, type SeriesBucket } from './types';

/** The label of every operation name outside the contract (as the request metrics say it). */
export const OTHER = 'other';

interface OperationCounters {
  hits: number;
  misses: number;
  ageSumMs: number;
  hitLatency: Float64Array;
  missLatency: Float64Array;
}

interface Slot {
  /** Which ten seconds (ms since the epoch ÷ SLOT_MS). */
  tick: number;
  requests: number;
  hits: number;
  misses: number;
  invalidations: number;
  hitLatency: Uint32Array;
  missLatency: Uint32Array;
}

interface Hospital {
  /** Indexed like `names`; created on the operation's first hit or miss. */
  operations: Array<OperationCounters | undefined>;
  /** A ring of the last hour: slot tick % SLOTS; created on first use, reused after. */
  slots: Array<Slot | undefined>;
}

/**
 * This process's figures, kept as plain numbers in arrays made once: recording a request is a
 * few map lookups and additions (no allocation once its hospital, operation and ten seconds
 * exist; a new ten seconds reuses the slot of the same ten seconds an hour ago), and no clock
 * read: the current ten seconds is what `setTime` was last told (a timer at each boundary).
 */
export function createRecorder(operationNames: Iterable<string>, now = Date.now()) {
  const names = [...new Set(operationNames)].filter((n) => n !== OTHER);
  names.push(OTHER);
  const indexOf = new Map(names.map((n, i) => [n, i]));
  const otherIndex = names.length - 1;
  const hospitals = new Map<number, Hospital>();
  const totals = { hits: 0, misses: 0 };
  /** The current ten seconds (ms since the epoch ÷ SLOT_MS). */
  let tick = Math.floor(now / SLOT_MS);

  function hospital(id: number): Hospital {
    let h = hospitals.get(id);
    if (!h) hospitals.set(id, (h = { operations: [], slots: [] }));
    return h;
  }

  function slotOf(h: Hospital): Slot {
    const i = tick % SLOTS;
    let s = h.slots[i];
    if (s && s.tick === tick) return s;
    if (!s) {
      h.slots[i] = s = { tick, requests: 0, hits: 0, misses: 0, invalidations: 0, hitLatency: new Uint32Array(LATENCY_BUCKETS), missLatency: new Uint32Array(LATENCY_BUCKETS) };
    } else {
      s.tick = tick;
      s.requests = s.hits = s.misses = s.invalidations = 0;
      s.hitLatency.fill(0);
      s.missLatency.fill(0);
    }
    return s;
  }

  return {
    /** The operation names figures are kept under: the contract's, then `other`. */
    names: names as readonly string[],

    /** Moves to the ten seconds `at` falls in (the figures' timer calls this at each boundary). */
    setTime(at: number): void {
      tick = Math.floor(at / SLOT_MS);
    },
    /** The ten seconds requests are recorded in now (ms since the epoch ÷ SLOT_MS). */
    currentTick: (): number => tick,

    /** One GraphQL request (the request observer calls this; `operation` as it labels metrics). */
    record(operation: string, hospitalId: number | null, cache: CacheOutcome, ageMs: number | null, durationMs: number): void {
      if (hospitalId === null) return; // refused before its token was read: no hospital to count it for
      const h = hospital(hospitalId);
      const slot = slotOf(h);
      slot.requests += 1;
      if (cache !== 'hit' && cache !== 'miss') return;
      const k = indexOf.get(operation) ?? otherIndex;
      let op = h.operations[k];
      if (!op) h.operations[k] = op = { hits: 0, misses: 0, ageSumMs: 0, hitLatency: new Float64Array(LATENCY_BUCKETS), missLatency: new Float64Array(LATENCY_BUCKETS) };
      const bucket = latencyBucket(durationMs);
      if (cache === 'hit') {
        totals.hits += 1;
        op.hits += 1;
        op.ageSumMs += ageMs ?? 0;
        op.hitLatency[bucket] += 1;
        slot.hits += 1;
        slot.hitLatency[bucket] += 1;
      } else {
        totals.misses += 1;
        op.misses += 1;
        op.missLatency[bucket] += 1;
        slot.misses += 1;
        slot.missLatency[bucket] += 1;
      }
    },

    /** One invalidation delivered by this process (cache.onInvalidated). */
    invalidated(hospitalId: number): void {
      slotOf(hospital(hospitalId)).invalidations += 1;
    },

    /** Hits and misses of every hospital since start. */
    totals: (): { hits: number; misses: number } => ({ ...totals }),

    /** The hospitals with figures. */
    hospitalIds: (): number[] => [...hospitals.keys()],

    /**
     * A copy of one hospital's figures; the series holds the non-empty ten seconds of the last
     * hour, or (with `sinceTick`) those from that ten seconds on, for a publication.
     */
    snapshot(hospitalId: number, now = Date.now(), sinceTick = -Infinity): HospitalFigures {
      const h = hospitals.get(hospitalId);
      if (!h) return { operations: [], series: [] };
      const operations: OperationTraffic[] = [];
      h.operations.forEach((op, k) => {
        if (op) operations.push({ operationName: names[k], hits: op.hits, misses: op.misses, ageSumMs: op.ageSumMs, hitLatency: op.hitLatency.slice(), missLatency: op.missLatency.slice() });
      });
      const oldest = Math.max(Math.floor(now / SLOT_MS) - SLOTS + 1, sinceTick);
      const series: SeriesBucket[] = [];
      for (const s of h.slots) {
        if (!s || s.tick < oldest || s.requests + s.invalidations === 0) continue;
        series.push({
          at: s.tick * SLOT_MS,
          requests: s.requests,
          hits: s.hits,
          misses: s.misses,
          invalidations: s.invalidations,
          hitLatency: Float64Array.from(s.hitLatency),
          missLatency: Float64Array.from(s.missLatency),
        });
      }
      series.sort((a, b) => a.at - b.at);
      return { operations, series };
    },
  };
}

export type Recorder = ReturnType<typeof createRecorder>;
