import Redis from 'ioredis';
import type { Random } from './random';

export interface NoiseReport {
  bursts: number;
  /** The slowest burst, as this client saw it (ms). */
  maxBurstMs: number;
}

const KEY = 'stress-noise:large-list';
const ITEMS = 100_000;
/** Reads the list `ARGV[1]` times inside Redis (about 7.5 ms each here) and returns a count. */
const BUSY = "local n = 0 for i = 1, tonumber(ARGV[1]) do n = n + #redis.call('LRANGE', KEYS[1], 0, -1) end return n";

/**
 * Other traffic on the shared Redis, as a hospital's Redis has (another application's report
 * job reading a large list): every 150–650 ms, 6 to 17 reads of a 100,000-item list inside one
 * script, which keeps single-threaded Redis busy for about 45–130 ms, so the gateways' replies
 * are now and then that late — a healthy Redis under load. Without it this machine's Redis
 * answers in a few milliseconds even with fsync always, and a gateway that gives up on a slow
 * invalidation, or takes a slow reply for an outage, would go unseen.
 */
export async function startRedisNoise(url: string, rng: Random) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  await redis.del(KEY);
  for (let i = 0; i < ITEMS; i += 10_000) await redis.rpush(KEY, ...Array.from({ length: 10_000 }, (_, j) => `item-${i + j}`));
  const report: NoiseReport = { bursts: 0, maxBurstMs: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      await redis.eval(BUSY, 1, KEY, 6 + rng.int(12)).catch(() => undefined);
      report.bursts += 1;
      report.maxBurstMs = Math.max(report.maxBurstMs, performance.now() - started);
      await new Promise((r) => setTimeout(r, 150 + rng.int(500)));
    }
  })();
  return {
    async stop(): Promise<NoiseReport> {
      stopped = true;
      await loop;
      await redis.del(KEY).catch(() => undefined);
      redis.disconnect();
      return report;
    },
  };
}
