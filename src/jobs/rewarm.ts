import type { Logger } from '../observability/logger';
import type { Warmer } from './warmer';

/**
 * After writes, recompute what they evicted: debounced per hospital, so a burst of writes
 * costs one refill, and never longer than `maxWaitMs` behind the first write of the burst.
 */
export function createRewarmer(warmer: Warmer, logger: Logger, delayMs: number, maxWaitMs = delayMs * 5) {
  const pending = new Map<number, { timer: NodeJS.Timeout; firstAt: number }>();
  const running = new Set<number>();
  let closed = false;

  function fire(hospitalId: number): void {
    pending.delete(hospitalId);
    if (closed) return;
    if (running.has(hospitalId)) {
      schedule(hospitalId); // one refill at a time per hospital; try again after this one
      return;
    }
    running.add(hospitalId);
    warmer
      .refill(hospitalId)
      .catch((err: unknown) => logger.warn({ err, hospitalId }, 're-warm after writes failed'))
      .finally(() => running.delete(hospitalId));
  }

  function schedule(hospitalId: number): void {
    if (closed || delayMs <= 0) return;
    const now = Date.now();
    const current = pending.get(hospitalId);
    if (current) clearTimeout(current.timer);
    const firstAt = current?.firstAt ?? now;
    const wait = Math.max(0, Math.min(delayMs, firstAt + maxWaitMs - now));
    const timer = setTimeout(() => fire(hospitalId), wait);
    timer.unref();
    pending.set(hospitalId, { timer, firstAt });
  }

  return {
    schedule,
    close() {
      closed = true;
      for (const { timer } of pending.values()) clearTimeout(timer);
      pending.clear();
    },
  };
}
