/**
 * The key explorer through GraphQL, as the contract's CacheEntries and EvictCacheEntry send it:
 * exactly the hospital's cached answers, newest first; `first` bounds; an eviction makes the
 * next read a miss, in every process sharing the cache; another hospital's answers are never
 * listed nor removed; only admins may ask.
 */
import { op, seedForCache } from './support/cache-fixture';
import { REDIS_TEST_URL, describeWith } from './support/services';
import { sqliteDatabase, startTestGateway, testConfig, type GqlResult, type TestGateway } from './support/gateway';

interface Entry {
  id: string;
  operationName: string;
  variables: string;
  bytes: number;
  ageMs: number;
  expiresInMs: number;
  tags: string[];
}
interface Page {
  cacheEntries: { totalCount: number; entries: Entry[] };
}

const cacheOf = (r: GqlResult) => r.body.extensions?.cache as { hit: boolean } | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function explorerSuite(name: string, describeIt: jest.Describe, redisUrl: string | null) {
  describeIt(`key explorer over GraphQL (${name})`, () => {
    let a: TestGateway;
    let b: TestGateway;
    let patientId: string;
    beforeAll(async () => {
      const database = sqliteDatabase();
      const prefix = `wardcache-explorer-${process.pid}-${Date.now()}:`;
      const config = testConfig(database, { redisUrl });
      a = await startTestGateway({ ...config, cache: { ...config.cache, redisPrefix: prefix, ttlMs: 60_000 } });
      // A second process on the same database and cache (with Redis: the same cache).
      b = await startTestGateway({ ...config, cache: { ...config.cache, redisPrefix: prefix, ttlMs: 60_000 } });
      patientId = (await seedForCache(a)).inpatient.patientId;
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    async function entries(t: TestGateway, variables: Record<string, unknown> = {}, hospital = '1'): Promise<GqlResult<Page>> {
      return t.gql<Page>(op('CacheEntries'), variables, await t.token('admin', hospital));
    }

    it('lists exactly the hospital\'s cached answers, newest first, with their descriptions', async () => {
      const viewer = await a.token('viewer');
      const before = Date.now();
      expect(cacheOf(await a.gql(op('Dashboard'), undefined, viewer))?.hit).toBe(false);
      await sleep(5);
      expect(cacheOf(await a.gql(op('Patient'), { id: patientId }, viewer))?.hit).toBe(false);
      await sleep(5);
      expect(cacheOf(await a.gql(op('WardFilters'), undefined, viewer))?.hit).toBe(false);
      // Hospital 2 caches its own Dashboard: never listed for hospital 1.
      expect(cacheOf(await a.gql(op('Dashboard'), undefined, await a.token('viewer', '2')))?.hit).toBe(false);
      const after = Date.now();

      const page = await entries(a);
      expect(page.body.errors).toBeUndefined();
      const { totalCount, entries: list } = page.body.data!.cacheEntries;
      expect(totalCount).toBe(3);
      expect(list.map((e) => [e.operationName, e.variables])).toEqual([
        ['WardFilters', '{}'],
        ['Patient', JSON.stringify({ id: patientId })],
        ['Dashboard', '{"recentLimit":30}'],
      ]);
      for (const e of list) {
        expect(e.id).toMatch(/^h1\.[A-Za-z0-9_-]{43}$/);
        expect(e.ageMs).toBeGreaterThanOrEqual(0);
        expect(e.ageMs).toBeLessThanOrEqual(Date.now() - before);
        expect(e.expiresInMs).toBeGreaterThan(60_000 - (Date.now() - before) - 1);
        expect(e.expiresInMs).toBeLessThanOrEqual(60_000);
      }
      const [filters, patient, dashboard] = list;
      expect(patient.tags).toContain(`Patient:${patientId}#core`);
      expect(dashboard.tags).toEqual(expect.arrayContaining(['Q:dashboardStats', 'Q:recentPatients']));
      expect(filters.tags).toContain('Q:wardFilters');
      // The size is the answer's as served: the same bytes a hit returns as `data`.
      const served = await fetch(`${a.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await a.token('viewer')}` },
        body: JSON.stringify({ query: op('WardFilters') }),
      }).then((r) => r.json() as Promise<{ data: unknown }>);
      expect(filters.bytes).toBe(Buffer.byteLength(JSON.stringify({ data: served.data })));
      expect(after).toBeGreaterThanOrEqual(before);

      // Every process sharing the cache lists the same (with Redis); hospital 2 lists its own.
      if (redisUrl) expect((await entries(b)).body.data!.cacheEntries.entries.map((e) => e.id)).toEqual(list.map((e) => e.id));
      const other = (await entries(a, {}, '2')).body.data!.cacheEntries;
      expect(other.totalCount).toBe(1);
      expect(other.entries[0].id).toMatch(/^h2\./);
      expect(other.entries[0].id.slice(3)).toBe(dashboard.id.slice(3)); // the same question, another hospital's answer
    });

    it('filters by operation and honours first, counting every match', async () => {
      const viewer = await a.token('viewer');
      const others = ['1', '2', '3', '4'].filter((id) => id !== patientId).slice(0, 3);
      for (const id of others) await a.gql(op('Patient'), { id }, viewer);
      const all = (await entries(a, { operationName: 'Patient' })).body.data!.cacheEntries;
      expect(all.totalCount).toBe(4);
      expect(all.entries.every((e) => e.operationName === 'Patient')).toBe(true);
      const one = (await entries(a, { operationName: 'Patient', first: 1 })).body.data!.cacheEntries;
      expect(one.totalCount).toBe(4);
      expect(one.entries).toEqual([all.entries[0]].map((e) => ({ ...e, ageMs: expect.any(Number), expiresInMs: expect.any(Number) })));
      expect(all.entries[0].variables).toBe(JSON.stringify({ id: others[2] }));
      expect((await entries(a, { operationName: 'Nothing' })).body.data!.cacheEntries).toEqual({ totalCount: 0, entries: [] });
    });

    it('refuses first outside 1 to 500 with BAD_USER_INPUT', async () => {
      for (const first of [0, -1, 501, 100_000]) {
        const r = await entries(a, { first });
        expect(r.body.data).toBeNull();
        expect(r.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
        expect(r.body.errors?.[0].message).toMatch(/between 1 and 500/);
      }
      expect((await entries(a, { first: 500 })).body.errors).toBeUndefined();
      expect((await entries(a, { first: 1 })).body.data!.cacheEntries.entries).toHaveLength(1);
    });

    it('evicts one answer: the next read is a miss in every process sharing the cache, then a hit again', async () => {
      const viewer = await a.token('viewer');
      await a.gql(op('WardFilters'), undefined, viewer);
      expect(cacheOf(await b.gql(op('WardFilters'), undefined, viewer))?.hit).toBe(redisUrl !== null);
      const target = (await entries(a, { operationName: 'WardFilters' })).body.data!.cacheEntries.entries[0];
      const kept = (await entries(a)).body.data!.cacheEntries.totalCount;

      const evicted = await a.gql<{ evictCacheEntry: boolean }>(op('EvictCacheEntry'), { id: target.id }, await a.token('admin'));
      expect(evicted.body.data).toEqual({ evictCacheEntry: true });
      // Gone already: false, nothing else removed.
      const again = await a.gql<{ evictCacheEntry: boolean }>(op('EvictCacheEntry'), { id: target.id }, await a.token('admin'));
      expect(again.body.data?.evictCacheEntry).toBe(false);
      expect((await entries(a)).body.data!.cacheEntries.totalCount).toBe(kept - 1);
      expect((await entries(a, { operationName: 'WardFilters' })).body.data!.cacheEntries.totalCount).toBe(0);
      // Evicted from the shared cache: a miss through the other process too (its local copy is not served).
      if (redisUrl) expect(cacheOf(await b.gql(op('WardFilters'), undefined, viewer))?.hit).toBe(false);
      else expect(cacheOf(await a.gql(op('WardFilters'), undefined, viewer))?.hit).toBe(false);
      expect(cacheOf(await a.gql(op('WardFilters'), undefined, viewer))?.hit).toBe(true);
      expect((await entries(a, { operationName: 'WardFilters' })).body.data!.cacheEntries.entries[0].id).toBe(target.id); // stable: the same question
    });

    it("never removes another hospital's answer, and refuses what is not an entry id", async () => {
      const theirs = (await entries(a, {}, '2')).body.data!.cacheEntries.entries[0];
      const r = await a.gql<{ evictCacheEntry: boolean }>(op('EvictCacheEntry'), { id: theirs.id }, await a.token('admin', '1'));
      expect(r.body.data).toEqual({ evictCacheEntry: false });
      expect((await entries(a, {}, '2')).body.data!.cacheEntries.entries.map((e) => e.id)).toEqual([theirs.id]);
      expect(cacheOf(await a.gql(op('Dashboard'), undefined, await a.token('viewer', '2')))?.hit).toBe(true);

      for (const id of ['', 'nonsense', 'h1.short', `h0.${'a'.repeat(43)}`]) {
        const bad = await a.gql(op('EvictCacheEntry'), { id }, await a.token('admin'));
        expect(bad.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      }
    });

    it('is for admins only: viewers and clinicians are FORBIDDEN, no token is UNAUTHENTICATED, and nothing changes', async () => {
      const before = (await entries(a)).body.data!.cacheEntries;
      const id = before.entries[0].id;
      for (const role of ['viewer', 'clinician'] as const) {
        const token = await a.token(role);
        const list = await a.gql(op('CacheEntries'), {}, token);
        expect(list.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        const evict = await a.gql(op('EvictCacheEntry'), { id }, token);
        expect(evict.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      }
      expect((await a.gql(op('CacheEntries'), {}, null)).body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect((await a.gql(op('EvictCacheEntry'), { id }, null)).body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect((await entries(a)).body.data!.cacheEntries.entries.map((e) => e.id)).toEqual(before.entries.map((e) => e.id));
    });
  });
}

explorerSuite('in-process cache', describe, null);
explorerSuite('Redis shared by two processes', describeWith('Redis'), REDIS_TEST_URL);
