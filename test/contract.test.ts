/**
 * The contract suite: every operation of the shared contract (../shared/contract/operations.graphql,
 * sent exactly as `loadContractOperations()` prints it) against a real gateway, once on SQLite and
 * once on PostgreSQL, over the exact data set of test/support/fixture.ts.
 *
 * The tests of one database share one gateway and run in order: reads and auth checks first, on
 * the untouched fixture; then the writes, each building on the state the previous ones left.
 *
 * PostgreSQL availability is decided synchronously at module load (describe.each cannot wait):
 * a child process runs `postgresAvailable()`. Unreachable under CI=true fails the suite;
 * otherwise the PostgreSQL half is registered with `describe.skip`, so Jest reports its tests as
 * skipped (never as passed) and the probe prints a loud warning.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import type { Role } from '../src/auth/roles';
import type { DatabaseConfig } from '../src/config/config';
import { loadContractOperations } from '../src/contract/operations';
import { ErrorCode } from '../src/errors/errors';
import { buildFixture, buildFullHospital, snapshot, type Fixture, type ScaleHospital } from './support/fixture';
import { sqliteDatabase, startTestGateway, testConfig, TEST_SECRET, type GqlResult, type TestGateway } from './support/gateway';
import { freshPostgresDatabase } from './support/services';

const OPERATIONS = loadContractOperations();

function op(name: string): string {
  const text = OPERATIONS.get(name);
  if (!text) throw new Error(`Operation ${name} is not in the contract`);
  return text;
}

/** Exit 0: reachable; 1: unreachable (the probe warned); anything else: CI=true demands it, or the probe broke. */
function postgresReachable(): boolean {
  const probe = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `require('./test/support/services.ts').postgresAvailable().then(
         (ok) => process.exit(ok ? 0 : 1),
         (err) => { console.error(err.message); process.exit(2); })`,
    ],
    { cwd: join(__dirname, '..'), stdio: ['ignore', 'inherit', 'inherit'], env: process.env, timeout: 30_000 },
  );
  if (probe.status === 0) return true;
  if (probe.status === 1) return false;
  throw new Error(`PostgreSQL probe failed (exit ${probe.status}${probe.error ? `, ${probe.error.message}` : ''})`);
}

interface DatabaseCase {
  label: string;
  available: boolean;
  database(): Promise<DatabaseConfig>;
}

const DATABASES: DatabaseCase[] = [
  { label: 'SQLite', available: true, database: async () => sqliteDatabase() },
  {
    label: 'PostgreSQL',
    available: postgresReachable(),
    database: async () => ({ kind: 'postgresql', url: await freshPostgresDatabase('wardcache_contract') }),
  },
];

// ------------------------------------------------------------------------------- response shapes

interface TagOut {
  id: string;
  name: string;
  color: string;
}
interface RecentOut {
  id: string;
  name: string;
  status: string;
  latestEventAt: string | null;
}
interface DashboardOut {
  dashboardStats: { totalPatients: number; inpatients: number; outpatients: number; updatedAt: string };
  recentPatients: RecentOut[];
}
interface WardPatientOut {
  patient: { id: string; name: string };
  bed: string;
  admittedAt: string;
  admissionDays: number;
  tags: TagOut[];
}
interface WardEntryOut {
  ward: { id: string; name: string; abbreviation: string; floor: number };
  patientCount: number;
  capacityEstimate: number;
  utilizationPercentage: number;
  patients: WardPatientOut[];
}
interface WardMappingOut {
  wardMapping: { totalPatients: number; totalWards: number; updatedAt: string; wards: WardEntryOut[] };
}
interface PatientOut {
  patient: {
    id: string;
    name: string;
    status: string;
    latestEventAt: string | null;
    tags: TagOut[];
    currentAdmission: { id: string; bed: string; admittedAt: string; ward: { id: string; name: string } } | null;
  } | null;
}

const iso = (d: Date) => d.toISOString();
const sid = (n: number) => String(n);
const MINUTE = 60_000;

/** The answer's data, after checking it has no errors. */
function dataOf<T>(res: GqlResult<T>): T {
  expect(res.body.errors).toBeUndefined();
  expect(res.status).toBe(200);
  if (!res.body.data) throw new Error('response has no data');
  return res.body.data;
}

/** Every error of the answer carries `code`, and no data came back (no data at all, or null root fields). */
function expectError(res: GqlResult<unknown>, code: ErrorCode): void {
  const codes = (res.body.errors ?? []).map((e) => e.extensions?.code);
  expect(codes.length).toBeGreaterThan(0);
  expect([...new Set(codes)]).toEqual([code]);
  const data = (res.body.data ?? null) as Record<string, unknown> | null;
  if (data !== null) expect(Object.values(data).every((v) => v === null)).toBe(true);
}

/** A DateTime that is an ISO-8601 UTC string between two instants (inclusive). */
function expectIsoBetween(value: unknown, from: number, to: number): void {
  expect(typeof value).toBe('string');
  const time = new Date(value as string).getTime();
  expect(new Date(time).toISOString()).toBe(value);
  expect(time).toBeGreaterThanOrEqual(from);
  expect(time).toBeLessThanOrEqual(to);
}

describe.each(DATABASES)('contract on $label', ({ label, available, database }) => {
  if (!available) {
    // eslint-disable-next-line no-console
    console.warn(`*** ${label} half of the contract suite is SKIPPED: the database is unreachable ***`);
  }
  const suite = available ? describe : describe.skip;

  suite('operations', () => {
    let t: TestGateway;
    let f: Fixture;
    let h3: ScaleHospital;
    let h4: ScaleHospital;
    const tokens: Record<string, string> = {};

    beforeAll(async () => {
      t = await startTestGateway(testConfig(await database()));
      f = await buildFixture(t.gateway.orm);
      h3 = await buildFullHospital(t.gateway.orm, 3, 4, 3);
      h4 = await buildFullHospital(t.gateway.orm, 4, 40, 25);
      for (const role of ['viewer', 'clinician', 'admin'] as Role[]) {
        for (const hospital of ['1', '2', '3', '4']) tokens[`${role}${hospital}`] = await t.token(role, hospital);
      }
    }, 120_000);

    afterAll(async () => {
      await t?.close();
    });

    const token = (role: Role, hospital = '1') => tokens[`${role}${hospital}`];
    const send = <T = Record<string, unknown>>(name: string, variables?: Record<string, unknown>, bearer: string | null = token('viewer')) =>
      t.gql<T>(op(name), variables, bearer);
    const write = <T = Record<string, unknown>>(name: string, variables: Record<string, unknown>) => send<T>(name, variables, token('clinician'));
    const rows = () => snapshot(t.gateway.orm, [1, 2]);

    /** Sends a request that must be refused with `code`, and proves no row of hospitals 1 and 2 changed. */
    async function refusedWithoutChange(request: () => Promise<GqlResult<unknown>>, code: ErrorCode): Promise<void> {
      const before = await rows();
      expectError(await request(), code);
      expect(await rows()).toEqual(before);
    }

    // ---------------------------------------------------------------- expected values

    const tag = () => ({
      fallRisk: { id: sid(f.tags.fallRisk), name: 'Fall risk', color: '#e11d48' },
      isolation: { id: sid(f.tags.isolation), name: 'Isolation', color: '#f59e0b' },
      diabetic: { id: sid(f.tags.diabetic), name: 'Diabetic', color: '#2563eb' },
      other: { id: sid(f.tags.other), name: 'Other tag', color: '#10b981' },
    });
    const ward = () => ({
      cardiology: { id: sid(f.wards.cardiology), name: 'Cardiology', abbreviation: 'CARD', floor: 2 },
      neurology: { id: sid(f.wards.neurology), name: 'Neurology', abbreviation: 'NEU', floor: 3 },
      oncology: { id: sid(f.wards.oncology), name: 'Oncology', abbreviation: 'ONC', floor: 4 },
      zeta: { id: sid(f.wards.zeta), name: 'Zeta Ward', abbreviation: 'ZETA', floor: 1 },
    });
    const entry = (w: WardEntryOut['ward'], capacity: number, utilization: number, patients: WardPatientOut[]): WardEntryOut => ({
      ward: w,
      patientCount: patients.length,
      capacityEstimate: capacity,
      utilizationPercentage: utilization,
      patients,
    });
    const wardPatient = (id: number, name: string, bed: string, admittedAt: Date | string, days: number, tags: TagOut[]): WardPatientOut => ({
      patient: { id: sid(id), name },
      bed,
      admittedAt: typeof admittedAt === 'string' ? admittedAt : iso(admittedAt),
      admissionDays: days,
      tags,
    });
    const aliceRow = () => wardPatient(f.patients.alice, 'Alice Moreau', 'Bed 201A', f.at.aliceAdmitted, 3, [tag().diabetic, tag().fallRisk]);
    const bobRow = () => wardPatient(f.patients.bob, 'Bob Okafor', 'Bed 201B', f.at.bobAdmitted, 10, [tag().isolation]);
    const chloeRow = () => wardPatient(f.patients.chloe, 'Chloé Dubois', 'Bed 301A', f.at.chloeAdmitted, 0, []);
    const mapping = (wards: WardEntryOut[]) => ({
      totalPatients: wards.reduce((n, w) => n + w.patientCount, 0),
      totalWards: wards.length,
      updatedAt: expect.any(String),
      wards,
    });
    const recent = () => ({
      alice: { id: sid(f.patients.alice), name: 'Alice Moreau', status: 'INPATIENT', latestEventAt: iso(f.at.aliceLatestEvent) },
      bob: { id: sid(f.patients.bob), name: 'Bob Okafor', status: 'INPATIENT', latestEventAt: iso(f.at.bobLatestEvent) },
      chloe: { id: sid(f.patients.chloe), name: 'Chloé Dubois', status: 'INPATIENT', latestEventAt: null },
      dan: { id: sid(f.patients.dan), name: 'Dan Smith', status: 'OUTPATIENT', latestEventAt: iso(f.at.danLatestEvent) },
      eve: { id: sid(f.patients.eve), name: 'Eve Adams', status: 'OUTPATIENT', latestEventAt: null },
      frank: { id: sid(f.patients.frank), name: 'Frank Bauer', status: 'OUTPATIENT', latestEventAt: iso(f.at.frankLatestEvent) },
    });
    /** Recent patients of the untouched fixture: newest event first, Bob and Frank tie (by id), no-event patients last (by id). */
    const fixtureRecent = () => {
      const r = recent();
      return [r.dan, r.alice, r.bob, r.frank, r.chloe, r.eve];
    };
    const fixtureMapping = () =>
      mapping([
        entry(ward().cardiology, 4, 50, [aliceRow(), bobRow()]),
        entry(ward().neurology, 2, 50, [chloeRow()]),
        entry(ward().oncology, 3, 0, []),
      ]);

    // ---------------------------------------------------------------- SQL statements

    describe('SQL statements per operation (measured first, on a cold gateway)', () => {
      async function statements(name: string, hospital: string, variables?: Record<string, unknown>): Promise<{ count: number; data: unknown }> {
        t.sql.count = 0;
        t.sql.statements.length = 0;
        const res = await send(name, variables, token('viewer', hospital));
        const count = t.sql.count;
        return { count, data: dataOf(res) };
      }

      test('WardMapping costs the same small number of statements for 3, 4 and 40 wards', async () => {
        const one = await statements('WardMapping', '1');
        const small = await statements('WardMapping', '3');
        const large = await statements('WardMapping', '4');
        expect(one.data).toEqual({ wardMapping: fixtureMapping() });
        expect(small.count).toBeLessThanOrEqual(6);
        expect([one.count, large.count]).toEqual([small.count, small.count]);

        const big = (large.data as WardMappingOut).wardMapping;
        expect(big.totalWards).toBe(40);
        expect(big.totalPatients).toBe(1000);
        // Numeric-aware "by name": Ward 2 comes before Ward 10.
        expect(big.wards.map((w) => w.ward.name)).toEqual(Array.from({ length: 40 }, (_, i) => `Ward ${i + 1}`));
        for (const w of big.wards) {
          expect([w.patientCount, w.capacityEstimate, w.utilizationPercentage]).toEqual([25, 25, 100]);
          expect(w.patients.map((p) => p.bed)).toEqual(Array.from({ length: 25 }, (_, i) => `Bed ${i + 1}`));
          for (const p of w.patients) expect([1, 2]).toContain(p.tags.length);
        }
        expect((small.data as WardMappingOut).wardMapping.totalWards).toBe(h3.wardIds.length);
        expect((small.data as WardMappingOut).wardMapping.totalPatients).toBe(h3.patientIds.length);
      });

      test('Dashboard costs the same number of statements (at most 3) whatever the hospital size', async () => {
        const one = await statements('Dashboard', '1');
        const small = await statements('Dashboard', '3');
        const large = await statements('Dashboard', '4');
        expect(small.count).toBeLessThanOrEqual(3);
        expect([one.count, large.count]).toEqual([small.count, small.count]);
        expect((large.data as DashboardOut).dashboardStats).toEqual({
          totalPatients: 1000,
          inpatients: 1000,
          outpatients: 0,
          updatedAt: expect.any(String),
        });
      });
    });

    // ---------------------------------------------------------------- reads

    describe('Dashboard', () => {
      test('counts by status and recent patients: newest first, ties by id, patients without events last', async () => {
        const res = await send<DashboardOut>('Dashboard', { recentLimit: 10 });
        const after = Date.now();
        const data = dataOf(res);
        expect(data).toEqual({
          dashboardStats: { totalPatients: 6, inpatients: 3, outpatients: 3, updatedAt: expect.any(String) },
          recentPatients: fixtureRecent(),
        });
        expectIsoBetween(data.dashboardStats.updatedAt, f.now.getTime(), after);
      });

      test('limit 2 keeps the two newest', async () => {
        const data = dataOf(await send<DashboardOut>('Dashboard', { recentLimit: 2 }));
        expect(data.recentPatients).toEqual([recent().dan, recent().alice]);
      });

      test('limit 1 and 100 are the bounds', async () => {
        expect(dataOf(await send<DashboardOut>('Dashboard', { recentLimit: 1 })).recentPatients).toEqual([recent().dan]);
        expect(dataOf(await send<DashboardOut>('Dashboard', { recentLimit: 100 })).recentPatients).toEqual(fixtureRecent());
      });

      test.each([0, 101, -1])('limit %i is a validation error, not a clamp', async (limit) => {
        expectError(await send('Dashboard', { recentLimit: limit }), ErrorCode.BadUserInput);
      });

      test('limit defaults to 30 when the variable is omitted', async () => {
        expect(dataOf(await send<DashboardOut>('Dashboard')).recentPatients).toEqual(fixtureRecent());
        const big = dataOf(await send<DashboardOut>('Dashboard', undefined, token('viewer', '4')));
        // Hospital 4 has 1000 patients and no events: the first 30 by id.
        expect(big.recentPatients.map((p) => p.id)).toEqual(h4.patientIds.slice(0, 30).map(sid));
        expect(big.recentPatients.every((p) => p.latestEventAt === null && p.status === 'INPATIENT')).toBe(true);
      });
    });

    describe('WardMapping', () => {
      test('without a filter: wards by name, patients by bed, tags by name, utilisation and totals', async () => {
        const res = await send<WardMappingOut>('WardMapping');
        const after = Date.now();
        const data = dataOf(res);
        expect(data).toEqual({ wardMapping: fixtureMapping() });
        expectIsoBetween(data.wardMapping.updatedAt, f.now.getTime(), after);
        // A null filter is the same as none.
        expect(dataOf(await send('WardMapping', { filter: null }))).toEqual({ wardMapping: fixtureMapping() });
      });

      test('tagIds keeps patients with at least one of the tags; utilisation ignores the filter; emptied wards stay listed', async () => {
        expect(dataOf(await send('WardMapping', { filter: { tagIds: [sid(f.tags.isolation)] } }))).toEqual({
          wardMapping: mapping([entry(ward().cardiology, 4, 50, [bobRow()]), entry(ward().neurology, 2, 50, []), entry(ward().oncology, 3, 0, [])]),
        });
      });

      test('a patient matching several of the tags is listed once', async () => {
        const filter = { tagIds: [sid(f.tags.fallRisk), sid(f.tags.diabetic)] };
        expect(dataOf(await send('WardMapping', { filter }))).toEqual({
          wardMapping: mapping([entry(ward().cardiology, 4, 50, [aliceRow()]), entry(ward().neurology, 2, 50, []), entry(ward().oncology, 3, 0, [])]),
        });
      });

      test("another hospital's tag matches nobody", async () => {
        expect(dataOf(await send('WardMapping', { filter: { tagIds: [sid(f.tags.other)] } }))).toEqual({
          wardMapping: mapping([entry(ward().cardiology, 4, 50, []), entry(ward().neurology, 2, 50, []), entry(ward().oncology, 3, 0, [])]),
        });
      });

      test.each([
        ['chloé', 'chloé'],
        ['CHLOÉ', 'CHLOÉ'],
        ['CHLOÉ typed decomposed (E + U+0301)', 'CHLOE\u0301'],
        ['"  Chloé Dub  " (trimmed)', '  Chloé Dub  '],
        ['"é d" (across words)', 'é d'],
      ])('search %s is a case-insensitive substring match', async (_label, search) => {
        expect(dataOf(await send('WardMapping', { filter: { search } }))).toEqual({
          wardMapping: mapping([entry(ward().cardiology, 4, 50, []), entry(ward().neurology, 2, 50, [chloeRow()]), entry(ward().oncology, 3, 0, [])]),
        });
      });

      test('search "BO" matches Bob Okafor and Chloé Dubois', async () => {
        expect(dataOf(await send('WardMapping', { filter: { search: 'BO' } }))).toEqual({
          wardMapping: mapping([entry(ward().cardiology, 4, 50, [bobRow()]), entry(ward().neurology, 2, 50, [chloeRow()]), entry(ward().oncology, 3, 0, [])]),
        });
      });

      test('search matching nobody still lists every ward with its utilisation', async () => {
        expect(dataOf(await send('WardMapping', { filter: { search: 'nobody' } }))).toEqual({
          wardMapping: mapping([entry(ward().cardiology, 4, 50, []), entry(ward().neurology, 2, 50, []), entry(ward().oncology, 3, 0, [])]),
        });
      });

      test('wardIds keeps those wards only', async () => {
        expect(dataOf(await send('WardMapping', { filter: { wardIds: [sid(f.wards.oncology), sid(f.wards.neurology)] } }))).toEqual({
          wardMapping: mapping([entry(ward().neurology, 2, 50, [chloeRow()]), entry(ward().oncology, 3, 0, [])]),
        });
      });

      test("another hospital's ward id yields no ward", async () => {
        expect(dataOf(await send('WardMapping', { filter: { wardIds: [sid(f.wards.zeta)] } }))).toEqual({ wardMapping: mapping([]) });
        expect(dataOf(await send('WardMapping', { filter: { wardIds: [sid(f.wards.zeta), sid(f.wards.cardiology)] } }))).toEqual({
          wardMapping: mapping([entry(ward().cardiology, 4, 50, [aliceRow(), bobRow()])]),
        });
      });

      test('all filters together', async () => {
        const filter = { wardIds: [sid(f.wards.cardiology)], tagIds: [sid(f.tags.isolation), sid(f.tags.fallRisk)], search: 'okafor' };
        expect(dataOf(await send('WardMapping', { filter }))).toEqual({ wardMapping: mapping([entry(ward().cardiology, 4, 50, [bobRow()])]) });
      });
    });

    describe('WardFilters', () => {
      test('all wards and all tags of the hospital, by name', async () => {
        const res = await send('WardFilters');
        const after = Date.now();
        const w = ward();
        const tg = tag();
        const data = dataOf(res);
        expect(data).toEqual({
          wardFilters: {
            wards: [w.cardiology, w.neurology, w.oncology].map(({ id, name, abbreviation }) => ({ id, name, abbreviation })),
            tags: [tg.diabetic, tg.fallRisk, tg.isolation],
            updatedAt: expect.any(String),
          },
        });
        expectIsoBetween((data as { wardFilters: { updatedAt: string } }).wardFilters.updatedAt, f.now.getTime(), after);
      });
    });

    describe('Patient', () => {
      test('an admitted patient, with tags by name and the open admission', async () => {
        expect(dataOf(await send('Patient', { id: sid(f.patients.alice) }))).toEqual({
          patient: {
            id: sid(f.patients.alice),
            name: 'Alice Moreau',
            status: 'INPATIENT',
            latestEventAt: iso(f.at.aliceLatestEvent),
            tags: [tag().diabetic, tag().fallRisk],
            currentAdmission: {
              id: sid(f.admissions.alice),
              bed: 'Bed 201A',
              admittedAt: iso(f.at.aliceAdmitted),
              ward: { id: sid(f.wards.cardiology), name: 'Cardiology' },
            },
          },
        });
      });

      test('an outpatient with only a discharged admission has no current admission', async () => {
        expect(dataOf(await send('Patient', { id: sid(f.patients.eve) }))).toEqual({
          patient: { id: sid(f.patients.eve), name: 'Eve Adams', status: 'OUTPATIENT', latestEventAt: null, tags: [], currentAdmission: null },
        });
      });

      test.each([
        ["another hospital's patient", () => sid(f.patients.aliceOther)],
        ['an unknown id', () => '999999'],
        ['a nonsense id', () => 'abc'],
        ['a negative id', () => '-1'],
      ])('%s is null', async (_label, id) => {
        expect(dataOf(await send('Patient', { id: id() }))).toEqual({ patient: null });
      });
    });

    // ---------------------------------------------------------------- auth

    describe('auth', () => {
      const key = () => new TextEncoder().encode(TEST_SECRET);
      const claims = { hospitalId: '1', role: 'admin' };
      const hs256 = (payload: Record<string, unknown>, secret = key()) =>
        new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setSubject('attacker').setIssuedAt().setExpirationTime('1h').sign(secret);

      async function post(name: string, headers: Record<string, string>): Promise<GqlResult<unknown>> {
        const res = await fetch(`${t.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: op(name) }),
        });
        return { status: res.status, body: (await res.json()) as GqlResult['body'] };
      }

      test('a valid HS256 token of the test secret is accepted (the baseline of the cases below)', async () => {
        dataOf(await post('Dashboard', { authorization: `Bearer ${await hs256(claims)}` }));
      });

      test('a token without exp is accepted (exp is honoured only when present)', async () => {
        const noExp = await new SignJWT({ hospitalId: '1', role: 'viewer' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').sign(key());
        expect(dataOf(await post('Dashboard', { authorization: `Bearer ${noExp}` }))).toEqual({
          dashboardStats: { totalPatients: 6, inpatients: 3, outpatients: 3, updatedAt: expect.any(String) },
          recentPatients: fixtureRecent(),
        });
      });

      test('no Authorization header: UNAUTHENTICATED', async () => {
        expectError(await post('Dashboard', {}), ErrorCode.Unauthenticated);
        expectError(await post('WardMapping', {}), ErrorCode.Unauthenticated);
        expectError(await send('Patient', { id: sid(f.patients.alice) }, null), ErrorCode.Unauthenticated);
      });

      test('no token: a mutation is refused and nothing changes', async () => {
        await refusedWithoutChange(() => send('RegisterPatient', { input: { name: 'Nobody', status: 'OUTPATIENT' } }, null), ErrorCode.Unauthenticated);
      });

      test.each<[string, () => Promise<string>]>([
        ['an empty Authorization header', async () => ''],
        ['"Bearer" without a token', async () => 'Bearer'],
        ['a Basic header', async () => 'Basic dXNlcjpwYXNz'],
        ['a token without "Bearer "', async () => hs256(claims)],
        ['a token that is not a JWT', async () => 'Bearer not-a-jwt'],
        ['a token of three garbage parts', async () => 'Bearer aaa.bbb.ccc'],
        ['a wrong signature', async () => `Bearer ${await hs256(claims, new TextEncoder().encode('another-secret-another-secret-another-secret'))}`],
        [
          'an expired token',
          async () =>
            `Bearer ${await new SignJWT(claims)
              .setProtectedHeader({ alg: 'HS256' })
              .setSubject('u')
              .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
              .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
              .sign(key())}`,
        ],
        ['an alg "none" token', async () => `Bearer ${new UnsecuredJWT(claims).setSubject('u').setIssuedAt().setExpirationTime('1h').encode()}`],
        [
          'an HS512 token of the right secret',
          async () => `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).setSubject('u').setExpirationTime('1h').sign(key())}`,
        ],
        ['a token without role', async () => `Bearer ${await hs256({ hospitalId: '1' })}`],
        ['a token with an unknown role', async () => `Bearer ${await hs256({ hospitalId: '1', role: 'superuser' })}`],
        ['a token without hospitalId', async () => `Bearer ${await hs256({ role: 'viewer' })}`],
        ['a token with a non-numeric hospitalId', async () => `Bearer ${await hs256({ hospitalId: 'abc', role: 'viewer' })}`],
      ])('%s: UNAUTHENTICATED', async (_label, header) => {
        expectError(await post('Dashboard', { authorization: await header() }), ErrorCode.Unauthenticated);
      });

      test.each<[string, () => Record<string, unknown>]>([
        ['RegisterPatient', () => ({ input: { name: 'Viewer Patient', status: 'OUTPATIENT' } })],
        ['AdmitPatient', () => ({ input: { patientId: sid(f.patients.dan), wardId: sid(f.wards.oncology), bed: 'Bed 499' } })],
        ['TransferPatient', () => ({ admissionId: sid(f.admissions.alice), wardId: sid(f.wards.oncology), bed: 'Bed 498' })],
        ['DischargePatient', () => ({ admissionId: sid(f.admissions.bob) })],
        ['TagPatient', () => ({ patientId: sid(f.patients.chloe), tagId: sid(f.tags.isolation) })],
        ['UntagPatient', () => ({ patientId: sid(f.patients.alice), tagId: sid(f.tags.fallRisk) })],
        ['RecordEvent', () => ({ input: { patientId: sid(f.patients.frank), kind: 'note' } })],
      ])('a viewer sending %s: FORBIDDEN, nothing changes', async (name, variables) => {
        await refusedWithoutChange(() => send(name, variables(), token('viewer')), ErrorCode.Forbidden);
      });

      test('clinicians and admins can read', async () => {
        for (const role of ['clinician', 'admin'] as Role[]) {
          const data = dataOf(await send<DashboardOut>('Dashboard', undefined, token(role)));
          expect(data.recentPatients).toEqual(fixtureRecent());
          expect(dataOf(await send('WardMapping', undefined, token(role)))).toEqual({ wardMapping: fixtureMapping() });
        }
      });

      test("a token of hospital 2 sees hospital 2's data only", async () => {
        const other = token('viewer', '2');
        expect(dataOf(await send('Dashboard', undefined, other))).toEqual({
          dashboardStats: { totalPatients: 1, inpatients: 1, outpatients: 0, updatedAt: expect.any(String) },
          recentPatients: [{ id: sid(f.patients.aliceOther), name: 'Alice Other', status: 'INPATIENT', latestEventAt: iso(f.at.aliceOtherLatestEvent) }],
        });
        expect(dataOf(await send('WardMapping', undefined, other))).toEqual({
          wardMapping: mapping([
            entry(ward().zeta, 2, 50, [wardPatient(f.patients.aliceOther, 'Alice Other', 'Bed 1', f.at.aliceOtherAdmitted, 2, [])]),
          ]),
        });
        expect(dataOf(await send('WardMapping', { filter: { wardIds: [sid(f.wards.cardiology)] } }, other))).toEqual({ wardMapping: mapping([]) });
        expect(dataOf(await send('WardFilters', undefined, other))).toEqual({
          wardFilters: { wards: [{ id: sid(f.wards.zeta), name: 'Zeta Ward', abbreviation: 'ZETA' }], tags: [tag().other], updatedAt: expect.any(String) },
        });
        expect(dataOf(await send('Patient', { id: sid(f.patients.alice) }, other))).toEqual({ patient: null });
        expect(dataOf(await send<PatientOut>('Patient', { id: sid(f.patients.aliceOther) }, other)).patient).toEqual({
          id: sid(f.patients.aliceOther),
          name: 'Alice Other',
          status: 'INPATIENT',
          latestEventAt: iso(f.at.aliceOtherLatestEvent),
          tags: [],
          currentAdmission: {
            id: sid(f.admissions.aliceOther),
            bed: 'Bed 1',
            admittedAt: iso(f.at.aliceOtherAdmitted),
            ward: { id: sid(f.wards.zeta), name: 'Zeta Ward' },
          },
        });
      });

      const getUrl = (name: string, variables: Record<string, unknown>) =>
        `${t.url}/graphql?query=${encodeURIComponent(op(name))}&variables=${encodeURIComponent(JSON.stringify(variables))}`;

      test('GET /graphql?query=… serves a query without any CSRF header', async () => {
        const res = await fetch(getUrl('Dashboard', { recentLimit: 2 }), { headers: { authorization: `Bearer ${token('viewer')}` } });
        expect(res.status).toBe(200);
        const body = (await res.json()) as GqlResult<DashboardOut>['body'];
        expect(body.errors).toBeUndefined();
        expect(body.data?.recentPatients).toEqual([recent().dan, recent().alice]);
        expect(body.data?.dashboardStats).toEqual({ totalPatients: 6, inpatients: 3, outpatients: 3, updatedAt: expect.any(String) });
      });

      test('GET /graphql without a token is UNAUTHENTICATED', async () => {
        const res = await fetch(getUrl('Dashboard', {}));
        expectError({ status: res.status, body: (await res.json()) as GqlResult['body'] }, ErrorCode.Unauthenticated);
      });

      test('a mutation over GET is refused and changes nothing', async () => {
        const before = await rows();
        const res = await fetch(getUrl('RegisterPatient', { input: { name: 'Over GET', status: 'OUTPATIENT' } }), {
          headers: { authorization: `Bearer ${token('clinician')}` },
        });
        expect(res.status).toBe(405);
        const body = (await res.json()) as GqlResult['body'];
        expect(body.data ?? null).toBeNull();
        expect(body.errors?.length).toBeGreaterThan(0);
        expect(await rows()).toEqual(before);
      });
    });

    // ---------------------------------------------------------------- writes (in order; each builds on the previous)

    describe('writes', () => {
      let gina = 0;
      let ginaAdmission = 0;
      let ginaAdmittedAt = '';
      let danAdmission = 0;
      let danAdmittedAt = '';

      const stats = async () => dataOf(await send<DashboardOut>('Dashboard', { recentLimit: 100 }));
      const patient = async (id: number) => dataOf(await send<PatientOut>('Patient', { id: sid(id) })).patient;
      const wardMapping = async (filter?: Record<string, unknown>) => dataOf(await send<WardMappingOut>('WardMapping', filter ? { filter } : undefined)).wardMapping;

      test('RegisterPatient creates an outpatient, visible in later reads', async () => {
        const created = dataOf(await write<{ registerPatient: { id: string; name: string; status: string } }>('RegisterPatient', {
          input: { name: 'Gina Hart', status: 'OUTPATIENT' },
        })).registerPatient;
        expect(created).toEqual({ id: expect.stringMatching(/^[1-9][0-9]*$/), name: 'Gina Hart', status: 'OUTPATIENT' });
        gina = Number(created.id);

        expect(await patient(gina)).toEqual({ id: sid(gina), name: 'Gina Hart', status: 'OUTPATIENT', latestEventAt: null, tags: [], currentAdmission: null });
        const dash = await stats();
        expect(dash.dashboardStats).toEqual({ totalPatients: 7, inpatients: 3, outpatients: 4, updatedAt: expect.any(String) });
        expect(dash.recentPatients.map((p) => p.name)).toEqual(['Dan Smith', 'Alice Moreau', 'Bob Okafor', 'Frank Bauer', 'Chloé Dubois', 'Eve Adams', 'Gina Hart']);
      });

      test('RegisterPatient with an empty name: BAD_USER_INPUT, nothing changes', async () => {
        await refusedWithoutChange(() => write('RegisterPatient', { input: { name: '   ', status: 'OUTPATIENT' } }), ErrorCode.BadUserInput);
      });

      test('AdmitPatient opens an admission: the patient becomes an inpatient and appears in the ward', async () => {
        const before = Date.now();
        const admitted = dataOf(await write<{ admitPatient: { id: string; admittedAt: string } }>('AdmitPatient', {
          input: { patientId: sid(gina), wardId: sid(f.wards.oncology), bed: 'Bed 402' },
        })).admitPatient;
        expect(admitted).toEqual({
          id: expect.stringMatching(/^[1-9][0-9]*$/),
          bed: 'Bed 402',
          admittedAt: expect.any(String),
          ward: { id: sid(f.wards.oncology) },
          patient: { id: sid(gina), status: 'INPATIENT' },
        });
        expectIsoBetween(admitted.admittedAt, before, Date.now());
        ginaAdmission = Number(admitted.id);
        ginaAdmittedAt = admitted.admittedAt;

        expect(await wardMapping({ wardIds: [sid(f.wards.oncology)] })).toEqual(
          mapping([entry(ward().oncology, 3, 33, [wardPatient(gina, 'Gina Hart', 'Bed 402', ginaAdmittedAt, 0, [])])]),
        );
        expect((await stats()).dashboardStats).toEqual({ totalPatients: 7, inpatients: 4, outpatients: 3, updatedAt: expect.any(String) });
        expect((await patient(gina))?.currentAdmission).toEqual({
          id: sid(ginaAdmission),
          bed: 'Bed 402',
          admittedAt: ginaAdmittedAt,
          ward: { id: sid(f.wards.oncology), name: 'Oncology' },
        });
      });

      test.each<[string, () => Record<string, unknown>, ErrorCode]>([
        ['a patient who is already admitted', () => ({ patientId: sid(f.patients.alice), wardId: sid(f.wards.oncology), bed: 'Bed 403' }), ErrorCode.Conflict],
        ['a bed that is taken', () => ({ patientId: sid(f.patients.dan), wardId: sid(f.wards.cardiology), bed: 'Bed 201A' }), ErrorCode.Conflict],
        ['a taken bed with blanks around it', () => ({ patientId: sid(f.patients.dan), wardId: sid(f.wards.cardiology), bed: ' Bed 201A ' }), ErrorCode.Conflict],
        ["another hospital's patient", () => ({ patientId: sid(f.patients.aliceOther), wardId: sid(f.wards.oncology), bed: 'Bed 403' }), ErrorCode.NotFound],
        ["another hospital's ward", () => ({ patientId: sid(f.patients.dan), wardId: sid(f.wards.zeta), bed: 'Bed 2' }), ErrorCode.NotFound],
        ['an unknown patient', () => ({ patientId: '999999', wardId: sid(f.wards.oncology), bed: 'Bed 403' }), ErrorCode.NotFound],
        ['a nonsense ward id', () => ({ patientId: sid(f.patients.dan), wardId: 'abc', bed: 'Bed 403' }), ErrorCode.NotFound],
        ['an empty bed', () => ({ patientId: sid(f.patients.dan), wardId: sid(f.wards.oncology), bed: '   ' }), ErrorCode.BadUserInput],
      ])('AdmitPatient refuses %s and changes nothing', async (_label, input, code) => {
        await refusedWithoutChange(() => write('AdmitPatient', { input: input() }), code);
      });

      test('AdmitPatient fills a ward; one more admission to the full ward is a CONFLICT', async () => {
        const admitted = dataOf(await write<{ admitPatient: { id: string; admittedAt: string } }>('AdmitPatient', {
          input: { patientId: sid(f.patients.dan), wardId: sid(f.wards.neurology), bed: 'Bed 302' },
        })).admitPatient;
        danAdmission = Number(admitted.id);
        danAdmittedAt = admitted.admittedAt;
        const neurology = (await wardMapping({ wardIds: [sid(f.wards.neurology)] })).wards[0];
        expect([neurology.patientCount, neurology.utilizationPercentage, neurology.patients.map((p) => p.bed)]).toEqual([2, 100, ['Bed 301A', 'Bed 302']]);

        await refusedWithoutChange(
          () => write('AdmitPatient', { input: { patientId: sid(f.patients.frank), wardId: sid(f.wards.neurology), bed: 'Bed 303' } }),
          ErrorCode.Conflict,
        );
      });

      test('TransferPatient moves the admission and keeps admittedAt', async () => {
        expect(
          dataOf(await write('TransferPatient', { admissionId: sid(ginaAdmission), wardId: sid(f.wards.cardiology), bed: 'Bed 202' })),
        ).toEqual({ transferPatient: { id: sid(ginaAdmission), bed: 'Bed 202', ward: { id: sid(f.wards.cardiology) } } });

        expect((await patient(gina))?.currentAdmission).toEqual({
          id: sid(ginaAdmission),
          bed: 'Bed 202',
          admittedAt: ginaAdmittedAt,
          ward: { id: sid(f.wards.cardiology), name: 'Cardiology' },
        });
        const danRow = wardPatient(f.patients.dan, 'Dan Smith', 'Bed 302', danAdmittedAt, 0, []);
        expect(await wardMapping()).toEqual(
          mapping([
            entry(ward().cardiology, 4, 75, [aliceRow(), bobRow(), wardPatient(gina, 'Gina Hart', 'Bed 202', ginaAdmittedAt, 0, [])]),
            entry(ward().neurology, 2, 100, [chloeRow(), danRow]),
            entry(ward().oncology, 3, 0, []),
          ]),
        );
      });

      test('TransferPatient to a free bed of the same, full ward is allowed', async () => {
        expect(dataOf(await write('TransferPatient', { admissionId: sid(danAdmission), wardId: sid(f.wards.neurology), bed: 'Bed 303' }))).toEqual({
          transferPatient: { id: sid(danAdmission), bed: 'Bed 303', ward: { id: sid(f.wards.neurology) } },
        });
        const neurology = (await wardMapping({ wardIds: [sid(f.wards.neurology)] })).wards[0];
        expect([neurology.utilizationPercentage, neurology.patients.map((p) => p.bed)]).toEqual([100, ['Bed 301A', 'Bed 303']]);
      });

      test.each<[string, () => Record<string, unknown>, ErrorCode]>([
        ['to a taken bed', () => ({ admissionId: sid(ginaAdmission), wardId: sid(f.wards.cardiology), bed: 'Bed 201A' }), ErrorCode.Conflict],
        ['to a full ward', () => ({ admissionId: sid(ginaAdmission), wardId: sid(f.wards.neurology), bed: 'Bed 304' }), ErrorCode.Conflict],
        ['of a discharged admission', () => ({ admissionId: sid(f.admissions.eveDischarged), wardId: sid(f.wards.oncology), bed: 'Bed 401A' }), ErrorCode.Conflict],
        ["to another hospital's ward", () => ({ admissionId: sid(ginaAdmission), wardId: sid(f.wards.zeta), bed: 'Bed 2' }), ErrorCode.NotFound],
        ["of another hospital's admission", () => ({ admissionId: sid(f.admissions.aliceOther), wardId: sid(f.wards.oncology), bed: 'Bed 403' }), ErrorCode.NotFound],
        ['of an unknown admission', () => ({ admissionId: '999999', wardId: sid(f.wards.oncology), bed: 'Bed 403' }), ErrorCode.NotFound],
        ['to an empty bed', () => ({ admissionId: sid(ginaAdmission), wardId: sid(f.wards.oncology), bed: '' }), ErrorCode.BadUserInput],
      ])('TransferPatient %s is refused and changes nothing', async (_label, variables, code) => {
        await refusedWithoutChange(() => write('TransferPatient', variables()), code);
      });

      test('DischargePatient closes the admission: the patient becomes an outpatient and leaves the ward', async () => {
        const before = Date.now();
        const discharged = dataOf(await write<{ dischargePatient: { dischargedAt: string } }>('DischargePatient', { admissionId: sid(ginaAdmission) }))
          .dischargePatient;
        expect(discharged).toEqual({ id: sid(ginaAdmission), dischargedAt: expect.any(String), patient: { id: sid(gina), status: 'OUTPATIENT' } });
        expectIsoBetween(discharged.dischargedAt, before, Date.now());

        expect(await patient(gina)).toEqual({ id: sid(gina), name: 'Gina Hart', status: 'OUTPATIENT', latestEventAt: null, tags: [], currentAdmission: null });
        expect((await stats()).dashboardStats).toEqual({ totalPatients: 7, inpatients: 4, outpatients: 3, updatedAt: expect.any(String) });
        const cardiology = (await wardMapping({ wardIds: [sid(f.wards.cardiology)] })).wards[0];
        expect(cardiology).toEqual(entry(ward().cardiology, 4, 50, [aliceRow(), bobRow()]));
      });

      test.each<[string, () => string, ErrorCode]>([
        ['twice', () => sid(ginaAdmission), ErrorCode.Conflict],
        ['a fixture admission discharged long ago', () => sid(f.admissions.eveDischarged), ErrorCode.Conflict],
        ["another hospital's admission", () => sid(f.admissions.aliceOther), ErrorCode.NotFound],
        ['an unknown admission', () => '999999', ErrorCode.NotFound],
      ])('DischargePatient of %s is refused and changes nothing', async (_label, admissionId, code) => {
        await refusedWithoutChange(() => write('DischargePatient', { admissionId: admissionId() }), code);
      });

      test('a discharged patient and a bed freed by a discharge can be admitted again', async () => {
        const again = dataOf(await write<{ admitPatient: { id: string; bed: string } }>('AdmitPatient', {
          input: { patientId: sid(gina), wardId: sid(f.wards.oncology), bed: 'Bed 401A' },
        })).admitPatient;
        expect(again.bed).toBe('Bed 401A');
        expect(Number(again.id)).not.toBe(ginaAdmission);
        expect((await patient(gina))?.status).toBe('INPATIENT');
        expect(dataOf(await write('DischargePatient', { admissionId: again.id }))).toEqual({
          dischargePatient: { id: again.id, dischargedAt: expect.any(String), patient: { id: sid(gina), status: 'OUTPATIENT' } },
        });
      });

      test('TagPatient adds the tag (tags by name); tagging twice is a no-op', async () => {
        expect(dataOf(await write('TagPatient', { patientId: sid(f.patients.chloe), tagId: sid(f.tags.isolation) }))).toEqual({
          tagPatient: { id: sid(f.patients.chloe), tags: [{ id: sid(f.tags.isolation) }] },
        });
        const before = await rows();
        expect(dataOf(await write('TagPatient', { patientId: sid(f.patients.chloe), tagId: sid(f.tags.isolation) }))).toEqual({
          tagPatient: { id: sid(f.patients.chloe), tags: [{ id: sid(f.tags.isolation) }] },
        });
        expect(await rows()).toEqual(before);

        expect(dataOf(await write('TagPatient', { patientId: sid(f.patients.alice), tagId: sid(f.tags.isolation) }))).toEqual({
          tagPatient: { id: sid(f.patients.alice), tags: [f.tags.diabetic, f.tags.fallRisk, f.tags.isolation].map((id) => ({ id: sid(id) })) },
        });
        expect((await patient(f.patients.chloe))?.tags).toEqual([tag().isolation]);
        expect(await wardMapping({ tagIds: [sid(f.tags.isolation)] })).toEqual(
          mapping([
            entry(ward().cardiology, 4, 50, [{ ...aliceRow(), tags: [tag().diabetic, tag().fallRisk, tag().isolation] }, bobRow()]),
            entry(ward().neurology, 2, 100, [{ ...chloeRow(), tags: [tag().isolation] }]),
            entry(ward().oncology, 3, 0, []),
          ]),
        );
      });

      test.each<[string, () => Record<string, unknown>, ErrorCode]>([
        ["another hospital's tag", () => ({ patientId: sid(f.patients.chloe), tagId: sid(f.tags.other) }), ErrorCode.NotFound],
        ["another hospital's patient", () => ({ patientId: sid(f.patients.aliceOther), tagId: sid(f.tags.isolation) }), ErrorCode.NotFound],
        ['an unknown tag', () => ({ patientId: sid(f.patients.chloe), tagId: '999999' }), ErrorCode.NotFound],
      ])('TagPatient with %s is refused and changes nothing', async (_label, variables, code) => {
        await refusedWithoutChange(() => write('TagPatient', variables()), code);
      });

      test('UntagPatient removes the tag; removing an absent tag is a no-op', async () => {
        expect(dataOf(await write('UntagPatient', { patientId: sid(f.patients.chloe), tagId: sid(f.tags.isolation) }))).toEqual({
          untagPatient: { id: sid(f.patients.chloe), tags: [] },
        });
        const before = await rows();
        expect(dataOf(await write('UntagPatient', { patientId: sid(f.patients.chloe), tagId: sid(f.tags.isolation) }))).toEqual({
          untagPatient: { id: sid(f.patients.chloe), tags: [] },
        });
        expect(await rows()).toEqual(before);

        expect(dataOf(await write('UntagPatient', { patientId: sid(f.patients.alice), tagId: sid(f.tags.isolation) }))).toEqual({
          untagPatient: { id: sid(f.patients.alice), tags: [{ id: sid(f.tags.diabetic) }, { id: sid(f.tags.fallRisk) }] },
        });
        expect((await patient(f.patients.chloe))?.tags).toEqual([]);
        expect(await wardMapping({ tagIds: [sid(f.tags.isolation)] })).toEqual(
          mapping([entry(ward().cardiology, 4, 50, [bobRow()]), entry(ward().neurology, 2, 100, []), entry(ward().oncology, 3, 0, [])]),
        );
      });

      test.each<[string, () => Record<string, unknown>, ErrorCode]>([
        ["another hospital's tag", () => ({ patientId: sid(f.patients.alice), tagId: sid(f.tags.other) }), ErrorCode.NotFound],
        ["another hospital's patient", () => ({ patientId: sid(f.patients.aliceOther), tagId: sid(f.tags.fallRisk) }), ErrorCode.NotFound],
        ['an unknown patient', () => ({ patientId: '999999', tagId: sid(f.tags.fallRisk) }), ErrorCode.NotFound],
      ])('UntagPatient with %s is refused and changes nothing', async (_label, variables, code) => {
        await refusedWithoutChange(() => write('UntagPatient', variables()), code);
      });

      test('RecordEvent with occurredAt stores it and moves the patient up the recent list', async () => {
        const occurredAt = iso(new Date(f.now.getTime() - 10 * MINUTE));
        expect(dataOf(await write('RecordEvent', { input: { patientId: sid(f.patients.chloe), kind: 'vitals', occurredAt } }))).toEqual({
          recordEvent: { id: expect.stringMatching(/^[1-9][0-9]*$/), occurredAt, patient: { id: sid(f.patients.chloe), latestEventAt: occurredAt } },
        });
        const r = recent();
        expect((await stats()).recentPatients).toEqual([
          { ...r.chloe, latestEventAt: occurredAt },
          { ...r.dan, status: 'INPATIENT' },
          r.alice,
          r.bob,
          r.frank,
          r.eve,
          { id: sid(gina), name: 'Gina Hart', status: 'OUTPATIENT', latestEventAt: null },
        ]);
        expect((await patient(f.patients.chloe))?.latestEventAt).toBe(occurredAt);
      });

      test('a back-dated event is stored but does not move latestEventAt back', async () => {
        const occurredAt = iso(new Date(f.now.getTime() - 24 * 60 * MINUTE));
        const before = (await rows()) as { events: unknown[] };
        expect(dataOf(await write('RecordEvent', { input: { patientId: sid(f.patients.dan), kind: 'lab', occurredAt } }))).toEqual({
          recordEvent: { id: expect.any(String), occurredAt, patient: { id: sid(f.patients.dan), latestEventAt: iso(f.at.danLatestEvent) } },
        });
        const after = (await rows()) as { events: unknown[] };
        expect(after.events).toHaveLength(before.events.length + 1);
        expect((await patient(f.patients.dan))?.latestEventAt).toBe(iso(f.at.danLatestEvent));
      });

      test('RecordEvent without occurredAt records it now', async () => {
        const before = Date.now();
        const recorded = dataOf(await write<{ recordEvent: { occurredAt: string } }>('RecordEvent', { input: { patientId: sid(f.patients.eve), kind: 'note' } }))
          .recordEvent;
        expectIsoBetween(recorded.occurredAt, before, Date.now());
        expect(recorded).toEqual({
          id: expect.any(String),
          occurredAt: recorded.occurredAt,
          patient: { id: sid(f.patients.eve), latestEventAt: recorded.occurredAt },
        });
        expect((await stats()).recentPatients[0]).toEqual({ ...recent().eve, latestEventAt: recorded.occurredAt });
      });

      test.each<[string, () => Record<string, unknown>, ErrorCode]>([
        ['an occurredAt 10 minutes in the future', () => ({ patientId: sid(f.patients.frank), kind: 'note', occurredAt: iso(new Date(Date.now() + 10 * MINUTE)) }), ErrorCode.BadUserInput],
        ['an empty kind', () => ({ patientId: sid(f.patients.frank), kind: '  ' }), ErrorCode.BadUserInput],
        ['an impossible date (February 29th of 2025)', () => ({ patientId: sid(f.patients.frank), kind: 'note', occurredAt: '2025-02-29T10:00:00Z' }), ErrorCode.BadUserInput],
        ['an occurredAt without a time zone', () => ({ patientId: sid(f.patients.frank), kind: 'note', occurredAt: '2025-01-10T10:00:00' }), ErrorCode.BadUserInput],
        ['an occurredAt that is not a date', () => ({ patientId: sid(f.patients.frank), kind: 'note', occurredAt: 'yesterday' }), ErrorCode.BadUserInput],
        ["another hospital's patient", () => ({ patientId: sid(f.patients.aliceOther), kind: 'note' }), ErrorCode.NotFound],
        ['an unknown patient', () => ({ patientId: '999999', kind: 'note' }), ErrorCode.NotFound],
      ])('RecordEvent with %s is refused and changes nothing', async (_label, input, code) => {
        await refusedWithoutChange(() => write('RecordEvent', { input: input() }), code);
      });

      test('an occurredAt less than 5 minutes ahead (clock skew) is accepted', async () => {
        const occurredAt = iso(new Date(Date.now() + 4 * MINUTE));
        expect(dataOf(await write('RecordEvent', { input: { patientId: sid(f.patients.frank), kind: 'vitals', occurredAt } }))).toEqual({
          recordEvent: { id: expect.any(String), occurredAt, patient: { id: sid(f.patients.frank), latestEventAt: occurredAt } },
        });
        expect((await stats()).recentPatients[0]).toEqual({ ...recent().frank, latestEventAt: occurredAt });
      });

      test('concurrent admissions: a ward never overfills, a bed and a patient are never taken twice', async () => {
        const register = async (name: string) =>
          dataOf(await write<{ registerPatient: { id: string } }>('RegisterPatient', { input: { name, status: 'OUTPATIENT' } })).registerPatient.id;
        const racers = await Promise.all(['Race One', 'Race Two', 'Race Three', 'Race Four', 'Race Five'].map(register));
        const admit = (patientId: string, wardId: number, bed: string) => write('AdmitPatient', { input: { patientId, wardId: sid(wardId), bed } });
        const outcome = (res: GqlResult<unknown>) => (res.body.errors ? String(res.body.errors[0].extensions?.code) : 'ok');

        // Oncology (3 beds) is empty: four patients race for four different beds.
        const full = await Promise.all(racers.slice(0, 4).map((id, i) => admit(id, f.wards.oncology, `Bed 41${i}`)));
        expect(full.map(outcome).sort()).toEqual(['CONFLICT', 'ok', 'ok', 'ok']);
        const oncology = (await wardMapping({ wardIds: [sid(f.wards.oncology)] })).wards[0];
        expect([oncology.patientCount, oncology.utilizationPercentage]).toEqual([3, 100]);

        // Two patients race for one bed; then one patient races for two beds of two wards.
        const loser = racers[full.findIndex((r) => r.body.errors)];
        const oneBed = await Promise.all([admit(loser, f.wards.cardiology, 'Bed 205'), admit(racers[4], f.wards.cardiology, 'Bed 205')]);
        expect(oneBed.map(outcome).sort()).toEqual(['CONFLICT', 'ok']);
        const stillOut = oneBed[0].body.errors ? loser : racers[4];
        dataOf(await write('DischargePatient', { admissionId: sid(danAdmission) })); // Neurology gets a free bed
        const onePatient = await Promise.all([admit(stillOut, f.wards.cardiology, 'Bed 206'), admit(stillOut, f.wards.neurology, 'Bed 399')]);
        expect(onePatient.map(outcome).sort()).toEqual(['CONFLICT', 'ok']);

        const snap = (await rows()) as { admissions: Array<{ ward: number; bed: string; patient: number; dischargedAt: string | null }> };
        const open = snap.admissions.filter((a) => a.dischargedAt === null);
        expect(new Set(open.map((a) => `${a.ward}/${a.bed}`)).size).toBe(open.length);
        expect(new Set(open.map((a) => a.patient)).size).toBe(open.length);
      });

      test("hospital 2's data is untouched by all of hospital 1's writes", async () => {
        const other = token('viewer', '2');
        expect(dataOf(await send<DashboardOut>('Dashboard', undefined, other)).dashboardStats).toEqual({
          totalPatients: 1,
          inpatients: 1,
          outpatients: 0,
          updatedAt: expect.any(String),
        });
        expect(dataOf(await send<WardMappingOut>('WardMapping', undefined, other)).wardMapping.totalPatients).toBe(1);
      });
    });
  });
});
