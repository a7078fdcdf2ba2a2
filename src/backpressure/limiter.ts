/**
 * A counting semaphore with a bounded, prioritised FIFO queue and a bounded wait: the smallest
 * thing that turns overload into prompt refusals instead of unbounded latency. No npm library
 * fits exactly: p-limit and async-sema never bound their queue nor the wait, p-queue bounds
 * neither, and bottleneck (unreleased since 2019) bounds its queue but not the time spent in it.
 *
 * - At most `maxConcurrent` holders at once; a released slot passes straight to the next waiter.
 * - Waiters are served by priority (high, normal, low), first come first served within one.
 * - At most `maxQueue` waiters. A newcomer to a full queue takes the place of the newest waiter
 *   of a lower priority (that one is refused, `displaced`), or is refused itself (`queue_full`).
 * - A waiter not served within `maxWaitMs` is refused (`timeout`).
 */
export type Priority = 'high' | 'normal' | 'low';
export type RefusalReason = 'queue_full' | 'timeout' | 'displaced';

const ORDER: readonly Priority[] = ['high', 'normal', 'low'];

export class LimiterRefusal extends Error {
  constructor(readonly reason: RefusalReason) {
    super(reason === 'timeout' ? 'no database slot freed up in time' : 'too many requests are already waiting for the database');
    this.name = 'LimiterRefusal';
  }
}

export interface LimiterOptions {
  maxConcurrent: number;
  maxQueue: number;
  maxWaitMs: number;
}

/** Gives the slot back; calling it again does nothing. */
export type Release = () => void;

export interface Limiter {
  /** Resolves with the slot's release once one is free; rejects with a LimiterRefusal. */
  acquire(priority?: Priority): Promise<Release>;
  /** Runs `work` in a slot and frees it however `work` ends. */
  run<T>(work: () => Promise<T>, priority?: Priority): Promise<T>;
  readonly inflight: number;
  readonly queued: number;
}

interface Waiter {
  grant(): void;
  refuse(reason: RefusalReason): void;
}

export function createLimiter({ maxConcurrent, maxQueue, maxWaitMs }: LimiterOptions): Limiter {
  if (!(maxConcurrent >= 1 && maxQueue >= 0 && maxWaitMs >= 0)) throw new RangeError('createLimiter: maxConcurrent ≥ 1, maxQueue ≥ 0, maxWaitMs ≥ 0');
  let inflight = 0;
  let queued = 0;
  const lanes: Record<Priority, Waiter[]> = { high: [], normal: [], low: [] };

  /** Takes a waiter out of its lane; false when it was served or refused already. */
  const take = (lane: Waiter[], waiter: Waiter): boolean => {
    const i = lane.indexOf(waiter);
    if (i < 0) return false;
    lane.splice(i, 1);
    queued -= 1;
    return true;
  };

  function releaser(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const priority of ORDER) {
        const next = lanes[priority].shift();
        if (next) {
          queued -= 1;
          return next.grant(); // the slot changes hands: inflight stays as it is
        }
      }
      inflight -= 1;
    };
  }

  function acquire(priority: Priority = 'normal'): Promise<Release> {
    if (inflight < maxConcurrent) {
      inflight += 1;
      return Promise.resolve(releaser());
    }
    if (queued >= maxQueue) {
      const lower = ORDER.slice(ORDER.indexOf(priority) + 1).reverse().find((p) => lanes[p].length > 0);
      if (!lower) return Promise.reject(new LimiterRefusal('queue_full'));
      lanes[lower][lanes[lower].length - 1].refuse('displaced');
    }
    return new Promise<Release>((resolve, reject) => {
      const lane = lanes[priority];
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve(releaser());
        },
        refuse: (reason) => {
          clearTimeout(timer);
          if (take(lane, waiter)) reject(new LimiterRefusal(reason));
        },
      };
      const timer = setTimeout(() => waiter.refuse('timeout'), maxWaitMs);
      timer.unref(); // a waiter alone does not keep the process up (its caller's socket does)
      lane.push(waiter);
      queued += 1;
    });
  }

  return {
    acquire,
    async run(work, priority) {
      const release = await acquire(priority);
      try {
        return await work();
      } finally {
        release();
      }
    },
    get inflight() {
      return inflight;
    },
    get queued() {
      return queued;
    },
  };
}
