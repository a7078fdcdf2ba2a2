/**
 * Type invalidation against a Redis already holding many unrelated answers. The unrelated
 * answers are written with a pipeline in the store's own key layout (src/cache/redis-scripts.ts:
 * `r:` value "<storedAt>:<body>", the all-index `a`, tag sets `t:<tag>` and type indexes
 * `y:<type>`, each scored by expiry) — only the index TTLs the store script sets are left out.
 * The answers to be invalidated go through the store API itself (lookup → fenced store).
 */
import Redis from 'ioredis';
import pino from 'pino';
import { createRedisStore } from '../../src/cache';
import { tagType } from '../../src/cache';
import { median } from './histogram';

const PREFIX = 'wardcache-bench-inv:';
const TTL_MS = 600_000;
const SCOPE = 1;
const n = (v: number) => v.toLocaleString('en-US');

export interface InvalidationCase {
  label: string;
  unrelated: number;
  tagged: number;
  removed: number;
  reps: number;
  medianMs: number;
  maxMs: number;
}

/** 100k-style filler: half in the measured scope under other types, half in ten other scopes tagged Patient. */
async function fillUnrelated(redis: Redis, count: number): Promise<void> {
  const expires = Date.now() + TTL_MS;
  const value = Buffer.from(`${Date.now()}:{"data":{"filler":"${'x'.repeat(180)}"}}`);
  for (let start = 0; start < count; start += 2000) {
    const pipe = redis.pipeline();
    for (let i = start; i < Math.min(count, start + 2000); i++) {
      const scope = i % 2 === 0 ? SCOPE : 2 + (i % 10);
      const k = `${PREFIX}{h${scope}}:`;
      const responseKey = `${k}r:filler-${i}`;
      const tags = scope === SCOPE ? [`Ward:${i % 50}#core`, `Admission:${i}`] : [`Patient:${i}#core`, 'Q:recentPatients'];
      pipe.set(responseKey, value, 'PX', TTL_MS);
      pipe.zadd(`${k}a`, expires, responseKey);
      for (const tag of tags) {
        pipe.zadd(`${k}t:${tag}`, expires, responseKey);
        pipe.zadd(`${k}y:${tagType(tag)}`, expires, `${k}t:${tag}`);
      }
    }
    await pipe.exec();
  }
}

export async function benchInvalidation(redisUrl: string, opts: { unrelated: number; tagged: number; reps: number }): Promise<InvalidationCase[]> {
  const redis = new Redis(redisUrl);
  const logger = pino({ level: 'silent' });
  // The gateway's default command timeout (50 ms): a slower invalidation would count as an outage.
  const store = await createRedisStore({ url: redisUrl, prefix: PREFIX, commandTimeoutMs: 50, logger });
  const body = Buffer.from(`{"data":{"recentPatients":[${'{"id":"1","name":"Some Patient"},'.repeat(90)}{"id":"2"}]}}`);

  async function fillTagged(n: number, round: number): Promise<void> {
    for (let start = 0; start < n; start += 100) {
      const batch: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(n, start + 100); i++) {
        const key = `tagged-${round}-${i}`;
        batch.push(
          Promise.resolve(store.lookup(SCOPE, key)).then((l) => store.store(SCOPE, key, body, [`Patient:${i}#core`, 'Q:patient'], TTL_MS, l.hit ? null : l.fence)),
        );
      }
      await Promise.all(batch);
    }
  }

  async function measure(label: string, unrelated: number, tagged: number): Promise<InvalidationCase> {
    await redis.flushall();
    if (unrelated > 0) await fillUnrelated(redis, unrelated);
    await store.invalidateType(9999, 'Patient'); // loads the script, outside the timing
    const times: number[] = [];
    let removed = 0;
    for (let round = 0; round < opts.reps; round++) {
      await fillTagged(tagged, round);
      const started = performance.now();
      removed = await store.invalidateType(SCOPE, 'Patient');
      times.push(performance.now() - started);
      if (store.state() !== 'up') throw new Error(`${label}: the store went degraded (an invalidation took > 50 ms?)`);
      if (removed !== tagged) throw new Error(`${label}: removed ${removed}, expected ${tagged}`);
    }
    return { label, unrelated, tagged, removed, reps: opts.reps, medianMs: median(times), maxMs: Math.max(...times) };
  }

  try {
    return [
      await measure(`invalidateType Patient, ${n(opts.tagged)} tagged`, opts.unrelated, opts.tagged),
      await measure('invalidateType Patient, 0 tagged', opts.unrelated, 0),
      await measure(`invalidateType Patient, ${n(opts.tagged)} tagged`, 0, opts.tagged),
    ];
  } finally {
    await redis.flushall();
    redis.disconnect();
    await store.close();
  }
}
