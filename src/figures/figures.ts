import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { Logger } from '../observability/logger';
import { mergeFigures } from './merge';
import { createRecorder } from './recorder';
import { createPublisher, readPublished, type Published } from './redis';
import { SLOT_MS, type ClusterFigures, type HospitalFigures, type ProcessInfo } from './types';

export interface FiguresOptions {
  /** Null: this process's figures only (`process` scope), nothing published. */
  redisUrl: string | null;
  /** The cache's Redis prefix: processes sharing a cache share their figures. */
  prefix: string;
  /** The contract's operation names; anything else is recorded as `other`. */
  operations: Iterable<string>;
  /** How often this process publishes (ms). */
  publishMs: number;
  /** Published figures live this long after their last publication (ms). */
  retainMs: number;
  logger: Logger;
}

/**
 * Per command: a read (a cacheStats waits for it) past this gives `process` figures; a
 * publication past it is made up by the next one. Redis answers well under it.
 */
const COMMAND_TIMEOUT_MS = 500;

const packageVersion = (): string => (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

function combine(own: HospitalFigures, self: (ProcessInfo & { self: boolean }) | null, others: Published[], scope: ClusterFigures['scope'], now: number): ClusterFigures {
  return {
    scope,
    at: now,
    ...mergeFigures([own, ...others.map((o) => o.figures)], now),
    processes: [...(self ? [self] : []), ...others.map((o) => ({ ...o.info, self: false }))],
  };
}

/**
 * One gateway process's figures: recorded in memory from every request (src/figures/recorder.ts),
 * published to the cache's Redis every `publishMs` once `start()` is called (the gateway does
 * when it listens, so the cache CLI, which builds a gateway but never listens, publishes
 * nothing), and read back merged with every other process's last publication.
 */
export function createFigures(o: FiguresOptions) {
  const recorder = createRecorder(o.operations);
  // The recorder's current ten seconds moves at each boundary (+1 ms: safely past it), so that
  // recording a request reads no clock. A late timer (a busy event loop) counts the requests
  // handled before it fires in the ten seconds before: a few ms of them at most.
  let clock: NodeJS.Timeout | null = null;
  const advance = () => {
    const now = Date.now();
    recorder.setTime(now);
    clock = setTimeout(advance, SLOT_MS - (now % SLOT_MS) + 1);
    clock.unref();
  };
  advance();
  const self = { id: randomBytes(6).toString('hex'), version: packageVersion(), host: hostname(), pid: process.pid, startedAt: Date.now() };
  // Its own connection: a slow publication never queues behind (or ahead of) the cache's reads.
  const redis = o.redisUrl ? new Redis(o.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: COMMAND_TIMEOUT_MS }) : null;
  redis?.on('error', (err: Error) => o.logger.debug({ err: err.message }, 'figures: Redis error (figures stay this process\'s until it answers)'));
  const publisher = redis ? createPublisher(redis, o.prefix, recorder, o.retainMs) : null;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<boolean> | null = null;

  /** One publication (or the one already under way); false when Redis did not take it. */
  function publish(): Promise<boolean> {
    if (!redis || !publisher) return Promise.resolve(false);
    inFlight ??= publisher(self)
      .then(
        () => true,
        (err: unknown) => {
          o.logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'figures: not published');
          return false;
        },
      )
      .finally(() => (inFlight = null));
    return inFlight;
  }

  return {
    /** `cluster` with Redis (when it answers), `process` without. */
    scope: (redis ? 'cluster' : 'process') as ClusterFigures['scope'],
    id: self.id,
    /** The hot path (the request observer calls it once per request): see createRecorder. */
    record: recorder.record,
    /** One invalidation this process delivered (cache.onInvalidated). */
    invalidated: (hospitalId: number): void => recorder.invalidated(hospitalId),
    /** The operation names figures are kept under (the contract's, then `other`). */
    operations: recorder.names,

    /**
     * Starts publishing: a first publication as soon as Redis is connected (whether it was
     * taken resolves the promise, which nobody needs to wait for), then one every `publishMs`.
     */
    start(): Promise<boolean> {
      if (!redis || timer) return Promise.resolve(false);
      timer = setInterval(() => void publish(), o.publishMs);
      timer.unref();
      return redis.connect().then(
        () => publish(),
        () => false, // logged by the error listener; ioredis reconnects on its own
      );
    },
    publish,

    /** One hospital's figures: this process's live ones and every other process's last published ones. */
    async read(hospitalId: number): Promise<ClusterFigures> {
      const now = Date.now();
      const own = recorder.snapshot(hospitalId, now);
      const me = { ...self, ...recorder.totals(), lastHeardAt: now, self: true };
      if (!redis) return combine(own, me, [], 'process', now);
      try {
        const others = await readPublished(redis, o.prefix, hospitalId, self.id);
        return combine(own, me, others, 'cluster', now);
      } catch (err) {
        o.logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'figures: published figures unreadable, this process\'s only');
        return combine(own, me, [], 'process', now);
      }
    },

    /** Stops publishing after a last publication (the figures of its last requests count too). */
    async close(): Promise<void> {
      if (timer) clearInterval(timer);
      if (clock) clearTimeout(clock);
      timer = clock = null;
      if (!redis) return;
      if (redis.status === 'ready') await publish();
      redis.disconnect();
    },
  };
}

export type Figures = ReturnType<typeof createFigures>;

/**
 * The figures every gateway process sharing this Redis and prefix last published for each of
 * these hospitals, read from outside any gateway (the cache CLI's `stats`). Throws when Redis cannot
 * be reached. `processes` lists them all with `self: false`.
 */
export async function readPublishedFigures(redisUrl: string, prefix: string, hospitalIds: readonly number[]): Promise<Map<number, ClusterFigures>> {
  const redis = new Redis(redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 2000, retryStrategy: () => null });
  redis.on('error', () => undefined); // the failed command or connect says it
  try {
    await redis.connect();
    const out = new Map<number, ClusterFigures>();
    // One connection for every hospital asked (the CLI's stats of a whole deployment).
    for (const hospitalId of hospitalIds) out.set(hospitalId, combine({ operations: [], series: [] }, null, await readPublished(redis, prefix, hospitalId, null), 'cluster', Date.now()));
    return out;
  } finally {
    redis.disconnect();
  }
}
