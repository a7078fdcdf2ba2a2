import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import type { Logger } from '../observability/logger';
import { ENTRIES_SCRIPT, INVALIDATE_SCRIPT, INVALIDATE_TYPE_SCRIPT, PURGE_SCRIPT, STORE_SCRIPT } from './redis-scripts';
import type { Fence, Lookup, ResponseStore, StoreOutcome, StoreState } from './store';
import { tagType } from './store';

export interface RedisStoreOptions {
  url: string;
  /** Every key starts with this. Default `wardcache:`. */
  prefix?: string;
  /** A command slower than this counts as an outage (fail open). Default 50 ms. */
  commandTimeoutMs?: number;
  /** While degraded, how often Redis is probed. Default 250 ms. */
  probeIntervalMs?: number;
  logger: Logger;
  /** Every failed or timed-out command, for metrics. */
  onError?: () => void;
  /** How long an expired answer is kept as a stale copy (for database outages). Default 0. */
  retainStaleMs?: number;
}

/** Value layout: `<storedAt>:<freshUntil>:<body>`. */
function decode(value: Buffer): { storedAt: number; freshUntil: number; body: Buffer } {
  const a = value.indexOf(COLON);
  const b = value.indexOf(COLON, a + 1);
  return { storedAt: Number(value.subarray(0, a).toString()), freshUntil: Number(value.subarray(a + 1, b).toString()), body: value.subarray(b + 1) };
}

const COLON = 0x3a;

/**
 * Rejects when `p` has not settled within `ms` of time in which this process could have read
 * Redis' reply. Timers run before I/O in a turn of the event loop, so a plain timer (ioredis'
 * `commandTimeout`) fires while the reply may already wait unread in the socket whenever our own
 * loop was busy for longer than `ms` (GC, a large answer, CPU load): every such stall looked like
 * a Redis outage (a warning, the cache off, a purge on "recovery"). Here a timer that fires late
 * gives Redis a fresh period (at most `LATE_REARMS` times), and one that fires on time first
 * lets the loop read what has arrived (`setImmediate` runs after the I/O poll).
 */
const LATE_REARMS = 3;
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let rearms = 0;
    const arm = () => {
      const due = Date.now() + ms;
      timer = setTimeout(() => {
        const late = Date.now() - due;
        if (late > ms / 2 && rearms < LATE_REARMS) {
          rearms += 1;
          return arm();
        }
        setImmediate(() => {
          if (settled) return;
          settled = true;
          reject(new Error(`Redis did not answer within ${ms} ms`));
        });
      }, ms);
    };
    arm();
    p.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Redis store. Fails open: any error or timeout flips it to `degraded`, logs one warning, and
 * from then on every call answers at once (miss, nothing stored) while a probe waits for Redis.
 * Scopes whose invalidation could not be delivered during the outage are purged when Redis
 * answers again, before the store serves anything: a write made during the outage cannot leave
 * an older answer behind.
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<ResponseStore> {
  const prefix = options.prefix ?? 'wardcache:';
  const retainStaleMs = options.retainStaleMs ?? 0;
  const { logger } = options;
  const timeoutMs = options.commandTimeoutMs ?? 50;
  const redis = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false, // no queue: a command during an outage fails now instead of hanging
    maxRetriesPerRequest: 0,
    // No `commandTimeout`: every call is bounded by within() below, which does not mistake a
    // busy event loop here for a slow Redis.
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(times * 100, 1000),
    enableAutoPipelining: true,
  });
  redis.on('error', () => undefined); // outages are tracked through failed commands and lost connections below

  const k = (scope: number) => `${prefix}{h${scope}}:`;
  const shas = new Map<string, string>();
  const dirty = new Set<number>();
  let state: StoreState = 'up';
  let probe: NodeJS.Timeout | null = null;
  let closed = false;
  // A lost connection is an outage even if no command is running (a quiet gateway would
  // otherwise report 'up' on /ready for as long as Redis stays dead).
  redis.on('close', () => fail(new Error('connection to Redis lost')));

  async function script(source: string, keys: string[], args: (string | number | Buffer)[] = []): Promise<number> {
    let sha = shas.get(source);
    if (!sha) shas.set(source, (sha = createHash('sha1').update(source).digest('hex')));
    try {
      return (await redis.evalsha(sha, keys.length, ...keys, ...args)) as number;
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await redis.eval(source, keys.length, ...keys, ...args)) as number;
    }
  }

  async function recover(): Promise<void> {
    await within(redis.ping(), timeoutMs);
    for (const scope of [...dirty]) {
      await within(script(PURGE_SCRIPT, [`${k(scope)}e`, `${k(scope)}a`]), timeoutMs);
      dirty.delete(scope);
    }
    state = 'up';
    if (probe) clearInterval(probe);
    probe = null;
    logger.info('Redis answers again: response cache back on');
  }

  function fail(err: unknown): void {
    if (state === 'degraded' || closed) return; // after close(): our own disconnect, not an outage
    state = 'degraded';
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Redis unavailable: answering from the database until it returns');
    let probing = false;
    probe = setInterval(() => {
      if (probing) return;
      probing = true;
      recover()
        .catch(() => undefined)
        .finally(() => {
          probing = false;
        });
    }, options.probeIntervalMs ?? 250);
    probe.unref();
  }

  /** Runs a Redis call unless degraded; any failure answers `fallback` and starts the outage. */
  async function guarded<T>(fallback: T, op: () => Promise<T>, onFail?: () => void): Promise<T> {
    if (state !== 'up') {
      onFail?.();
      return fallback;
    }
    try {
      return await within(op(), timeoutMs);
    } catch (err) {
      onFail?.();
      options.onError?.();
      fail(err);
      return fallback;
    }
  }

  try {
    await redis.connect();
  } catch (err) {
    fail(err);
  }

  return {
    backend: 'redis',
    state: () => state,

    lookup: (scope, key) =>
      guarded<Lookup>({ hit: null, fence: null }, async () => {
        const [value, epoch] = await redis.mgetBuffer(`${k(scope)}r:${key}`, `${k(scope)}e`);
        const fence = epoch ? epoch.toString() : '0';
        if (!value) return { hit: null, fence };
        const found = decode(value);
        return found.freshUntil > Date.now() ? { hit: found } : { hit: null, fence, stale: found };
      }),

    fence: (scope) => guarded<Fence>(null, async () => (await redis.get(`${k(scope)}e`)) ?? '0'),

    store: (scope, key, body, tags, ttlMs, fence: Fence) => {
      if (fence === null) return Promise.resolve<StoreOutcome>('skipped');
      return guarded<StoreOutcome>('skipped', async () => {
        const keys = [`${k(scope)}e`, `${k(scope)}r:${key}`, `${k(scope)}a`];
        for (const tag of tags) keys.push(`${k(scope)}t:${tag}`, `${k(scope)}y:${tagType(tag)}`);
        const now = Date.now();
        const value = Buffer.concat([Buffer.from(`${now}:${now + ttlMs}:`), body]);
        const physicalTtl = Math.max(1, Math.round(ttlMs + retainStaleMs));
        return (await script(STORE_SCRIPT, keys, [fence, physicalTtl, value])) === 1 ? 'stored' : 'stale';
      });
    },

    invalidate: (scope, tags) =>
      guarded(
        0,
        () => script(INVALIDATE_SCRIPT, [`${k(scope)}e`, `${k(scope)}a`, ...tags.map((t) => `${k(scope)}t:${t}`)]),
        () => dirty.add(scope),
      ),

    invalidateType: (scope, typename) =>
      guarded(
        0,
        () => script(INVALIDATE_TYPE_SCRIPT, [`${k(scope)}e`, `${k(scope)}a`, `${k(scope)}y:${typename}`]),
        () => dirty.add(scope),
      ),

    purge: (scope) =>
      guarded(
        0,
        () => script(PURGE_SCRIPT, [`${k(scope)}e`, `${k(scope)}a`]),
        () => dirty.add(scope),
      ),

    memoryBytes: () =>
      guarded<number | null>(null, async () => {
        const m = /used_memory:(\d+)/.exec(await redis.info('memory'));
        return m ? Number(m[1]) : null;
      }),

    entries: (scope) => guarded(0, () => script(ENTRIES_SCRIPT, [`${k(scope)}a`], [retainStaleMs])),

    async close() {
      closed = true;
      if (probe) clearInterval(probe);
      probe = null;
      redis.disconnect();
    },
  };
}
