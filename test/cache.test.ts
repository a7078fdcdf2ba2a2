import type { Plugin } from '@envelop/core';
import type { GatewayConfig } from '../src/config/config';
import { Patient } from '../src/modules/patient/patient.entity';
import { seedForCache, op, OPS, type CacheFixture } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';
import { describeWith, REDIS_TEST_URL } from './support/services';

type CacheExt = { hit: boolean; ageMs: number };
const cacheOf = (r: { body: { extensions?: Record<string, unknown> } }) => r.body.extensions?.cache as CacheExt;

/** Counts executions that reach the resolvers (a hit never does). */
function executionCounter(): { plugin: Plugin; count: () => number } {
  let n = 0;
  return { plugin: { onExecute: () => void (n += 1) }, count: () => n };
}

/** Holds one execution after it has read its data, until released: the stale write-back race. */
function gate() {
  let release = () => undefined as void;
  let readDone = () => undefined as void;
  let held: Promise<void> = Promise.resolve();
  const g = {
    armed: false,
    read: Promise.resolve(),
    /** Holds the next execution; `read` resolves once it has its data, `release()` lets it go on. */
    arm() {
      g.armed = true;
      held = new Promise<void>((r) => (release = r));
      g.read = new Promise<void>((r) => (readDone = r));
    },
    release: () => release(),
    plugin: {
      onExecute({ executeFn, setExecuteFn }) {
        if (!g.armed) return;
        g.armed = false;
        const wait = held;
        const signal = readDone;
        setExecuteFn(async (args) => {
          const result = await executeFn(args);
          signal();
          await wait;
          return result;
        });
      },
    } as Plugin,
  };
  return g;
}

const stores: Array<[string, (c: GatewayConfig) => GatewayConfig, jest.Describe]> = [
  ['memory store', (c) => c, describe],
  ['Redis store', (c) => ({ ...c, redisUrl: REDIS_TEST_URL }), describeWith('Redis')],
];

for (const [name, withStore, describeStore] of stores) {
  describeStore(`response cache (${name})`, () => {
    let t: TestGateway;
    let fx: CacheFixture;
    const counter = executionCounter();
    const race = gate();
    let viewer: string;
    let clinician: string;
    let viewer2: string;

    beforeAll(async () => {
      t = await startTestGateway(withStore(testConfig(sqliteDatabase())), { envelopPlugins: [race.plugin, counter.plugin] });
      fx = await seedForCache(t);
      [viewer, clinician, viewer2] = await Promise.all([t.token('viewer'), t.token('clinician'), t.token('viewer', '2')]);
    });
    afterAll(() => t?.close());
    beforeEach(async () => {
      // Every test starts from a cold cache for both hospitals.
      await t.gateway.cache.invalidation.purge(1);
      await t.gateway.cache.invalidation.purge(2);
    });

    const dashboard = (token = viewer) => t.gql(op('Dashboard'), {}, token);

    it('serves the second identical read from the cache without running resolvers or SQL', async () => {
      const first = await dashboard();
      const [execs, sql] = [counter.count(), t.sql.count];
      const second = await dashboard();
      expect(cacheOf(first)).toEqual({ hit: false, ageMs: 0 });
      expect(cacheOf(second).hit).toBe(true);
      expect(cacheOf(second).ageMs).toBeGreaterThanOrEqual(0);
      expect(second.body.data).toEqual(first.body.data);
      expect(counter.count()).toBe(execs);
      expect(t.sql.count).toBe(sql);
    });

    it('shares a read answer between the roles of one hospital, never with another hospital', async () => {
      const asViewer = await dashboard();
      const asClinician = await dashboard(clinician);
      const other = await dashboard(viewer2);
      expect(cacheOf(asClinician).hit).toBe(true);
      expect(asClinician.body.data).toEqual(asViewer.body.data);
      expect(cacheOf(other).hit).toBe(false);
      expect((other.body.data as { dashboardStats: unknown }).dashboardStats).not.toEqual((asViewer.body.data as { dashboardStats: unknown }).dashboardStats);
    });

    it('keys an answer by what is asked, not how it is written', async () => {
      await dashboard();
      const file = [...OPS.values()].join('\n\n# a comment\n');
      const wholeFile = await t.gql(file, { recentLimit: 30 }, viewer, 'Dashboard');
      expect(cacheOf(wholeFile).hit).toBe(true);
      const other = await t.gql(op('Dashboard'), { recentLimit: 5 }, viewer);
      expect(cacheOf(other).hit).toBe(false);
    });

    it('never caches the live cache statistics', async () => {
      const admin = await t.token('admin');
      await t.gql(op('CacheStats'), {}, admin);
      expect(cacheOf(await t.gql(op('CacheStats'), {}, admin)).hit).toBe(false);
    });

    it('never caches a request without a valid token, nor an answer with errors', async () => {
      const anon1 = await dashboard('not-a-token');
      const anon2 = await dashboard('not-a-token');
      expect(anon2.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(cacheOf(anon1)).toEqual({ hit: false, ageMs: 0 });
      expect(cacheOf(anon2)).toEqual({ hit: false, ageMs: 0 });
      const bad1 = await t.gql(op('Dashboard'), { recentLimit: 0 }, viewer);
      const bad2 = await t.gql(op('Dashboard'), { recentLimit: 0 }, viewer);
      expect(bad2.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(cacheOf(bad1).hit).toBe(false);
      expect(cacheOf(bad2).hit).toBe(false);
    });

    it('never caches a mutation', async () => {
      const input = { name: 'Once Only', status: 'OUTPATIENT' };
      const a = await t.gql(op('RegisterPatient'), { input }, clinician);
      const b = await t.gql(op('RegisterPatient'), { input }, clinician);
      expect(cacheOf(b).hit).toBe(false);
      expect((a.body.data as { registerPatient: { id: string } }).registerPatient.id).not.toBe(
        (b.body.data as { registerPatient: { id: string } }).registerPatient.id,
      );
    });

    // Which of the five dashboard answers each write kind must evict (true) or keep (false).
    // The filtered map is read before the whole one: once the whole map is cached again, a
    // filtered read is derived from it (test/ward-mapping-derive.test.ts), a hit by design.
    const reads = {
      Dashboard: () => t.gql(op('Dashboard'), {}, viewer),
      WardMappingFiltered: () => t.gql(op('WardMapping'), { filter: { search: 'a' } }, viewer),
      WardMapping: () => t.gql(op('WardMapping'), {}, viewer),
      WardFilters: () => t.gql(op('WardFilters'), {}, viewer),
      Patient: () => t.gql(op('Patient'), { id: fx.inpatient.patientId }, viewer),
      OtherPatient: () => t.gql(op('Patient'), { id: fx.outpatient }, viewer),
      OtherHospital: () => t.gql(op('Dashboard'), {}, viewer2),
    };
    type ReadName = keyof typeof reads;
    const writes: Array<[string, () => Promise<unknown>, ReadName[]]> = [
      ['registerPatient', () => t.gql(op('RegisterPatient'), { input: { name: 'New Person', status: 'OUTPATIENT' } }, clinician), ['Dashboard']],
      ['recordEvent', () => t.gql(op('RecordEvent'), { input: { patientId: fx.inpatient.patientId, kind: 'note' } }, clinician), ['Dashboard', 'Patient']],
      ['tagPatient', () => t.gql(op('TagPatient'), { patientId: fx.inpatient.patientId, tagId: fx.tagId }, clinician), ['WardMapping', 'WardMappingFiltered', 'Patient']],
      ['untagPatient', () => t.gql(op('UntagPatient'), { patientId: fx.inpatient.patientId, tagId: fx.tagId }, clinician), ['WardMapping', 'WardMappingFiltered', 'Patient']],
      [
        'transferPatient',
        () => t.gql(op('TransferPatient'), { admissionId: fx.inpatient.admissionId, wardId: fx.freeWard.wardId, bed: fx.freeWard.bed }, clinician),
        ['WardMapping', 'WardMappingFiltered', 'Patient'],
      ],
      ['dischargePatient', () => t.gql(op('DischargePatient'), { admissionId: fx.inpatient.admissionId }, clinician), ['Dashboard', 'WardMapping', 'WardMappingFiltered', 'Patient']],
      [
        'admitPatient',
        () => t.gql(op('AdmitPatient'), { input: { patientId: fx.inpatient.patientId, wardId: fx.inpatient.wardId, bed: fx.inpatient.bed } }, clinician),
        ['Dashboard', 'WardMapping', 'WardMappingFiltered', 'Patient'],
      ],
    ];

    it.each(writes)('%s evicts exactly the answers it feeds, and they come back fresh', async (_name, write, evicted) => {
      const before: Record<string, unknown> = {};
      for (const [read, run] of Object.entries(reads)) before[read] = (await run()).body.data;
      for (const run of Object.values(reads)) expect(cacheOf(await run()).hit).toBe(true);
      const result = (await write()) as { body: { errors?: unknown } };
      expect(result.body.errors).toBeUndefined();
      for (const [read, run] of Object.entries(reads) as Array<[ReadName, () => ReturnType<TestGateway['gql']>]>) {
        const after = await run();
        expect({ read, hit: cacheOf(after).hit }).toEqual({ read, hit: !evicted.includes(read) });
        // Kept answers are unchanged; evicted ones are recomputed (and may differ).
        if (!evicted.includes(read)) expect(after.body.data).toEqual(before[read]);
      }
    });

    it('does not store a miss that read its data before a concurrent write (no stale write-back)', async () => {
      race.arm();
      const slow = dashboard(); // reads the data, then is held
      await race.read;
      const total = (r: Awaited<ReturnType<typeof dashboard>>) => (r.body.data as { dashboardStats: { totalPatients: number } }).dashboardStats.totalPatients;
      const staleSkips = t.gateway.cache.counters.staleSkips;
      const write = await t.gql(op('RegisterPatient'), { input: { name: 'During The Race', status: 'OUTPATIENT' } }, clinician);
      expect(write.body.errors).toBeUndefined();
      race.release();
      const old = await slow;
      const next = await dashboard();
      expect(cacheOf(next).hit).toBe(false);
      expect(total(next)).toBe(total(old) + 1);
      expect(t.gateway.cache.counters.staleSkips).toBe(staleSkips + 1);
      expect(cacheOf(await dashboard())).toMatchObject({ hit: true });
    });

    it('runs identical concurrent misses once and gives every caller the answer', async () => {
      const before = counter.count();
      const answers = await Promise.all(Array.from({ length: 8 }, () => dashboard()));
      expect(counter.count() - before).toBe(1);
      for (const a of answers) {
        expect(a.body.errors).toBeUndefined();
        expect(a.body.data).toEqual(answers[0].body.data);
      }
    });

    it('does not share an in-flight answer with a request that starts after a write returned', async () => {
      race.arm();
      const first = dashboard(); // reads, then is held
      await race.read;
      const total = (r: Awaited<ReturnType<typeof dashboard>>) => (r.body.data as { dashboardStats: { totalPatients: number } }).dashboardStats.totalPatients;
      const write = await t.gql(op('RegisterPatient'), { input: { name: 'While Held', status: 'OUTPATIENT' } }, clinician);
      expect(write.body.errors).toBeUndefined();
      const later = dashboard(); // same request, but after the write: must not wait for the held one
      const laterAnswer = await later;
      race.release();
      const firstAnswer = await first;
      expect(total(laterAnswer)).toBe(total(firstAnswer) + 1);
    });

    it('invalidates only after an explicit transaction commits, and not at all on rollback', async () => {
      await reads.Patient();
      expect(cacheOf(await reads.Patient()).hit).toBe(true);
      const id = Number(fx.inpatient.patientId);

      await expect(
        t.gateway.orm.em.fork().transactional(async (em) => {
          const p = await em.findOneOrFail(Patient, id);
          p.name = 'Rolled Back';
          await em.flush();
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(cacheOf(await reads.Patient()).hit).toBe(true);

      await t.gateway.orm.em.fork().transactional(async (em) => {
        const p = await em.findOneOrFail(Patient, id);
        p.name = 'Renamed In Tx';
        await em.flush();
        // Flushed but not committed: the cached answer is still the committed truth.
        expect(cacheOf(await reads.Patient()).hit).toBe(true);
      });
      const after = await reads.Patient();
      expect(cacheOf(after).hit).toBe(false);
      expect((after.body.data as { patient: { name: string } }).patient.name).toBe('Renamed In Tx');
    });

    it('keeps other hospitals entries when one hospital writes', async () => {
      await reads.OtherHospital();
      await t.gql(op('RegisterPatient'), { input: { name: 'Only Here', status: 'INPATIENT' } }, clinician);
      expect(cacheOf(await reads.OtherHospital()).hit).toBe(true);
    });
  });
}
