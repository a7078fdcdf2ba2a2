import { createHash } from 'node:crypto';
import { INVALIDATE_SCRIPT } from '../src/cache/stores/redis-scripts';
import { op, seedForCache } from './support/cache-fixture';
import { startTestGateway, testConfig, type GqlResult, type TestGateway } from './support/gateway';
import { RedisProxy } from './support/redis-proxy';
import { describeWith, freshPostgresDatabase, REDIS_TEST_URL } from './support/services';

/**
 * Invalidation fails closed. Two gateways share one PostgreSQL database and one Redis; A reaches
 * Redis through a proxy that the test makes slow, hung or unreachable, B reaches it directly.
 * Whatever A's Redis does, a write through A that returned is never hidden from a read through B
 * by B's cached answer; A either confirms the eviction, tells the client it could not, or refuses
 * the write without changing anything.
 */

const WRITE_BOUND_MS = 1500;
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
type Dashboard = { dashboardStats: { totalPatients: number } };
type Register = { registerPatient: { id: string; name: string } | null };
const cacheOf = (r: GqlResult) => (r.body.extensions as { cache?: { hit: boolean } } | undefined)?.cache;
const codes = (r: GqlResult) => (r.body.errors ?? []).map((e) => e.extensions?.code);

describeWith('PostgreSQL')('invalidation fails closed (two gateways, one Redis)', () => {
  describeWith('Redis')('A through a proxy, B direct', () => {
    let A: TestGateway;
    let B: TestGateway;
    let proxy: RedisProxy;
    let viewer: string;
    let clinician: string;

    beforeAll(async () => {
      const url = new URL(REDIS_TEST_URL);
      proxy = new RedisProxy({ host: url.hostname, port: Number(url.port || 6379) });
      await proxy.start();
      const database = { kind: 'postgresql' as const, url: await freshPostgresDatabase('wardcache_fail_closed') };
      const base = testConfig(database);
      const cache = { ...base.cache, redisWriteTimeoutMs: WRITE_BOUND_MS, redisDeadMs: 1000 };
      A = await startTestGateway({ ...base, redisUrl: proxy.url, cache });
      B = await startTestGateway({ ...base, redisUrl: REDIS_TEST_URL, cache });
      await seedForCache(A);
      [viewer, clinician] = await Promise.all([A.token('viewer'), A.token('clinician')]);
    });

    afterAll(async () => {
      await A?.close();
      await B?.close();
      await proxy?.stop();
    });

    const dashboard = (g: TestGateway) => g.gql<Dashboard>(op('Dashboard'), {}, viewer);
    const total = (r: GqlResult<Dashboard>) => r.body.data!.dashboardStats.totalPatients;
    const register = (name: string) => A.gql<Register>(op('RegisterPatient'), { input: { name, status: 'OUTPATIENT' } }, clinician);

    /** B serves Dashboard from its cache, and returns the total it shows. */
    async function primeB(): Promise<number> {
      await dashboard(B);
      const hit = await dashboard(B);
      expect(cacheOf(hit)?.hit).toBe(true);
      return total(hit);
    }

    it('a slow Redis (150 ms per reply, 3x the read budget) is not an outage: the write confirms its eviction and B shows it', async () => {
      const before = await primeB();
      proxy.setMode({ kind: 'slow', replyDelayMs: 150 });
      try {
        const write = await register('Slow Redis Patient');
        expect([write.status, write.body.errors]).toEqual([200, undefined]);
        const read = await dashboard(B);
        expect([total(read), cacheOf(read)?.hit]).toEqual([before + 1, false]);
        // A's own read waits for the slow reply (the write evicted the entry: a miss, current data).
        const own = await dashboard(A);
        expect([own.status, own.body.errors, total(own)]).toEqual([200, undefined, before + 1]);
        expect(A.gateway.cache.store.state()).toBe('up');
      } finally {
        proxy.setMode({ kind: 'pass' });
      }
    });

    it('a slow Redis (150 ms per reply) is waited for: hits under it stay hits, not database work', async () => {
      await dashboard(A);
      const primed = await dashboard(A);
      expect(cacheOf(primed)?.hit).toBe(true);
      const sqlBefore = A.sql.statements.length;
      proxy.setMode({ kind: 'slow', replyDelayMs: 150 });
      try {
        const reads = await Promise.all(Array.from({ length: 20 }, () => dashboard(A)));
        expect(reads.map((r) => [r.status, cacheOf(r)?.hit, total(r)])).toEqual(reads.map(() => [200, true, total(primed)]));
        expect(A.sql.statements.length - sqlBefore).toBe(0);
        expect(A.gateway.cache.store.state()).toBe('up');
      } finally {
        proxy.setMode({ kind: 'pass' });
      }
    });

    it('Redis hangs right after the commit: the client gets the data and CACHE_INVALIDATION_PENDING, and no process serves the old answer', async () => {
      const before = await primeB();
      proxy.setMode({ kind: 'hangOn', marker: sha1(INVALIDATE_SCRIPT) });
      const started = Date.now();
      const write = await register('Hung Redis Patient');
      const tookMs = Date.now() - started;
      expect(proxy.triggered).toBe(true);
      expect(write.status).toBe(200);
      expect(write.body.data?.registerPatient?.name).toBe('Hung Redis Patient'); // committed
      expect(codes(write)).toEqual(['CACHE_INVALIDATION_PENDING']);
      expect(tookMs).toBeGreaterThanOrEqual(WRITE_BOUND_MS);
      // B's cached Dashboard was never evicted by A, but B sees A's unconfirmed intent expired.
      const read = await dashboard(B);
      expect([total(read), cacheOf(read)?.hit]).toEqual([before + 1, false]);
      // …and once B's purge went through, B caches the fresh answer again.
      await dashboard(B);
      const again = await dashboard(B);
      expect([total(again), cacheOf(again)?.hit]).toEqual([before + 1, true]);
      // A's hung connection is dropped by its heartbeat; after reconnecting it serves fresh data.
      proxy.setMode({ kind: 'pass' });
      const deadline = Date.now() + 10_000;
      while (A.gateway.cache.store.state() !== 'up' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(A.gateway.cache.store.state()).toBe('up');
      expect(total(await dashboard(A))).toBe(before + 1);
    });

    it('Redis unreachable from A: the write is refused with SERVICE_UNAVAILABLE and nothing changes', async () => {
      const before = await primeB();
      await proxy.refuse();
      try {
        const write = await register('Unreachable Redis Patient');
        expect(write.status).toBe(200);
        expect(write.body.data).toBeNull();
        expect(codes(write)).toEqual(['SERVICE_UNAVAILABLE']);
        const read = await dashboard(B);
        expect(total(read)).toBe(before); // nothing was committed
        // Reads through A still answer, from the database.
        const own = await dashboard(A);
        expect([own.status, own.body.errors, total(own)]).toEqual([200, undefined, before]);
      } finally {
        await proxy.start();
      }
      const deadline = Date.now() + 10_000;
      while (A.gateway.cache.store.state() !== 'up' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const write = await register('Back Again Patient');
      expect([write.status, write.body.errors]).toEqual([200, undefined]);
      expect(total(await dashboard(B))).toBe(before + 1);
    });
  });
});
