import type { Plugin } from '@envelop/core';
import { GraphQLError } from 'graphql';
import type { GatewayConfig } from '../src/config/config';
import { DEFAULT_JOBS } from '../src/jobs/scheduler';
import { seedForCache, op } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';
import { describeWith, REDIS_TEST_URL } from './support/services';

type CacheExt = { hit: boolean; ageMs: number };
const cacheOf = (r: { body: { extensions?: Record<string, unknown> } }) => r.body.extensions?.cache as CacheExt;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts executions per operation name, and can make one operation fail. */
function probe() {
  const executions = new Map<string, number>();
  const failing = new Set<string>();
  const plugin: Plugin = {
    onExecute({ args, setExecuteFn }) {
      const name = args.operationName ?? '';
      executions.set(name, (executions.get(name) ?? 0) + 1);
      if (failing.has(name)) {
        setExecuteFn(async () => ({ errors: [new GraphQLError(`${name} is broken for this test`, { extensions: { code: 'BROKEN_FOR_TEST' } })] }));
      }
    },
  };
  return { plugin, executions, failing, count: (name: string) => executions.get(name) ?? 0 };
}

const stores: Array<[string, (c: GatewayConfig) => GatewayConfig, jest.Describe]> = [
  ['memory store', (c) => c, describe],
  ['Redis store', (c) => ({ ...c, redisUrl: REDIS_TEST_URL }), describeWith('Redis')],
];

for (const [name, withStore, describeStore] of stores) {
  describeStore(`warming (${name})`, () => {
    let t: TestGateway;
    const p = probe();
    let viewer: string;
    let admin: string;
    let clinician: string;

    beforeAll(async () => {
      const base = withStore(testConfig(sqliteDatabase()));
      t = await startTestGateway({ ...base, cache: { ...base.cache, rewarmDelayMs: 0 } }, { envelopPlugins: [p.plugin] });
      await seedForCache(t);
      [viewer, admin, clinician] = await Promise.all([t.token('viewer'), t.token('admin'), t.token('clinician')]);
    });
    afterAll(() => t?.close());
    beforeEach(async () => {
      p.failing.clear();
      await t.gateway.cache.invalidation.purge(1);
      await t.gateway.cache.invalidation.purge(2);
    });

    it('makes the frontend first views hits with zero SQL statements', async () => {
      const results = await t.gateway.warmer.warm(1);
      expect(results.map((r) => [r.target, r.ok, r.error])).toEqual([
        ['DASHBOARD', true, null],
        ['WARD_MAPPING', true, null],
        ['WARD_FILTERS', true, null],
      ]);
      const sql = t.sql.count;
      for (const [operation, variables] of [['Dashboard', {}], ['WardMapping', {}], ['WardFilters', {}], ['Dashboard', { recentLimit: 30 }]] as const) {
        expect({ operation, cache: cacheOf(await t.gql(op(operation), variables, viewer)).hit }).toEqual({ operation, cache: true });
      }
      expect(t.sql.count).toBe(sql);
    });

    it('reports a failing target, runs the others, and keeps its previous answer', async () => {
      await t.gateway.warmer.warm(1);
      const before = await t.gql(op('WardMapping'), {}, viewer);
      p.failing.add('WardMapping');
      const results = await t.gateway.warmer.warm(1);
      expect(results.map((r) => [r.target, r.ok])).toEqual([
        ['DASHBOARD', true],
        ['WARD_MAPPING', false],
        ['WARD_FILTERS', true],
      ]);
      expect(results[1].error).toMatch(/^WardMapping is broken for this test \(request warm-1-WARD_MAPPING-\d+\)$/);
      p.failing.clear();
      const after = await t.gql(op('WardMapping'), {}, viewer);
      expect(cacheOf(after).hit).toBe(true);
      expect(after.body.data).toEqual(before.body.data);
    });

    it('re-warms after a burst of writes with one recomputation, never older than the writes', async () => {
      const base = t.gateway.config;
      // A second gateway on the same database and store, with re-warm on: the first one stays quiet.
      const w = await startTestGateway({ ...base, port: 0, cache: { ...base.cache, rewarmDelayMs: 150 } }, { envelopPlugins: [p.plugin] });
      try {
        await w.gateway.warmer.warm(1);
        const wClinician = await w.token('clinician');
        const before = p.count('Dashboard');
        for (let i = 0; i < 5; i++) {
          const r = await w.gql(op('RegisterPatient'), { input: { name: `Burst ${i}`, status: 'OUTPATIENT' } }, wClinician);
          expect(r.body.errors).toBeUndefined();
        }
        const fresh = (await t.gateway.orm.em.fork().getConnection().execute<Array<{ n: number | string }>>("select count(*) as n from patient where hospital_id = 1"))[0];
        let answer = await w.gql<{ dashboardStats: { totalPatients: number } }>(op('Dashboard'), {}, await w.token('viewer'));
        for (let i = 0; i < 50 && !cacheOf(answer).hit; i++) {
          await sleep(100);
          answer = await w.gql(op('Dashboard'), {}, await w.token('viewer'));
        }
        expect(cacheOf(answer).hit).toBe(true);
        expect(answer.body.data?.dashboardStats.totalPatients).toBe(Number(fresh.n));
        expect(p.count('Dashboard') - before).toBe(1);
      } finally {
        await w.close();
      }
    });

    describe('admin API', () => {
      it('reports cache statistics of the admin hospital', async () => {
        const stats = async () =>
          (await t.gql<{ cacheStats: Record<string, unknown> }>(op('CacheStats'), {}, admin)).body.data?.cacheStats;
        const s0 = await stats();
        expect(s0).toMatchObject({ backend: name.startsWith('memory') ? 'memory' : 'redis', entries: 0 });
        const hits0 = s0?.hits as number;
        const misses0 = s0?.misses as number;
        await t.gql(op('WardFilters'), {}, viewer); // miss
        await t.gql(op('WardFilters'), {}, viewer); // hit
        await t.gql(op('WardFilters'), {}, viewer); // hit
        const s1 = await stats();
        expect(s1).toMatchObject({ hits: hits0 + 2, misses: misses0 + 1, entries: 1 });
        expect(s1?.hitRate).toBeCloseTo((hits0 + 2) / (hits0 + misses0 + 3), 10);
        const warm = await t.gql<{ warmCache: Array<{ target: string; ok: boolean; durationMs: number; error: string | null }> }>(
          op('WarmCache'),
          { targets: ['WARD_FILTERS'] },
          admin,
        );
        expect(warm.body.data?.warmCache).toEqual([{ target: 'WARD_FILTERS', ok: true, durationMs: expect.any(Number), error: null }]);
        const s2 = await stats();
        expect(typeof s2?.lastWarmAt).toBe('string');
        expect(Date.now() - Date.parse(s2?.lastWarmAt as string)).toBeLessThan(60_000);
      });

      it('warms every target when targets is null', async () => {
        const r = await t.gql<{ warmCache: Array<{ target: string; ok: boolean }> }>(op('WarmCache'), { targets: null }, admin);
        expect(r.body.data?.warmCache.map((x) => [x.target, x.ok])).toEqual([
          ['DASHBOARD', true],
          ['WARD_MAPPING', true],
          ['WARD_FILTERS', true],
        ]);
      });

      it('invalidates named entities and answers, in the admin hospital only', async () => {
        await t.gateway.warmer.warm(1);
        await t.gateway.warmer.warm(2);
        const admin2 = await t.token('admin', '2');
        const inv = (entities: unknown, token = admin) => t.gql<{ invalidateCache: { invalidated: number } }>(op('InvalidateCache'), { entities }, token);
        expect((await inv([{ typename: 'WardFilters', id: null }])).body.data?.invalidateCache.invalidated).toBe(1);
        expect((await inv([{ typename: 'Ward', id: null }])).body.data?.invalidateCache.invalidated).toBe(1); // the ward map
        expect((await inv([{ typename: 'Ward', id: null }])).body.data?.invalidateCache.invalidated).toBe(0);
        expect(cacheOf(await t.gql(op('Dashboard'), {}, viewer)).hit).toBe(true);
        expect(cacheOf(await t.gql(op('Dashboard'), {}, await t.token('viewer', '2'))).hit).toBe(true);
        // Hospital 2's admin cannot touch hospital 1.
        await inv([{ typename: 'DashboardStats' }], admin2);
        expect(cacheOf(await t.gql(op('Dashboard'), {}, viewer)).hit).toBe(true);
      });

      it('refuses a bad invalidation whole, changing nothing', async () => {
        await t.gateway.warmer.warm(1);
        const r = await t.gql(op('InvalidateCache'), { entities: [{ typename: 'WardFilters' }, { typename: 'Nurse', id: '1' }] }, admin);
        expect(r.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
        expect(cacheOf(await t.gql(op('WardFilters'), {}, viewer)).hit).toBe(true);
      });

      it('is for admins only', async () => {
        for (const token of [viewer, clinician]) {
          expect((await t.gql(op('CacheStats'), {}, token)).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
          expect((await t.gql(op('WarmCache'), { targets: null }, token)).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
          expect((await t.gql(op('InvalidateCache'), { entities: [{ typename: 'Ward' }] }, token)).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        }
      });
    });

    describe('scheduled jobs', () => {
      it('uses the documented default schedule: dashboard at :00 and :05, wards 2.5 minutes later', () => {
        const { dashboard, wards } = t.gateway.scheduler.tasks;
        expect(DEFAULT_JOBS).toEqual({ enabled: true, dashboardCron: '0 */5 * * * *', wardCron: '30 2-59/5 * * * *' });
        expect(dashboard.getPattern()).toBe('0 */5 * * * *');
        const at = (iso: string) => new Date(iso);
        expect(dashboard.match(at('2026-11-21T10:05:00'))).toBe(true);
        expect(dashboard.match(at('2026-11-21T10:07:30'))).toBe(false);
        expect(wards.match(at('2026-11-21T10:07:30'))).toBe(true);
        expect(wards.match(at('2026-11-21T10:02:30'))).toBe(true);
        expect(wards.match(at('2026-11-21T10:05:00'))).toBe(false);
      });

      it('warms every hospital per run, and never overlaps itself', async () => {
        const tick = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000 * Math.random());
        const [first, second] = await Promise.all([
          t.gateway.scheduler.runJob('warm-dashboard', ['DASHBOARD'], tick),
          t.gateway.scheduler.runJob('warm-dashboard', ['DASHBOARD'], new Date(tick.getTime() + 1000)),
        ]);
        expect(first).toMatchObject({ ran: true, hospitals: 2, failures: 0 });
        expect(second.ran).toBe(false);
        expect(cacheOf(await t.gql(op('Dashboard'), {}, viewer)).hit).toBe(true);
        expect(cacheOf(await t.gql(op('Dashboard'), {}, await t.token('viewer', '2'))).hit).toBe(true);
      });

      it('runs a tick once even when asked twice (the lock of that tick)', async () => {
        const tick = new Date(Math.floor(Date.now() / 1000) * 1000 + 7_200_000 + 1000 * Math.floor(1000 * Math.random()));
        const a = await t.gateway.scheduler.runJob('warm-wards', ['WARD_MAPPING', 'WARD_FILTERS'], tick);
        const b = await t.gateway.scheduler.runJob('warm-wards', ['WARD_MAPPING', 'WARD_FILTERS'], tick);
        expect([a.ran, b.ran]).toEqual([true, false]);
      });

      it('keeps going when one hospital fails', async () => {
        p.failing.add('WardFilters');
        const run = await t.gateway.scheduler.runJob('warm-wards', ['WARD_MAPPING', 'WARD_FILTERS'], new Date(Date.now() + 86_400_000 * Math.random()));
        expect(run).toMatchObject({ ran: true, hospitals: 2, failures: 2 });
        expect(cacheOf(await t.gql(op('WardMapping'), {}, await t.token('viewer', '2'))).hit).toBe(true);
      });

      it('runs through node-cron (task.execute)', async () => {
        await t.gateway.scheduler.tasks.dashboard.start();
        try {
          await t.gateway.scheduler.tasks.dashboard.execute();
        } finally {
          await t.gateway.scheduler.tasks.dashboard.stop();
        }
        expect(cacheOf(await t.gql(op('Dashboard'), {}, viewer)).hit).toBe(true);
      });
    });
  });
}
