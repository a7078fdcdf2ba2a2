/**
 * The store side of the key explorer and the dry runs, on both stores: what `list`, `describe`,
 * `census` and `count` say matches what is stored and what an invalidation then removes, and
 * the descriptions go with their answers (Redis: nothing is left behind in the hash).
 */
import Redis from 'ioredis';
import pino from 'pino';
import { createMemoryStore, createRedisStore, type ResponseStore } from '../src/cache';
import { describeWith, REDIS_TEST_URL } from './support/services';

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const body = (n: number) => Buffer.from(JSON.stringify({ data: { n, pad: 'x'.repeat(n) } }));

const makers: Array<[string, jest.Describe, (prefix: string, retainStaleMs?: number) => Promise<ResponseStore>]> = [
  ['memory', describe, async (_prefix, retainStaleMs = 0) => createMemoryStore({ retainStaleMs })],
  ['redis', describeWith('Redis'), (prefix, retainStaleMs = 0) => createRedisStore({ url: REDIS_TEST_URL, prefix, logger: silent, retainStaleMs })],
];

for (const [name, describeStore, make] of makers) {
  describeStore(`key explorer in the ${name} store`, () => {
    let store: ResponseStore;
    let prefix: string;
    let seq = 0;
    beforeEach(async () => {
      prefix = `wardcache-explorer-test-${process.pid}-${(seq += 1)}:`;
      store = await make(prefix);
    });
    afterEach(async () => {
      await store.purge(1);
      await store.purge(2);
      await store.close();
    });

    /** Stores in order, 5 ms apart, so storedAt orders them. */
    async function fill(scope: number, rows: Array<[key: string, op: string, vars: string, size: number, tags: string[], ttl?: number]>) {
      for (const [key, operationName, variables, size, tags, ttl] of rows) {
        const fence = await store.fence(scope);
        expect(await store.store(scope, key, body(size), tags, ttl ?? 60_000, fence, { operationName, variables })).toBe('stored');
        await sleep(5);
      }
    }

    it('lists a hospital\'s fresh answers newest first, by operation, with their descriptions', async () => {
      const before = Date.now();
      await fill(1, [
        ['d', 'Dashboard', '{}', 10, ['Q:dashboardStats', 'Patient:1#core']],
        ['p1', 'Patient', '{"id":"1"}', 20, ['Patient:1#core']],
        ['p2', 'Patient', '{"id":"2"}', 30, ['Patient:2#core']],
        ['w', 'WardMapping', '{"filter":null}', 40, ['Q:wardMapping', 'Ward:1']],
      ]);
      await fill(2, [['d', 'Dashboard', '{}', 50, ['Q:dashboardStats']]]);

      const all = await store.list(1, { first: 50 });
      expect(all.totalCount).toBe(4);
      expect(all.entries.map((e) => e.key)).toEqual(['w', 'p2', 'p1', 'd']);
      const [w] = all.entries;
      expect(w).toMatchObject({ key: 'w', operationName: 'WardMapping', variables: '{"filter":null}', bytes: body(40).length, tags: ['Q:wardMapping', 'Ward:1'] });
      expect(w.storedAt).toBeGreaterThanOrEqual(before);
      expect(w.freshUntil - w.storedAt).toBe(60_000);

      const patients = await store.list(1, { operationName: 'Patient', first: 1 });
      expect(patients.totalCount).toBe(2);
      expect(patients.entries.map((e) => [e.key, e.variables])).toEqual([['p2', '{"id":"2"}']]);
      expect((await store.list(1, { operationName: 'WardFilters', first: 5 })).totalCount).toBe(0);
      // Another hospital's answers are its own.
      expect((await store.list(2, { first: 50 })).entries.map((e) => [e.key, e.bytes])).toEqual([['d', body(50).length]]);

      expect(await store.census(1)).toEqual([
        { operationName: 'Dashboard', entries: 1, bytes: body(10).length },
        { operationName: 'Patient', entries: 2, bytes: body(20).length + body(30).length },
        { operationName: 'WardMapping', entries: 1, bytes: body(40).length },
      ]);
      expect(await store.describe(1, 'p1')).toMatchObject({ key: 'p1', operationName: 'Patient', variables: '{"id":"1"}', tags: ['Patient:1#core'] });
      expect(await store.describe(1, 'nope')).toBeNull();
      expect(await store.describe(2, 'p1')).toBeNull();
    });

    it('leaves expired answers out, also while they are kept as stale copies', async () => {
      await store.close();
      store = await make(prefix, 60_000); // expired answers stay a minute, for database outages
      await fill(1, [
        ['short', 'Patient', '{"id":"1"}', 1, ['Patient:1#core'], 40],
        ['long', 'Patient', '{"id":"2"}', 1, ['Patient:2#core']],
      ]);
      await sleep(80);
      expect((await store.list(1, { first: 10 })).entries.map((e) => e.key)).toEqual(['long']);
      expect(await store.census(1)).toEqual([{ operationName: 'Patient', entries: 1, bytes: body(1).length }]);
      expect(await store.describe(1, 'short')).toBeNull();
    });

    it('counts exactly what an invalidation, a type invalidation or a purge then removes', async () => {
      await fill(1, [
        ['d', 'Dashboard', '{}', 1, ['Q:dashboardStats', 'Patient:1#core', 'Patient:2#core']],
        ['p1', 'Patient', '{"id":"1"}', 1, ['Patient:1#core', 'Patient:1#tags']],
        ['p2', 'Patient', '{"id":"2"}', 1, ['Patient:2#core']],
        ['w', 'WardMapping', '{}', 1, ['Q:wardMapping', 'Ward:1']],
        ['f', 'WardFilters', '{}', 1, ['Q:wardFilters', 'Ward:1', 'Tag:1']],
      ]);
      await fill(2, [['w', 'WardMapping', '{}', 1, ['Q:wardMapping', 'Ward:1']]]);
      // Shared tags count once; another hospital's never.
      expect(await store.count(1, { kind: 'tags', tags: ['Patient:1#core', 'Patient:1#tags'] })).toBe(2);
      expect(await store.count(1, { kind: 'tags', tags: ['Nothing:1'] })).toBe(0);
      expect(await store.count(1, { kind: 'type', typename: 'Ward' })).toBe(2);
      expect(await store.count(1, { kind: 'all' })).toBe(5);
      expect(await store.evict(1, 'p2')).toBe(true);
      // An evicted answer is no longer counted, though its tag sets still name it.
      expect(await store.count(1, { kind: 'tags', tags: ['Patient:2#core'] })).toBe(1);

      expect(await store.count(1, { kind: 'tags', tags: ['Patient:1#core'] })).toBe(await store.invalidate(1, ['Patient:1#core']));
      expect(await store.count(1, { kind: 'type', typename: 'Ward' })).toBe(await store.invalidateType(1, 'Ward'));
      expect((await store.list(1, { first: 10 })).totalCount).toBe(0);
      expect(await store.count(2, { kind: 'all' })).toBe(1);
      expect(await store.count(2, { kind: 'all' })).toBe(await store.purge(2));
      expect(await store.count(2, { kind: 'all' })).toBe(0);
    });

    if (name === 'redis') {
      it('keeps no description of an answer that is gone', async () => {
        const redis = new Redis(REDIS_TEST_URL);
        const described = () => redis.hlen(`${prefix}{h1}:m`);
        try {
          await fill(1, [
            ['a', 'Patient', '{"id":"1"}', 1, ['Patient:1#core']],
            ['b', 'Patient', '{"id":"2"}', 1, ['Patient:2#core']],
            ['c', 'Ward', '{}', 1, ['Ward:1']],
            ['e', 'Dashboard', '{}', 1, ['Q:dashboardStats'], 30],
          ]);
          expect(await described()).toBe(4);
          await store.evict(1, 'a');
          await store.invalidate(1, ['Patient:2#core']);
          await store.invalidateType(1, 'Ward');
          expect(await described()).toBe(1);
          await sleep(60);
          // An answer that expired by itself loses its description at the next store.
          await fill(1, [['f', 'Patient', '{"id":"3"}', 1, ['Patient:3#core']]]);
          expect(await redis.hkeys(`${prefix}{h1}:m`)).toEqual([`${prefix}{h1}:r:f`]);
          await store.purge(1);
          expect(await described()).toBe(0);
        } finally {
          redis.disconnect();
        }
      });
    }
  });
}
