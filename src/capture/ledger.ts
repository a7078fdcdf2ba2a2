import Redis from 'ioredis';

/**
 * What the capture keeps beside the cache it keeps fresh: the position applied (so a restart
 * resumes where the cache stands), who reads the log now, and up to when every committed
 * change is known to be applied. In-process for the in-process cache (each process its own,
 * like its cache); in Redis for a shared one, keyed by the log's id (a recreated database is a
 * new log, and its positions start over).
 */
export interface CaptureLedger {
  /** The applied position, or null when this cache never had one. */
  position(): Promise<number | null>;
  /** Moves the position forward (never back). */
  advance(to: number): Promise<void>;
  /** Takes or renews the reader's lease for `ms`; true while `id` holds it. */
  lead(id: string, ms: number): Promise<boolean>;
  resign(id: string): Promise<void>;
  /** Every change committed before `at` (epoch ms) is applied (only moves forward). */
  applied(at: number): Promise<void>;
  /** When the last reader said so (epoch ms), or null. */
  appliedThrough(): Promise<number | null>;
  close(): Promise<void>;
}

export function createMemoryLedger(): CaptureLedger {
  let pos: number | null = null;
  let through: number | null = null;
  return {
    position: async () => pos,
    async advance(to) {
      if (pos === null || to > pos) pos = to;
    },
    lead: async () => true, // one process, one reader: its own
    async resign() {},
    async applied(at) {
      if (through === null || at > through) through = at;
    },
    appliedThrough: async () => through,
    async close() {},
  };
}

const MAX_SCRIPT = `local cur = tonumber(redis.call('get', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > cur then redis.call('set', KEYS[1], ARGV[1]) end
return 1`;
const LEAD_SCRIPT = `local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RESIGN_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
return 1`;

/** Shared through Redis. Calls reject when Redis does not answer: the capture counts that as down. */
export async function createRedisLedger(url: string, prefix: string, logId: string): Promise<CaptureLedger> {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 2000, lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect().catch(() => undefined);
  const key = (name: string) => `${prefix}capture:${logId}:${name}`;
  const num = (v: string | null) => (v === null ? null : Number(v));
  return {
    position: async () => num(await redis.get(key('position'))),
    async advance(to) {
      await redis.eval(MAX_SCRIPT, 1, key('position'), String(to));
    },
    lead: async (id, ms) => (await redis.eval(LEAD_SCRIPT, 1, key('reader'), id, String(ms))) === 1,
    async resign(id) {
      await redis.eval(RESIGN_SCRIPT, 1, key('reader'), id);
    },
    async applied(at) {
      await redis.eval(MAX_SCRIPT, 1, key('applied'), String(at));
    },
    appliedThrough: async () => num(await redis.get(key('applied'))),
    async close() {
      redis.disconnect();
    },
  };
}
