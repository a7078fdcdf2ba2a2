import Redis from 'ioredis';
import pino from 'pino';
import { createMemoryStore } from '../src/cache';
import { createRedisStore } from '../src/cache';
import type { ResponseStore } from '../src/cache';
import { describeWith, REDIS_TEST_URL } from './support/services';

const body = (text: string) => Buffer.from(JSON.stringify({ data: { text } }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const silent = pino({ level: 'silent' });

async function fenceOf(store: ResponseStore, scope: number, key: string) {
  const found = await store.lookup(scope, key);
  if (found.hit) throw new Error(`${key} unexpectedly cached`);
  return found.fence;
}

const prefixFor = (name: string) => `wardcache-store-test-${name}-${process.pid}-${Date.now()}:`;

const makers: Array<[string, jest.Describe, () => Promise<ResponseStore>]> = [
  ['memory', describe, async () => createMemoryStore()],
  ['redis', describeWith('Redis'), () => createRedisStore({ url: REDIS_TEST_URL, prefix: prefixFor('contract'), logger: silent })],
];

for (const [name, describeStore, make] of makers) {
  describeStore(`response store contract (${name})`, () => {
    let store: ResponseStore;
    beforeEach(async () => {
      store = await make();
      await store.purge(1);
      await store.purge(2);
    });
    afterEach(() => store.close());

    it('is quiet under a fence only while no write is open or has invalidated since (the self-check\'s test)', async () => {
      const fence = await fenceOf(store, 1, 'q');
      expect(await store.store(1, 'q', body('a'), ['Patient:1#core'], 60_000, fence)).toBe('stored');
      const hit = await store.lookup(1, 'q');
      expect(hit.fence).toBe(fence); // a hit carries the fence read with it
      expect(await store.quiet(1, fence)).toBe(true);
      const intent = await store.beginWrite(1); // a write between its commit and its invalidation
      expect(await store.quiet(1, fence)).toBe(false);
      expect(await store.quiet(2, await store.fence(2))).toBe(true); // other scopes are not affected
      await store.invalidate(1, ['Patient:9#core'], intent);
      expect(await store.quiet(1, fence)).toBe(false); // the fence moved
      expect(await store.quiet(1, await store.fence(1))).toBe(true); // the intent is closed
      const released = await store.beginWrite(1);
      await store.releaseWrite(released); // rolled back
      expect(await store.quiet(1, await store.fence(1))).toBe(true);
      expect(await store.quiet(1, null)).toBe(false);
    });

    it('returns what was stored, with its store time', async () => {
      const fence = await fenceOf(store, 1, 'k');
      expect(await store.store(1, 'k', body('a'), ['Patient:1#core'], 60_000, fence)).toBe('stored');
      const found = await store.lookup(1, 'k');
      expect(found.hit?.body.toString()).toBe('{"data":{"text":"a"}}');
      expect(Math.abs(Date.now() - (found.hit?.storedAt ?? 0))).toBeLessThan(5_000);
    });

    // The fence matrix: which invalidation, landing between a miss's lookup and its store,
    // makes the miss's answer unstorable. Only what feeds the answer does.
    const landedDuringMiss: Array<[string, 'stored' | 'stale', (s: ResponseStore) => Promise<unknown>]> = [
      ['an unrelated entity tag', 'stored', (s) => s.invalidate(1, ['Ward:9'])],
      ['an unrelated root tag', 'stored', (s) => s.invalidate(1, ['Q:recentPatients'])],
      ['another facet of the same entity', 'stored', (s) => s.invalidate(1, ['Patient:1#latestEventAt'])],
      ['an unrelated type', 'stored', (s) => s.invalidateType(1, 'Ward')],
      ['a tag the answer carries', 'stale', (s) => s.invalidate(1, ['Ward:9', 'Patient:1#core'])],
      ['a root tag the answer carries', 'stale', (s) => s.invalidate(1, ['Q:wardMapping'])],
      ['a type the answer shows', 'stale', (s) => s.invalidateType(1, 'Patient')],
      ['a purge of the hospital', 'stale', (s) => s.purge(1)],
    ];
    it.each(landedDuringMiss)('after %s during the miss, the answer is %s', async (_what, expected, land) => {
      const fence = await fenceOf(store, 1, 'k');
      await land(store);
      expect(await store.store(1, 'k', body('computed'), ['Patient:1#core', 'Q:wardMapping'], 60_000, fence)).toBe(expected);
      expect((await store.lookup(1, 'k')).hit !== null).toBe(expected === 'stored');
    });

    it('still refuses after the invalidation that fed it is followed by many unrelated ones', async () => {
      const fence = await fenceOf(store, 1, 'k');
      await store.invalidate(1, ['Patient:1#core']);
      for (let i = 0; i < 50; i++) await store.invalidate(1, [`Ward:${i}`]);
      expect(await store.store(1, 'k', body('old'), ['Patient:1#core'], 60_000, fence)).toBe('stale');
      // A miss that began after it is stored although unrelated invalidations continue.
      const later = await fenceOf(store, 1, 'k');
      await store.invalidate(1, ['Ward:77']);
      expect(await store.store(1, 'k', body('new'), ['Patient:1#core'], 60_000, later)).toBe('stored');
    });

    it('lets one computation of an answer run at a time (the lease), renewed while it runs', async () => {
      const release = await store.lease(1, 'k', 150);
      expect(release).not.toBeNull();
      expect(await store.lease(1, 'k', 150)).toBeNull();
      expect(await store.lease(1, 'other', 150)).not.toBeNull();
      expect(await store.lease(2, 'k', 150)).not.toBeNull();
      await sleep(450); // three times its length: a live holder keeps it
      expect(await store.lease(1, 'k', 150)).toBeNull();
      release?.();
      await sleep(50);
      const again = await store.lease(1, 'k', 150);
      expect(again).not.toBeNull();
      again?.();
    });

    it('does not let one scope fence or evict another', async () => {
      const f1 = await fenceOf(store, 1, 'k');
      const f2 = await fenceOf(store, 2, 'k');
      await store.store(2, 'k', body('two'), ['Patient:1#core'], 60_000, f2);
      await store.invalidate(1, ['Patient:1#core']);
      expect(await store.store(1, 'k', body('one'), ['Patient:1#core'], 60_000, f1)).toBe('stale');
      expect((await store.lookup(2, 'k')).hit?.body.toString()).toContain('two');
    });

    it('evicts by tag and by type, and counts what it removed', async () => {
      const put = async (key: string, tags: string[]) => store.store(1, key, body(key), tags, 60_000, await fenceOf(store, 1, key));
      await put('a', ['Patient:1#core', 'Q:wardMapping']);
      await put('b', ['Patient:2#core']);
      await put('c', ['Ward:1']);
      expect(await store.entries(1)).toBe(3);
      expect(await store.invalidate(1, ['Q:wardMapping'])).toBe(1);
      expect((await store.lookup(1, 'b')).hit).not.toBeNull();
      expect(await store.invalidateType(1, 'Patient')).toBe(1);
      expect((await store.lookup(1, 'b')).hit).toBeNull();
      expect((await store.lookup(1, 'c')).hit).not.toBeNull();
      expect(await store.entries(1)).toBe(1);
      expect(await store.purge(1)).toBe(1);
      expect(await store.entries(1)).toBe(0);
    });

    it('forgets an answer when its time to live runs out', async () => {
      await store.store(1, 'short', body('s'), ['Ward:1'], 80, await fenceOf(store, 1, 'short'));
      expect((await store.lookup(1, 'short')).hit).not.toBeNull();
      await sleep(150);
      expect((await store.lookup(1, 'short')).hit).toBeNull();
      expect(await store.entries(1)).toBe(0);
    });
  });
}

describeWith('Redis')('Redis store with the local tier (two processes on one Redis)', () => {
  const prefix = prefixFor('tier');
  let a: ResponseStore;
  let b: ResponseStore;
  let redis: Redis;
  const make = () => createRedisStore({ url: REDIS_TEST_URL, prefix, logger: silent, localMaxBytes: 1024 * 1024 });
  beforeAll(async () => {
    [a, b] = await Promise.all([make(), make()]);
    redis = new Redis(REDIS_TEST_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await Promise.all([a.close(), b.close()]);
    redis.disconnect();
  });
  const text = async (s: ResponseStore, key: string) => (await s.lookup(1, key)).hit?.body.toString() ?? null;

  it('serves its local copy only while Redis holds that very copy', async () => {
    await a.store(1, 'k', body('first'), ['Patient:1#core'], 60_000, await fenceOf(a, 1, 'k'));
    expect(await text(a, 'k')).toContain('first'); // from the local tier
    expect(await text(b, 'k')).toContain('first'); // from Redis, now in b's tier too
    // Another process invalidates: neither serves its local copy any more.
    await b.invalidate(1, ['Patient:1#core']);
    expect(await text(a, 'k')).toBeNull();
    // Another process stores a different answer under the same key: the new one is served.
    await b.store(1, 'k', body('second'), ['Patient:1#core'], 60_000, await fenceOf(b, 1, 'k'));
    expect(await text(a, 'k')).toContain('second');
    // Replaced behind both tiers' backs (same body, new stamp): still the copy Redis holds.
    await a.purge(1);
    await b.store(1, 'k', body('third'), ['Patient:1#core'], 60_000, await fenceOf(b, 1, 'k'));
    expect([await text(a, 'k'), await text(b, 'k')].map((t) => t?.includes('third'))).toEqual([true, true]);
  });

  it('lets a lease whose holder died lapse, so another process computes the answer', async () => {
    await redis.set(`${prefix}{h1}:l:dead`, 'a process that died', 'PX', 150);
    expect(await a.lease(1, 'dead', 3000)).toBeNull();
    await sleep(250);
    const release = await a.lease(1, 'dead', 3000);
    expect(release).not.toBeNull();
    release?.();
  });

  it('never answers concurrent lookups with a read sent before an invalidation that returned', async () => {
    await a.store(1, 'c', body('old'), ['Ward:1'], 60_000, await fenceOf(a, 1, 'c'));
    expect(await text(a, 'c')).toContain('old');
    for (let round = 0; round < 20; round++) {
      const early = Array.from({ length: 20 }, () => a.lookup(1, 'c')); // in flight while the write lands
      await b.invalidate(1, ['Ward:1']);
      const late = await Promise.all(Array.from({ length: 20 }, () => a.lookup(1, 'c')));
      expect(late.filter((l) => l.hit !== null)).toHaveLength(0);
      await Promise.all(early);
      await a.store(1, 'c', body('old'), ['Ward:1'], 60_000, await fenceOf(a, 1, 'c'));
    }
  });
});

describeWith('Redis')('Redis store layout', () => {
  const prefix = prefixFor('layout');
  let store: ResponseStore;
  let redis: Redis;
  beforeAll(async () => {
    store = await createRedisStore({ url: REDIS_TEST_URL, prefix, logger: silent });
    redis = new Redis(REDIS_TEST_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await store.close();
    redis.disconnect();
  });

  it('keeps every key under its prefix, with the hospital as Redis Cluster hash tag', async () => {
    await store.store(7, 'k1', body('x'), ['Patient:3#core', 'Q:dashboardStats'], 60_000, await fenceOf(store, 7, 'k1'));
    const keys = (await redis.keys(`${prefix}*`)).sort();
    expect(keys).toEqual(
      [
        `${prefix}{h7}:a`,
        `${prefix}{h7}:m`, // the key explorer's descriptions
        `${prefix}{h7}:r:k1`,
        `${prefix}{h7}:t:Patient:3#core`,
        `${prefix}{h7}:t:Q:dashboardStats`,
        `${prefix}{h7}:y:Patient`,
        `${prefix}{h7}:y:Q`,
      ].sort(),
    );
  });

  it('lets its index keys expire with the answers they point to', async () => {
    await store.store(8, 'k2', body('x'), ['Ward:4'], 300, await fenceOf(store, 8, 'k2'));
    for (const key of [`${prefix}{h8}:t:Ward:4`, `${prefix}{h8}:y:Ward`, `${prefix}{h8}:a`, `${prefix}{h8}:m`]) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300);
    }
    await sleep(400);
    expect(await redis.exists(`${prefix}{h8}:t:Ward:4`, `${prefix}{h8}:y:Ward`, `${prefix}{h8}:a`, `${prefix}{h8}:m`, `${prefix}{h8}:r:k2`)).toBe(0);
  });

  it('is not disturbed by unrelated keys that look like entity tags', async () => {
    await redis.set('Patient:5', 'someone else\'s string');
    await redis.set(`Patient:5#core`, 'another');
    await store.store(9, 'k3', body('x'), ['Patient:5#core'], 60_000, await fenceOf(store, 9, 'k3'));
    expect(await store.invalidate(9, ['Patient:5#core'])).toBe(1);
    expect(await store.invalidateType(9, 'Patient')).toBe(0);
    expect(store.state()).toBe('up');
    expect(await redis.get('Patient:5')).toBe('someone else\'s string');
    await redis.del('Patient:5', 'Patient:5#core');
  });

  it('invalidates a type without KEYS or SCAN, touching only its own index', async () => {
    for (let i = 0; i < 20; i++) {
      await store.store(10, `p${i}`, body('x'), [`Patient:${i}#core`], 60_000, await fenceOf(store, 10, `p${i}`));
    }
    const monitor = await redis.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => commands.push(args.join(' ')));
    await sleep(50);
    expect(await store.invalidateType(10, 'Patient')).toBe(20);
    await sleep(50);
    monitor.disconnect();
    const ours = commands.filter((c) => c.includes(prefix) || /^(keys|scan)\b/i.test(c));
    expect(ours.some((c) => /^(keys|scan)\b/i.test(c))).toBe(false);
    expect(ours.length).toBeGreaterThan(0);
  });
});
