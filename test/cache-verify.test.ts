import pino from 'pino';
import { createMemoryStore } from '../src/cache';
import { createVerifier } from '../src/cache/verify/verifier';
import { op, seedForCache } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type GqlResult, type TestGateway } from './support/gateway';

/**
 * The cache checks itself (CACHE_VERIFY_RATE): a sampled hit is recomputed in the background
 * under the current fence. A planted wrong entry is found, counted, logged and evicted; correct
 * entries are checked without a false alarm.
 */

type Dashboard = { dashboardStats: { totalPatients: number; inpatients: number; outpatients: number; updatedAt: string } };
const cacheOf = (r: GqlResult) => (r.body.extensions as { cache?: { hit: boolean } } | undefined)?.cache;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cache self-check (verify rate 1)', () => {
  let t: TestGateway;
  let viewer: string;
  const lines: Array<{ msg: string; [k: string]: unknown }> = [];

  beforeAll(async () => {
    const config = testConfig(sqliteDatabase());
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
    t = await startTestGateway({ ...config, cache: { ...config.cache, verifyRate: 1 } }, { logger });
    await seedForCache(t);
    viewer = await t.token('viewer');
  });
  afterAll(() => t?.close());

  const dashboard = () => t.gql<Dashboard>(op('Dashboard'), {}, viewer);
  async function until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  }

  it('checks correct hits without a false alarm (updatedAt differs and is ignored)', async () => {
    await dashboard();
    // Checks run one at a time: each hit waits for the previous hit's check.
    for (let i = 0; i < 5; i++) {
      expect(cacheOf(await dashboard())?.hit).toBe(true);
      await until(() => t.gateway.cache.counters.verifications >= i + 1, `verification ${i + 1}`);
    }
    expect(t.gateway.cache.counters.verifyMismatches).toBe(0);
  });

  it('finds a planted stale entry: counts it, logs operation, tags and path, evicts it', async () => {
    const right = (await dashboard()).body.data!.dashboardStats;
    const { store } = t.gateway.cache;
    const key = t.gateway.cache.keyFor({ hospitalId: 1, role: 'viewer' }, { query: op('Dashboard') })!;
    const planted = { data: { dashboardStats: { ...right, totalPatients: right.totalPatients + 7 } } };
    // A stale entry as a lost invalidation would leave it: under the current fence, with its tags.
    const fence = await store.fence(1);
    expect(await store.store(1, key, Buffer.from(JSON.stringify(planted)), ['Q:dashboardStats'], 60_000, fence)).toBe('stored');

    const served = await dashboard();
    expect([cacheOf(served)?.hit, served.body.data!.dashboardStats.totalPatients]).toEqual([true, right.totalPatients + 7]);
    // Checks run on a budget (5% of the time): a sampled hit over it is left unchecked, so the
    // planted entry is served again until a check gets to it.
    const deadline = Date.now() + 20_000;
    while (t.gateway.cache.counters.verifyMismatches === 0 && Date.now() < deadline) {
      await sleep(250);
      if (t.gateway.cache.counters.verifyMismatches === 0) await dashboard();
    }
    await until(() => t.gateway.cache.counters.verifyMismatches === 1, 'the mismatch');

    const logged = lines.filter((l) => l.msg.startsWith('cache verification'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ operation: 'Dashboard', hospitalId: 1, path: 'data.dashboardStats.totalPatients', evicted: true });
    expect(logged[0].tags).toEqual(expect.arrayContaining(['Q:dashboardStats']));
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/^wardcache_cache_verify_mismatches_total 1$/m);

    const next = await dashboard();
    expect([cacheOf(next)?.hit, next.body.data!.dashboardStats.totalPatients]).toEqual([false, right.totalPatients]);
  });
});

describe('the self-check\'s budget', () => {
  it('runs one check at a time and spends at most its share of the time (5% by default)', () => {
    let t = 0;
    let skipped = 0;
    const v = createVerifier({ rate: 1, store: createMemoryStore(), logger: pino({ level: 'silent' }), onChecked: () => undefined, onSkipped: () => (skipped += 1), now: () => t, random: () => 0 });
    expect(v.sample()).toBe(true);
    expect(v.sample()).toBe(false); // one at a time
    t = 100;
    v.finished(); // 100 ms of checking in the first second: over 5% of 1 s
    expect(v.sample()).toBe(false);
    t = 2000; // 100 ms of 2 s is 5%: allowed again
    expect(v.sample()).toBe(true);
    v.finished();
    expect(skipped).toBe(2);
    const never = createVerifier({ rate: 0, store: createMemoryStore(), logger: pino({ level: 'silent' }), onChecked: () => undefined });
    expect(never.sample()).toBe(false);
  });
});
