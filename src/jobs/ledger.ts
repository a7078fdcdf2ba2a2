import Redis from 'ioredis';
import type { WarmTarget } from './hot-operations';

export interface WarmRecord {
  at: string;
  ok: boolean;
  durationMs: number;
  error: string | null;
}

/**
 * What the warm jobs share between gateway processes: the last run per hospital and target,
 * and a lock per scheduled tick so that one tick warms once in total, not once per process.
 */
export interface JobLedger {
  record(hospitalId: number, target: WarmTarget, run: WarmRecord): Promise<void>;
  lastRuns(hospitalId: number): Promise<Partial<Record<WarmTarget, WarmRecord>>>;
  /** True for exactly one caller per name until the lock expires. */
  acquire(name: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export function createMemoryLedger(): JobLedger {
  const runs = new Map<number, Partial<Record<WarmTarget, WarmRecord>>>();
  const locks = new Map<string, number>();
  return {
    async record(h, target, run) {
      runs.set(h, { ...runs.get(h), [target]: run });
    },
    async lastRuns(h) {
      return { ...runs.get(h) };
    },
    async acquire(name, ttlMs) {
      const now = Date.now();
      if ((locks.get(name) ?? 0) > now) return false;
      locks.set(name, now + ttlMs);
      return true;
    },
    async close() {},
  };
}

/**
 * Redis ledger; a failure answers "no record" / "no lock" rather than throwing. It sends without
 * an offline queue, so it is returned only once connected (or once the attempt failed).
 */
export async function createRedisLedger(url: string, prefix: string): Promise<JobLedger> {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1000, lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect().catch(() => undefined);
  const runsKey = (h: number) => `${prefix}{h${h}}:warm`;
  return {
    async record(h, target, run) {
      await redis.hset(runsKey(h), target, JSON.stringify(run)).catch(() => undefined);
    },
    async lastRuns(h) {
      const raw = await redis.hgetall(runsKey(h)).catch(() => ({}) as Record<string, string>);
      const out: Partial<Record<WarmTarget, WarmRecord>> = {};
      for (const [target, json] of Object.entries(raw)) out[target as WarmTarget] = JSON.parse(json) as WarmRecord;
      return out;
    },
    async acquire(name, ttlMs) {
      const ok = await redis.set(`${prefix}lock:${name}`, String(process.pid), 'PX', ttlMs, 'NX').catch(() => null);
      return ok === 'OK';
    },
    async close() {
      redis.disconnect();
    },
  };
}
