import { createHash, randomBytes, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { Logger } from '../../observability/logger';
import {
  BEGIN_WRITE_SCRIPT,
  ENTRIES_SCRIPT,
  EVICT_SCRIPT,
  HEAD_SCRIPT,
  INVALIDATE_SCRIPT,
  INVALIDATE_TYPE_SCRIPT,
  PURGE_SCRIPT,
  RELEASE_LEASE_SCRIPT,
  RELEASE_WRITE_SCRIPT,
  RENEW_LEASE_SCRIPT,
  STORE_SCRIPT,
} from './redis-scripts';
import { createCoalescer } from './coalesce';
import { createLocalTier, type LocalCopy } from './local-tier';
import { createRedisExplorer, description } from './redis-explore';
import { createLiveness } from './redis-liveness';
import { confirmWithin, ReplyTimeout, whileAlive, within } from './redis-timing';
import { StoreReadError, StoreWriteError, tagType, type Fence, type Lookup, type ResponseStore, type StoreOutcome, type WriteIntent } from './store';

export interface RedisStoreOptions {
  url: string;
  /** Every key starts with this. Default `wardcache:`. */
  prefix?: string;
  /** Read budget: a read slower than this answers from the database (fail open). Default 50 ms. */
  commandTimeoutMs?: number;
  /**
   * Write bound: intents, invalidations and purges are retried until Redis confirms them or this
   * much time has passed. Also the lifetime of an unconfirmed write intent. Default 5000 ms.
   */
  writeTimeoutMs?: number;
  /** Redis counts as down when a heartbeat goes unanswered this long. Default 2000 ms. */
  deadAfterMs?: number;
  /** Heartbeat period. Default 250 ms. */
  probeIntervalMs?: number;
  logger: Logger;
  /** Every failed or timed-out command, for metrics. */
  onError?: () => void;
  /** Every read that gave up on a slow (not dead) Redis, for metrics. */
  onSlowRead?: () => void;
  /** How long Redis took: each heartbeat's reply, and each confirmed write-side call (retries included). */
  onLatency?: (kind: 'heartbeat' | 'write', ms: number) => void;
  /** How long an expired answer is kept as a stale copy (for database outages). Default 0. */
  retainStaleMs?: number;
  /** Bytes of the in-process tier of recently served answers (see local-tier.ts); 0: off. Default 0. */
  localMaxBytes?: number;
}

/** Value layout: `<storedAt>:<freshUntil>:<stamp>:<body>`; the stamp is unique to each store. */
function decode(value: Buffer): LocalCopy {
  const a = value.indexOf(COLON);
  const b = value.indexOf(COLON, a + 1);
  const c = value.indexOf(COLON, b + 1);
  return {
    storedAt: Number(value.subarray(0, a).toString()),
    freshUntil: Number(value.subarray(a + 1, b).toString()),
    header: value.subarray(0, c + 1).toString('latin1'),
    body: value.subarray(c + 1),
  };
}

const COLON = 0x3a;
/** Longer than any header (two 13-digit times, a stamp of at most 20 characters, 3 colons). */
const HEAD_BYTES = 64;
const NO_HIT: Lookup = { hit: null, fence: null };

/**
 * Redis store. Reads fail open, writes fail closed:
 * - a read that errs or is slower than the read budget answers "miss, do not store" (the
 *   database answers); a slow reply does not make the store degraded, only a lost connection or
 *   an unanswered heartbeat does (redis-liveness.ts);
 * - intents, invalidations and purges are sent whatever the local state, retried until Redis
 *   confirms them within the write bound, and reject otherwise;
 * - a scope whose invalidation was not confirmed is served by no process until it was purged:
 *   here (it is "dirty" until this process purged it), and elsewhere through the write intent
 *   that expires unconfirmed (any process that sees it purges the scope).
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<ResponseStore> {
  const prefix = options.prefix ?? 'wardcache:';
  const retainStaleMs = options.retainStaleMs ?? 0;
  const { logger } = options;
  const readMs = options.commandTimeoutMs ?? 50;
  const writeMs = options.writeTimeoutMs ?? 5000;
  const deadMs = options.deadAfterMs ?? 2000;
  const probeMs = options.probeIntervalMs ?? 250;
  const redis = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false, // no queue: a command during an outage fails now instead of hanging
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(times * 100, 1000),
    enableAutoPipelining: true,
  });
  redis.on('error', () => undefined); // outages are tracked by the liveness monitor

  const k = (scope: number) => `${prefix}{h${scope}}:`;
  const shas = new Map<string, string>();
  const stampPrefix = randomBytes(4).toString('hex');
  let stamps = 0;
  const tier = (options.localMaxBytes ?? 0) > 0 ? createLocalTier(options.localMaxBytes as number) : null;
  const coalesced = createCoalescer<Array<Buffer | null>>();
  /**
   * Scopes whose invalidation this process could not confirm: not served until purged. The
   * value counts failures, so a purge that started before a later failure does not clear it.
   */
  const dirty = new Map<number, number>();
  /** Scopes being swept after an abandoned write intent was seen. */
  const sweeping = new Set<number>();

  async function script<T = number>(source: string, keys: string[], args: (string | number | Buffer)[] = []): Promise<T> {
    let sha = shas.get(source);
    if (!sha) shas.set(source, (sha = createHash('sha1').update(source).digest('hex')));
    try {
      return (await redis.evalsha(sha, keys.length, ...keys, ...args)) as T;
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await redis.eval(source, keys.length, ...keys, ...args)) as T;
    }
  }

  const purgeKeys = (scope: number) => [`${k(scope)}e`, `${k(scope)}a`, `${k(scope)}w`, `${k(scope)}wd`, `${k(scope)}v`, `${k(scope)}vf`, `${k(scope)}m`];

  const liveness = createLiveness(redis, {
    deadAfterMs: deadMs,
    intervalMs: probeMs,
    logger,
    onBeat: (ms) => options.onLatency?.('heartbeat', ms),
    // Before reads are served again: purge what this process failed to invalidate.
    beforeUp: async () => {
      for (const [scope, failures] of [...dirty]) {
        await within(script(PURGE_SCRIPT, purgeKeys(scope), ['']), writeMs);
        if (dirty.get(scope) === failures) dirty.delete(scope);
      }
    },
  });

  /**
   * A read: skipped while down, `fallback` on any failure. Past its budget it is *slow*, not
   * failed: while Redis keeps answering heartbeats the reply is waited for (up to the dead
   * bound), because answering from the database instead turns every hit of a saturated process
   * into a recomputation, which saturates it further. Only when the heartbeat goes silent too
   * (a hung Redis) does the read give up and fail open.
   */
  async function read<T>(fallback: T, op: () => Promise<T>, budgetMs = readMs): Promise<T> {
    if (!liveness.up()) return fallback;
    const pending = op();
    try {
      return await within(pending, budgetMs);
    } catch (err) {
      if (!(err instanceof ReplyTimeout)) {
        options.onError?.();
        return fallback;
      }
      // Silent for longer than a slow Redis takes to answer a heartbeat: hung, give up.
      const answered = await whileAlive(pending, {
        alive: () => liveness.up() && liveness.silentFor() <= Math.max(readMs + probeMs, 3 * liveness.lastRtt() + readMs),
        checkEveryMs: Math.max(5, Math.min(readMs, probeMs)),
        atMostMs: deadMs,
      });
      if (answered.ok) return answered.value;
      options.onSlowRead?.();
      return fallback;
    }
  }

  const heads = createCoalescer<[string, string, string]>();
  const abandonedNow = (deadline: string) => deadline !== '' && Number(deadline) <= liveness.redisNow();

  /** The response, the fence and the intent deadline in one MGET (shared by concurrent identical lookups). */
  async function fullLookup(scope: number, key: string): Promise<Lookup> {
    const [value, epoch, abandoned] = await coalesced(`${scope}|${key}`, () => redis.mgetBuffer(`${k(scope)}r:${key}`, `${k(scope)}e`, `${k(scope)}wd`));
    if (abandoned && abandonedNow(abandoned.toString())) {
      sweep(scope);
      return NO_HIT;
    }
    const fence = epoch ? epoch.toString() : '0';
    if (!value) return { hit: null, fence };
    const found = decode(value);
    if (found.freshUntil <= Date.now()) return { hit: null, fence, stale: found };
    tier?.set(scope, key, found);
    return { hit: found, fence };
  }

  /** A local copy is served only if Redis still holds that very copy (same header and stamp). */
  async function localLookup(scope: number, key: string, copy: LocalCopy): Promise<Lookup> {
    const [head, fence, abandoned] = await heads(`${scope}|${key}`, () =>
      script<[string, string, string]>(HEAD_SCRIPT, [`${k(scope)}r:${key}`, `${k(scope)}e`, `${k(scope)}wd`], [HEAD_BYTES]),
    );
    if (abandonedNow(abandoned)) {
      sweep(scope);
      return NO_HIT;
    }
    if (head.startsWith(copy.header) && copy.freshUntil > Date.now()) return { hit: copy, fence };
    tier?.delete(scope, key);
    return head === '' ? { hit: null, fence } : fullLookup(scope, key);
  }

  /** A write-side call: sent whatever the local state, retried until confirmed or the bound. */
  async function confirmed<T>(what: string, op: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await confirmWithin(op, writeMs);
      options.onLatency?.('write', performance.now() - started);
      return result;
    } catch (err) {
      options.onError?.();
      const reason = err instanceof Error ? err.message : String(err);
      throw new StoreWriteError(`Redis did not confirm ${what} within ${writeMs} ms: ${reason}`);
    }
  }

  /**
   * A write to the scope was never confirmed (an abandoned intent in Redis, or this process's
   * own failed invalidation): purge the scope once; any process may, purging is idempotent.
   */
  function sweep(scope: number): void {
    if (sweeping.has(scope)) return;
    sweeping.add(scope);
    const failures = dirty.get(scope);
    confirmed(`the purge of hospital ${scope} after an unconfirmed write`, () => script(PURGE_SCRIPT, purgeKeys(scope), ['']))
      .then((n) => {
        if (failures !== undefined && dirty.get(scope) === failures) dirty.delete(scope);
        logger.warn({ hospitalId: scope, removed: n }, 'a write was never confirmed to the cache: purged its hospital');
      })
      .catch((err: unknown) => logger.warn({ hospitalId: scope, err: (err as Error).message }, 'purge after an abandoned write failed; retrying on the next read'))
      .finally(() => sweeping.delete(scope));
  }

  function afterDirtyInvalidation(scope: number, err: unknown): never {
    dirty.set(scope, (dirty.get(scope) ?? 0) + 1);
    throw err;
  }

  const explorer = createRedisExplorer({
    script: (source, keys, args) => script(source, keys, args),
    hget: (hash, field) => redis.hget(hash, field),
    k,
    retainStaleMs,
    // An operator's read: it waits as long as a write may, and fails rather than answer "nothing".
    bounded: (what, op) => within(op(), writeMs).catch((err: unknown) => {
      options.onError?.();
      throw new StoreReadError(`Redis did not answer ${what} within ${writeMs} ms: ${err instanceof Error ? err.message : String(err)}`);
    }),
  });

  try {
    await redis.connect();
  } catch {
    // The liveness monitor reports the outage and reconnects (ioredis retries by itself).
  }
  liveness.start();

  return {
    backend: 'redis',
    state: () => (liveness.up() ? 'up' : 'degraded'),

    lookup: (scope, key) => {
      if (dirty.size > 0 && dirty.has(scope)) {
        if (liveness.up()) sweep(scope);
        return NO_HIT;
      }
      const copy = tier?.get(scope, key);
      return read<Lookup>(NO_HIT, () => (copy ? localLookup(scope, key, copy) : fullLookup(scope, key)));
    },

    fence: (scope) => (dirty.has(scope) ? Promise.resolve(null) : read<Fence>(null, async () => (await redis.get(`${k(scope)}e`)) ?? '0')),

    // Not bound by the read budget: a store refused for slowness costs a recomputation per
    // request until one gets through (the metastable collapse a saturated core used to show).
    store: (scope, key, body, tags, ttlMs, fence: Fence, label = { operationName: '', variables: '{}' }) => {
      if (fence === null || dirty.has(scope)) return Promise.resolve<StoreOutcome>('skipped');
      const keys = [`${k(scope)}e`, `${k(scope)}r:${key}`, `${k(scope)}a`, `${k(scope)}wd`, `${k(scope)}v`, `${k(scope)}vf`, `${k(scope)}m`];
      for (const tag of tags) keys.push(`${k(scope)}t:${tag}`, `${k(scope)}y:${tagType(tag)}`);
      const types = [...new Set(tags.map(tagType))];
      const now = Date.now();
      const header = `${now}:${now + ttlMs}:${stampPrefix}${(stamps += 1).toString(36)}:`;
      const value = Buffer.concat([Buffer.from(header, 'latin1'), body]);
      const physicalTtl = Math.max(1, Math.round(ttlMs + retainStaleMs));
      return read<StoreOutcome>(
        'skipped',
        async () => {
          const described = description(label, now, now + ttlMs, body.length, tags);
          if ((await script(STORE_SCRIPT, keys, [fence, physicalTtl, value, tags.length, described, ...tags, ...types])) !== 1) return 'stale';
          tier?.set(scope, key, { body, storedAt: now, freshUntil: now + ttlMs, header });
          return 'stored';
        },
        writeMs,
      );
    },

    async lease(scope, key, ms) {
      const owner = `${stampPrefix}${(stamps += 1).toString(36)}`;
      const leaseKey = `${k(scope)}l:${key}`;
      const taken = await read<string | null>('failed', () => redis.set(leaseKey, owner, 'PX', ms, 'NX'));
      if (taken === null) return null; // another process computes this answer
      // Renewed while held: a slow computation keeps it, a dead holder's lapses within `ms`.
      const renew = setInterval(() => void read(0, () => script(RENEW_LEASE_SCRIPT, [leaseKey], [owner, ms])), ms / 3);
      renew.unref();
      return () => {
        clearInterval(renew);
        void read(0, () => script(RELEASE_LEASE_SCRIPT, [leaseKey], [owner]));
      };
    },

    async beginWrite(scope) {
      const intent: WriteIntent = { id: randomUUID(), scope };
      await confirmed(`the write intent for hospital ${scope}`, () => script(BEGIN_WRITE_SCRIPT, [`${k(scope)}w`, `${k(scope)}wd`], [intent.id, writeMs]));
      return intent;
    },

    async releaseWrite(intent) {
      await within(script(RELEASE_WRITE_SCRIPT, [`${k(intent.scope)}w`, `${k(intent.scope)}wd`], [intent.id]), writeMs).catch(() => {
        // Left open, the intent expires and the scope is purged once: safe, only slower.
      });
    },

    invalidate: (scope, tags, intent) =>
      confirmed(`the invalidation of hospital ${scope}`, () =>
        script(INVALIDATE_SCRIPT, [...purgeKeys(scope), ...tags.map((t) => `${k(scope)}t:${t}`)], [intent?.id ?? '', ...tags]),
      ).catch((err: unknown) => afterDirtyInvalidation(scope, err)),

    invalidateType: (scope, typename) =>
      confirmed(`the invalidation of ${typename} in hospital ${scope}`, () =>
        script(INVALIDATE_TYPE_SCRIPT, [`${k(scope)}e`, `${k(scope)}a`, `${k(scope)}y:${typename}`, `${k(scope)}v`, `${k(scope)}vf`, `${k(scope)}m`], [typename]),
      ).catch((err: unknown) => afterDirtyInvalidation(scope, err)),

    purge: (scope, intent) => {
      const failures = dirty.get(scope);
      return confirmed(`the purge of hospital ${scope}`, () => script(PURGE_SCRIPT, purgeKeys(scope), [intent?.id ?? '']))
        .then((n) => {
          if (failures === dirty.get(scope)) dirty.delete(scope);
          return n;
        })
        .catch((err: unknown) => afterDirtyInvalidation(scope, err));
    },

    quiet: (scope, fence) =>
      read(false, async () => {
        const [epoch, openWrite] = await redis.mget(`${k(scope)}e`, `${k(scope)}wd`);
        return fence !== null && (epoch ?? '0') === fence && openWrite === null;
      }),

    evict: (scope, key) => confirmed(`the eviction of one answer`, () => script(EVICT_SCRIPT, [`${k(scope)}a`, `${k(scope)}r:${key}`, `${k(scope)}m`])).then((n) => n === 1),

    ...explorer,

    memoryBytes: () =>
      read<number | null>(null, async () => {
        const m = /used_memory:(\d+)/.exec(await redis.info('memory'));
        return m ? Number(m[1]) : null;
      }),

    entries: (scope) => read(0, () => script(ENTRIES_SCRIPT, [`${k(scope)}a`], [retainStaleMs])),

    async close() {
      liveness.stop();
      redis.disconnect();
    },
  };
}
