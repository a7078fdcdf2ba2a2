import { createLimiter, LimiterRefusal, type RefusalReason, type Release } from './limiter';

/**
 * The per-process bound on database work (DB_MAX_CONCURRENT, DB_QUEUE_MAX, DB_QUEUE_WAIT_MS):
 * one limiter shared by the GraphQL requests that execute and by background work, so the pool
 * is never asked for more than it can give and overload is refused at the door.
 *
 * - Writes are served before reads: a mutation waits at most for the first slot to free up, and
 *   even a full queue of reads takes it in (the newest waiting read is refused in its place).
 *   Priority rather than reserved slots, so reads keep the whole pool when nothing is written;
 *   writes are few and a refused read is only a dashboard refresh to retry.
 * - Background work (warm jobs, re-warms, cache verification) holds at most a quarter of the
 *   slots (at least one), waits behind every request, and is the first to be displaced.
 */
export interface DatabaseLimits {
  maxConcurrent: number;
  maxQueue: number;
  maxWaitMs: number;
}

/** A request's slot to execute in, or why it was refused. */
export type Slot = { release: Release; refused?: undefined } | { refused: RefusalReason };

export interface DatabaseGate {
  enter(kind: 'write' | 'read'): Promise<Slot>;
  /** Runs background work in the background share; rejects with a LimiterRefusal when shed. */
  background<T>(work: () => Promise<T>): Promise<T>;
  readonly inflight: number;
  readonly queued: number;
  readonly backgroundSlots: number;
}

/** Background callers are no user waiting: they may queue for their share this long. */
const BACKGROUND_WAIT_MS = 30_000;

export function createDatabaseGate(limits: DatabaseLimits, onShed?: (reason: RefusalReason) => void): DatabaseGate {
  const slots = createLimiter(limits);
  const backgroundSlots = Math.max(1, Math.floor(limits.maxConcurrent / 4));
  const share = createLimiter({ maxConcurrent: backgroundSlots, maxQueue: limits.maxQueue, maxWaitMs: BACKGROUND_WAIT_MS });
  return {
    async enter(kind) {
      try {
        return { release: await slots.acquire(kind === 'write' ? 'high' : 'normal') };
      } catch (err) {
        if (!(err instanceof LimiterRefusal)) throw err;
        onShed?.(err.reason);
        return { refused: err.reason };
      }
    },
    background: (work) => share.run(() => slots.run(work, 'low')),
    get inflight() {
      return slots.inflight;
    },
    get queued() {
      return slots.queued;
    },
    backgroundSlots,
  };
}
