/**
 * The contract's auth rules as one table: EVERY operation of ../shared/contract/operations.graphql
 * × every caller (no token, a forged token, an alg "none" token, viewer, clinician, admin — all
 * of hospital 1) × the ids it targets (hospital 1's own rows, hospital 2's rows, and mixes of
 * both for operations that take several ids). Every case is generated from that table; its
 * expected outcome follows from the contract alone:
 *
 * - no or bad token → UNAUTHENTICATED; a role below the operation's → FORBIDDEN;
 * - writes on another hospital's ids → NOT_FOUND; `patient(id)` of another hospital → null;
 *   `wardMapping` filtered on another hospital's ward → that ward is not listed;
 * - no answer to a hospital-1 token ever shows an id of hospital 2;
 * - a refused request changes nothing: every row of every table and the cache state of both
 *   hospitals are compared before and after.
 *
 * Gateways: refused cases run on one gateway whose cache was first primed with the very
 * answers the refused requests ask for (so the cache's fast path is exercised too); allowed
 * reads and cache-admin calls on a second; allowed writes on a third, each asking the database
 * for suitable ids right before it runs; cross-hospital cache isolation on a fourth.
 */
import { SignJWT, UnsecuredJWT } from 'jose';
import { hasRole, isRole, type Role } from '../src/auth/roles';
import { loadContractOperations } from '../src/contract/operations';
import { seedDatabase } from '../src/seed/seed';
import { cacheState, foreignIds, fullState, idsOwnedBy, type EntityType } from './support/db-state';
import { sqliteDatabase, startTestGateway, testConfig, type GqlResult, type TestGateway } from './support/gateway';
import { targetsOf, type HospitalTargets } from './support/hospital-targets';
import { entryId } from '../src/modules/cache-admin/entry-id';

// Subscriptions run on /graphql/stream, not /graphql; DashboardChanges' auth (no or bad token →
// 401 UNAUTHENTICATED, any role, confined to the hospital) is covered in test/live-changes.test.ts.
const OPERATIONS = new Map([...loadContractOperations()].filter(([, text]) => !text.startsWith('subscription')));
const op = (name: string): string => {
  const text = OPERATIONS.get(name);
  if (!text) throw new Error(`Operation ${name} is not in the contract`);
  return text;
};

// ------------------------------------------------------------------------------------ the table

type Caller = 'no token' | 'forged admin token' | 'alg none admin token' | Role;
const CALLERS: readonly Caller[] = ['no token', 'forged admin token', 'alg none admin token', 'viewer', 'clinician', 'admin'];

/** Hospital 1 (the caller's) and hospital 2, as they are right before a request. */
interface World {
  own: HospitalTargets;
  other: HospitalTargets;
  /** Key explorer ids of each hospital's Dashboard answer, as the priming below caches it. */
  entries: { own: string; other: string };
}

type Data = Record<string, unknown>;
type State = Awaited<ReturnType<typeof fullState>>;

interface CheckContext {
  t: TestGateway;
  w: World;
  before: State;
  after: State;
}

interface TargetSpec {
  /** How the title names the ids; '' for operations that take none. */
  label: string;
  variables: (w: World) => Record<string, unknown>;
  /** What the contract says once the role suffices. */
  outcome: 'allowed' | 'NOT_FOUND';
  /** The title's name of the allowed outcome (default "allowed"). */
  allowedTitle?: string;
  /** Checks of an allowed answer beyond "no error, no hospital-2 id". */
  check?: (data: Data, c: CheckContext) => void | Promise<void>;
}

interface OperationSpec {
  name: string;
  role: Role;
  /** An allowed request of this operation writes rows. */
  writes: boolean;
  targets: TargetSpec[];
}

const OWN = "on hospital 1's ids";
const OTHER = "on hospital 2's ids";

const count = async (t: TestGateway, sql: string, params: unknown[]): Promise<number> => {
  const [row] = await t.gateway.orm.em.fork().getConnection().execute<Array<{ n: number }>>(sql, params, 'all');
  return Number(row?.n);
};
const field = <T = Data>(data: Data, name: string): T => data[name] as T;
const ids = (list: Array<{ id: string }>): string[] => list.map((x) => x.id).sort();
const hospitalRows = (state: State, hospitalId: number): string[] =>
  Object.values(state.rows)
    .flat()
    .filter((line) => line.includes(`"hospital_id":${hospitalId}`));

/** An allowed write changed rows, and none of hospital 2. */
function wroteOwnRowsOnly({ before, after }: CheckContext): void {
  expect(after.rows).not.toEqual(before.rows);
  expect(hospitalRows(after, 2)).toEqual(hospitalRows(before, 2));
}

const SPECS: OperationSpec[] = [
  // ------------------------------------------------------------------- reads (viewer)
  {
    name: 'Dashboard',
    role: 'viewer',
    writes: false,
    targets: [
      {
        label: '',
        variables: () => ({ recentLimit: 100 }),
        outcome: 'allowed',
        check: async (data, { t }) => {
          const stats = field<{ totalPatients: number }>(data, 'dashboardStats');
          expect(stats.totalPatients).toBe(await count(t, 'select count(*) as n from patient where hospital_id = ?', [1]));
          expect(field<unknown[]>(data, 'recentPatients').length).toBeGreaterThan(0);
        },
      },
    ],
  },
  {
    name: 'WardMapping',
    role: 'viewer',
    writes: false,
    targets: [
      {
        label: "filtered on hospital 1's ward",
        variables: (w) => ({ filter: { wardIds: [w.own.wardId] } }),
        outcome: 'allowed',
        check: (data, { w }) => {
          const mapping = field<{ wards: Array<{ ward: { id: string } }> }>(data, 'wardMapping');
          expect(mapping.wards.map((e) => e.ward.id)).toEqual([w.own.wardId]);
        },
      },
      {
        label: "filtered on hospital 2's ward",
        variables: (w) => ({ filter: { wardIds: [w.other.wardId] } }),
        outcome: 'allowed',
        allowedTitle: 'that ward not listed',
        check: (data) => {
          expect(field(data, 'wardMapping')).toEqual({ totalPatients: 0, totalWards: 0, updatedAt: expect.any(String), wards: [] });
        },
      },
      {
        label: "filtered on both hospitals' wards and tags",
        variables: (w) => ({ filter: { wardIds: [w.own.wardId, w.other.wardId], tagIds: [w.own.tagId, w.other.tagId] } }),
        outcome: 'allowed',
        allowedTitle: "only hospital 1's ward listed",
        check: (data, { w }) => {
          const mapping = field<{ wards: Array<{ ward: { id: string }; patients: Array<{ tags: Array<{ id: string }> }> }> }>(data, 'wardMapping');
          expect(mapping.wards.map((e) => e.ward.id)).toEqual([w.own.wardId]);
          for (const p of mapping.wards.flatMap((e) => e.patients)) expect(p.tags.map((x) => x.id)).toContain(w.own.tagId);
        },
      },
      {
        label: "filtered on hospital 2's tag",
        variables: (w) => ({ filter: { tagIds: [w.other.tagId] } }),
        outcome: 'allowed',
        allowedTitle: 'no patient listed',
        check: async (data, { t }) => {
          const mapping = field<{ totalPatients: number; totalWards: number }>(data, 'wardMapping');
          expect(mapping.totalPatients).toBe(0);
          expect(mapping.totalWards).toBe(await count(t, 'select count(*) as n from ward where hospital_id = ?', [1]));
        },
      },
    ],
  },
  {
    name: 'WardFilters',
    role: 'viewer',
    writes: false,
    targets: [
      {
        label: '',
        variables: () => ({}),
        outcome: 'allowed',
        check: async (data, { t }) => {
          const own = await idsOwnedBy(t.gateway.orm, 1);
          const filters = field<{ wards: Array<{ id: string }>; tags: Array<{ id: string }> }>(data, 'wardFilters');
          expect(ids(filters.wards)).toEqual([...own.Ward].sort());
          expect(ids(filters.tags)).toEqual([...own.Tag].sort());
        },
      },
    ],
  },
  {
    name: 'Patient',
    role: 'viewer',
    writes: false,
    targets: [
      {
        label: OWN,
        variables: (w) => ({ id: w.own.patientId }),
        outcome: 'allowed',
        check: (data, { w }) => expect(field<{ id: string }>(data, 'patient').id).toBe(w.own.patientId),
      },
      {
        label: OTHER,
        variables: (w) => ({ id: w.other.patientId }),
        outcome: 'allowed',
        allowedTitle: 'null',
        check: (data) => expect(data).toEqual({ patient: null }),
      },
    ],
  },
  // ------------------------------------------------------------------- writes (clinician)
  {
    name: 'RegisterPatient',
    role: 'clinician',
    writes: true,
    targets: [
      {
        label: '',
        variables: () => ({ input: { name: 'Matrix Patient', status: 'OUTPATIENT' } }),
        outcome: 'allowed',
        check: (data, c) => {
          expect(field(data, 'registerPatient')).toEqual({ id: expect.any(String), name: 'Matrix Patient', status: 'OUTPATIENT' });
          wroteOwnRowsOnly(c);
        },
      },
    ],
  },
  {
    name: 'AdmitPatient',
    role: 'clinician',
    writes: true,
    targets: [
      {
        label: OWN,
        variables: (w) => ({ input: { patientId: w.own.outpatientId, wardId: w.own.roomyWard.wardId, bed: w.own.roomyWard.bed } }),
        outcome: 'allowed',
        check: (data, c) => {
          expect(field(data, 'admitPatient')).toMatchObject({
            bed: c.w.own.roomyWard.bed,
            ward: { id: c.w.own.roomyWard.wardId },
            patient: { id: c.w.own.outpatientId, status: 'INPATIENT' },
          });
          wroteOwnRowsOnly(c);
        },
      },
      {
        label: OTHER,
        variables: (w) => ({ input: { patientId: w.other.outpatientId, wardId: w.other.roomyWard.wardId, bed: w.other.roomyWard.bed } }),
        outcome: 'NOT_FOUND',
      },
      {
        label: "on hospital 1's patient and hospital 2's ward",
        variables: (w) => ({ input: { patientId: w.own.outpatientId, wardId: w.other.roomyWard.wardId, bed: w.other.roomyWard.bed } }),
        outcome: 'NOT_FOUND',
      },
      {
        label: "on hospital 2's patient and hospital 1's ward",
        variables: (w) => ({ input: { patientId: w.other.outpatientId, wardId: w.own.roomyWard.wardId, bed: w.own.roomyWard.bed } }),
        outcome: 'NOT_FOUND',
      },
    ],
  },
  {
    name: 'TransferPatient',
    role: 'clinician',
    writes: true,
    targets: [
      {
        label: OWN,
        variables: (w) => ({ admissionId: w.own.admission.id, wardId: w.own.roomyWard.wardId, bed: w.own.roomyWard.bed }),
        outcome: 'allowed',
        check: (data, c) => {
          expect(field(data, 'transferPatient')).toEqual({ id: c.w.own.admission.id, bed: c.w.own.roomyWard.bed, ward: { id: c.w.own.roomyWard.wardId } });
          wroteOwnRowsOnly(c);
        },
      },
      {
        label: OTHER,
        variables: (w) => ({ admissionId: w.other.admission.id, wardId: w.other.roomyWard.wardId, bed: w.other.roomyWard.bed }),
        outcome: 'NOT_FOUND',
      },
      {
        label: "on hospital 1's admission and hospital 2's ward",
        variables: (w) => ({ admissionId: w.own.admission.id, wardId: w.other.roomyWard.wardId, bed: w.other.roomyWard.bed }),
        outcome: 'NOT_FOUND',
      },
      {
        label: "on hospital 2's admission and hospital 1's ward",
        variables: (w) => ({ admissionId: w.other.admission.id, wardId: w.own.roomyWard.wardId, bed: w.own.roomyWard.bed }),
        outcome: 'NOT_FOUND',
      },
    ],
  },
  {
    name: 'DischargePatient',
    role: 'clinician',
    writes: true,
    targets: [
      {
        label: OWN,
        variables: (w) => ({ admissionId: w.own.admission.id }),
        outcome: 'allowed',
        check: (data, c) => {
          expect(field(data, 'dischargePatient')).toEqual({
            id: c.w.own.admission.id,
            dischargedAt: expect.any(String),
            patient: { id: c.w.own.admission.patientId, status: 'OUTPATIENT' },
          });
          wroteOwnRowsOnly(c);
        },
      },
      { label: OTHER, variables: (w) => ({ admissionId: w.other.admission.id }), outcome: 'NOT_FOUND' },
    ],
  },
  {
    name: 'TagPatient',
    role: 'clinician',
    writes: true,
    targets: [
      {
        label: OWN,
        variables: (w) => ({ ...w.own.untagged }),
        outcome: 'allowed',
        check: (data, c) => {
          const patient = field<{ id: string; tags: Array<{ id: string }> }>(data, 'tagPatient');
          expect(patient.id).toBe(c.w.own.untagged.patientId);
          expect(patient.tags.map((x) => x.id)).toContain(c.w.own.untagged.tagId);
          wroteOwnRowsOnly(c);
        },
      },
      { label: OTHER, variables: (w) => ({ ...w.other.untagged }), outcome: 'NOT_FOUND' },
      {
        label: "on hospital 1's patient and hospital 2's tag",
        variables: (w) => ({ patientId: w.own.untagged.patientId, tagId: w.other.tagId }),
        outcome: 'NOT_FOUND',
      },
      {
        label: "on hospital 2's patient and hospital 1's tag",
        variables: (w) => ({ patientId: w.other.untagged.patientId, tagId: w.own.tagId }),
        outcome: 'NOT_FOUND',
      },
    ],
  },
  {
    name: 'UntagPatient',
    role: 'clinician',
    writes: true,
    targets: [
      {
        label: OWN,
        variables: (w) => ({ ...w.own.tagged }),
        outcome: 'allowed',
        check: (data, c) => {
          const patient = field<{ id: string; tags: Array<{ id: string }> }>(data, 'untagPatient');
          expect(patient.id).toBe(c.w.own.tagged.patientId);
          expect(patient.tags.map((x) => x.id)).not.toContain(c.w.own.tagged.tagId);
          wroteOwnRowsOnly(c);
        },
      },
      { label: OTHER, variables: (w) => ({ ...w.other.tagged }), outcome: 'NOT_FOUND' },
      {
        label: "on hospital 1's patient and hospital 2's tag",
        variables: (w) => ({ patientId: w.own.tagged.patientId, tagId: w.other.tagged.tagId }),
        outcome: 'NOT_FOUND',
      },
      {
        label: "on hospital 2's patient and hospital 1's tag",
        variables: (w) => ({ patientId: w.other.tagged.patientId, tagId: w.own.tagged.tagId }),
        outcome: 'NOT_FOUND',
      },
    ],
  },
  {
    name: 'RecordEvent',
    role: 'clinician',
    writes: true,
    targets: [
      {
        label: OWN,
        variables: (w) => ({ input: { patientId: w.own.patientId, kind: 'note' } }),
        outcome: 'allowed',
        check: (data, c) => {
          expect(field(data, 'recordEvent')).toMatchObject({ id: expect.any(String), patient: { id: c.w.own.patientId } });
          wroteOwnRowsOnly(c);
        },
      },
      { label: OTHER, variables: (w) => ({ input: { patientId: w.other.patientId, kind: 'note' } }), outcome: 'NOT_FOUND' },
    ],
  },
  // ------------------------------------------------------------------- cache admin (admin)
  {
    name: 'CacheStats',
    role: 'admin',
    writes: false,
    targets: [
      {
        label: '',
        variables: () => ({}),
        outcome: 'allowed',
        check: (data, { after }) => {
          const stats = field<{ backend: string; entries: number }>(data, 'cacheStats');
          expect(stats.backend).toBe('memory');
          expect(stats.entries).toBe((after.cache[0] as { entries: number }).entries);
        },
      },
    ],
  },
  {
    name: 'WarmCache',
    role: 'admin',
    writes: false,
    targets: [
      {
        label: '',
        variables: () => ({ targets: null }),
        outcome: 'allowed',
        allowedTitle: "allowed, hospital 2's cache untouched",
        check: (data, { before, after }) => {
          const results = field<Array<{ target: string; ok: boolean }>>(data, 'warmCache');
          expect(results.map((r) => [r.target, r.ok]).sort()).toEqual([
            ['DASHBOARD', true],
            ['WARD_FILTERS', true],
            ['WARD_MAPPING', true],
          ]);
          expect(after.cache[1]).toEqual(before.cache[1]);
          expect(after.rows).toEqual(before.rows);
        },
      },
    ],
  },
  {
    name: 'InvalidateCache',
    role: 'admin',
    writes: false,
    targets: [
      {
        label: OWN,
        variables: (w) => ({ entities: [{ typename: 'Patient', id: w.own.patientId }, { typename: 'WardMapping' }] }),
        outcome: 'allowed',
        allowedTitle: "allowed, hospital 2's cache untouched",
        check: (data, { before, after }) => {
          expect(field<{ invalidated: number }>(data, 'invalidateCache').invalidated).toBeGreaterThanOrEqual(1);
          expect(after.cache[1]).toEqual(before.cache[1]);
          expect(after.rows).toEqual(before.rows);
        },
      },
      {
        label: OTHER,
        variables: (w) => ({ entities: [{ typename: 'Patient', id: w.other.patientId }, { typename: 'Ward', id: w.other.wardId }] }),
        outcome: 'allowed',
        allowedTitle: "allowed, hospital 2's cache untouched",
        check: (data, { before, after }) => {
          expect(typeof field<{ invalidated: number }>(data, 'invalidateCache').invalidated).toBe('number');
          expect(after.cache[1]).toEqual(before.cache[1]);
          expect(after.rows).toEqual(before.rows);
        },
      },
    ],
  },
  {
    name: 'CacheEntries',
    role: 'admin',
    writes: false,
    targets: [
      {
        label: '',
        variables: () => ({ first: 500 }),
        outcome: 'allowed',
        allowedTitle: "allowed, hospital 1's answers only",
        check: (data, { after }) => {
          const page = field<{ totalCount: number; entries: Array<{ id: string }> }>(data, 'cacheEntries');
          expect(page.totalCount).toBe((after.cache[0] as { entries: number }).entries);
          for (const e of page.entries) expect(e.id).toMatch(/^h1\./);
        },
      },
    ],
  },
  {
    name: 'EvictCacheEntry',
    role: 'admin',
    writes: false,
    targets: [
      {
        label: "on hospital 1's answer",
        variables: (w) => ({ id: w.entries.own }),
        outcome: 'allowed',
        allowedTitle: "allowed, hospital 2's cache untouched",
        check: (data, { before, after }) => {
          const gone = field<boolean>(data, 'evictCacheEntry');
          expect((after.cache[0] as { entries: number }).entries).toBe((before.cache[0] as { entries: number }).entries - (gone ? 1 : 0));
          expect(after.cache[1]).toEqual(before.cache[1]);
        },
      },
      {
        label: "on hospital 2's answer",
        variables: (w) => ({ id: w.entries.other }),
        outcome: 'allowed',
        allowedTitle: 'allowed, nothing removed',
        check: (data, { before, after }) => {
          expect(field<boolean>(data, 'evictCacheEntry')).toBe(false);
          expect(after.cache).toEqual(before.cache);
        },
      },
    ],
  },
];

// ------------------------------------------------------------------------------------ the cases

type Expected = { refused: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' } | { allowed: true };

interface Case {
  title: string;
  spec: OperationSpec;
  caller: Caller;
  target: TargetSpec;
  expected: Expected;
}

function expectedOf(spec: OperationSpec, caller: Caller, target: TargetSpec): Expected {
  if (!isRole(caller)) return { refused: 'UNAUTHENTICATED' };
  if (!hasRole(caller, spec.role)) return { refused: 'FORBIDDEN' };
  return target.outcome === 'NOT_FOUND' ? { refused: 'NOT_FOUND' } : { allowed: true };
}

const CASES: Case[] = SPECS.flatMap((spec) =>
  CALLERS.flatMap((caller) =>
    spec.targets.map((target): Case => {
      const expected = expectedOf(spec, caller, target);
      const outcome = 'refused' in expected ? expected.refused : (target.allowedTitle ?? 'allowed');
      return { title: `${spec.name} as ${caller}${target.label ? ` ${target.label}` : ''} → ${outcome}`, spec, caller, target, expected };
    }),
  ),
);
const REFUSED = CASES.filter((c) => 'refused' in c.expected);
// Reads first, then cache-admin calls (which change the cache the reads would otherwise see).
const ALLOWED_READS = CASES.filter((c) => 'allowed' in c.expected && !c.spec.writes).sort(
  (a, b) => Number(a.spec.role === 'admin') - Number(b.spec.role === 'admin'),
);
const ALLOWED_WRITES = CASES.filter((c) => 'allowed' in c.expected && c.spec.writes);

// ------------------------------------------------------------------------------------ harness

async function seeded(): Promise<TestGateway> {
  const t = await startTestGateway(testConfig(sqliteDatabase()));
  await seedDatabase(t.gateway.orm, { hospitals: 2, wards: 3, patients: 200, events: 2, seed: 11, now: new Date() });
  return t;
}

interface Session {
  t: TestGateway;
  tokens: Record<Caller, string | null>;
  /** Hospital 2's ids, for the leak check of every answer. */
  foreign: Record<EntityType, Set<string>>;
}

async function session(): Promise<Session> {
  const t = await seeded();
  const wrongKey = new TextEncoder().encode('not-the-gateway-secret-not-the-gateway-secret');
  const claims = { hospitalId: '1', role: 'admin' };
  const tokens: Record<Caller, string | null> = {
    'no token': null,
    'forged admin token': await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('forger').setExpirationTime('1h').sign(wrongKey),
    'alg none admin token': new UnsecuredJWT(claims).setSubject('forger').setExpirationTime('1h').encode(),
    viewer: await t.token('viewer', '1'),
    clinician: await t.token('clinician', '1'),
    admin: await t.token('admin', '1'),
  };
  return { t, tokens, foreign: await idsOwnedBy(t.gateway.orm, 2) };
}

async function world(t: TestGateway): Promise<World> {
  const dashboard = (hospitalId: number, variables: Record<string, unknown>) =>
    entryId(hospitalId, t.gateway.cache.keyFor({ hospitalId, role: 'viewer' }, { query: op('Dashboard'), operationName: 'Dashboard', variables }) ?? '');
  return {
    own: await targetsOf(t.gateway.orm, 1),
    other: await targetsOf(t.gateway.orm, 2),
    entries: { own: dashboard(1, { recentLimit: 100 }), other: dashboard(2, {}) },
  };
}

function send(s: Session, c: Pick<Case, 'spec' | 'caller'>, variables: Record<string, unknown>): Promise<GqlResult<Data>> {
  return s.t.gql<Data>(op(c.spec.name), variables, s.tokens[c.caller], c.spec.name);
}

function codesOf(res: GqlResult<unknown>): unknown[] {
  return [...new Set((res.body.errors ?? []).map((e) => e.extensions?.code))];
}

/** Refused with exactly `code`, and nothing (no root field) answered. */
function expectRefused(res: GqlResult<Data>, code: string): void {
  expect(res.status).toBeLessThan(500);
  expect(codesOf(res)).toEqual([code]);
  const data = res.body.data ?? null;
  if (data !== null) expect(Object.values(data).every((v) => v === null)).toBe(true);
}

/** Allowed: data for the root field (null only where the target says so), no error, no id of hospital 2. */
function expectAllowed(s: Session, res: GqlResult<Data>): Data {
  expect({ status: res.status, errors: res.body.errors }).toEqual({ status: 200, errors: undefined });
  const data = res.body.data;
  if (!data) throw new Error('allowed request answered without data');
  expect(foreignIds(data, s.foreign)).toEqual([]);
  return data;
}

const cacheHit = (res: GqlResult<unknown>): unknown => (res.body.extensions?.cache as { hit?: unknown } | undefined)?.hit;

// ------------------------------------------------------------------------------------ tests

test('the table covers every operation of the contract, with every caller', () => {
  expect(SPECS.map((s) => s.name).sort()).toEqual([...OPERATIONS.keys()].sort());
  for (const spec of SPECS) expect(new Set(CASES.filter((c) => c.spec === spec).map((c) => c.caller))).toEqual(new Set(CALLERS));
  expect(REFUSED.length + ALLOWED_READS.length + ALLOWED_WRITES.length).toBe(CASES.length);
});

describe('refused requests: the contract’s code, and nothing changes (rows of every table, both hospitals’ caches)', () => {
  let s: Session;

  beforeAll(async () => {
    s = await session();
    // Prime the cache with every answer an allowed caller gets for the variables below, so a
    // refused request meets a hot entry for its exact key wherever one could exist.
    const w = await world(s.t);
    for (const c of ALLOWED_READS.filter((x) => x.spec.role === 'viewer')) {
      const res = await send(s, c, c.target.variables(w));
      expect(res.body.errors).toBeUndefined();
    }
    await s.t.gql(op('Dashboard'), {}, await s.t.token('viewer', '2'));
    expect((await cacheState(s.t.gateway, 1)).entries).toBeGreaterThan(0);
  }, 60_000);
  afterAll(() => s?.t.close());

  it.each(REFUSED.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
    const w = await world(s.t);
    const before = await fullState(s.t.gateway);
    const res = await send(s, c, c.target.variables(w));
    expectRefused(res, (c.expected as { refused: string }).refused);
    expect(await fullState(s.t.gateway)).toEqual(before);
  });
});

describe('allowed reads and cache-admin calls (each sent twice: a miss, then the cache’s answer)', () => {
  let s: Session;
  beforeAll(async () => {
    s = await session();
  }, 60_000);
  afterAll(() => s?.t.close());

  it.each(ALLOWED_READS.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
    const w = await world(s.t);
    const variables = c.target.variables(w);
    const before = await fullState(s.t.gateway);
    const first = await send(s, c, variables);
    const after = await fullState(s.t.gateway);
    const data = expectAllowed(s, first);
    await c.target.check?.(data, { t: s.t, w, before, after });
    expect(after.rows).toEqual(before.rows);
    if (c.spec.role === 'viewer') {
      // The same read again: for a cacheable answer this is the HTTP fast path (no resolver runs).
      const second = await send(s, c, variables);
      const again = expectAllowed(s, second);
      await c.target.check?.(again, { t: s.t, w, before, after: await fullState(s.t.gateway) });
      if (data.patient !== null) expect(cacheHit(second)).toBe(true);
    }
  });
});

describe('allowed writes (ids read from the database right before each one)', () => {
  let s: Session;
  beforeAll(async () => {
    s = await session();
  }, 60_000);
  afterAll(() => s?.t.close());

  it.each(ALLOWED_WRITES.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
    const w = await world(s.t);
    const before = await fullState(s.t.gateway);
    const res = await send(s, c, c.target.variables(w));
    const after = await fullState(s.t.gateway);
    const data = expectAllowed(s, res);
    if (!c.target.check) throw new Error(`${c.title} has no check`);
    await c.target.check(data, { t: s.t, w, before, after });
  });
});

describe('cache isolation between hospitals', () => {
  let t: TestGateway;
  let w: World;
  let viewer1: string;
  let viewer2: string;
  let admin1: string;
  let admin2: string;
  const reads = (): Array<[string, Record<string, unknown>]> => [
    ['Dashboard', {}],
    ['WardMapping', {}],
    ['WardMapping', { filter: { wardIds: [w.own.wardId] } }],
    ['WardFilters', {}],
    ['Patient', { id: w.own.patientId }],
  ];

  beforeAll(async () => {
    t = await seeded();
    w = await world(t);
    [viewer1, viewer2, admin1, admin2] = await Promise.all([t.token('viewer', '1'), t.token('viewer', '2'), t.token('admin', '1'), t.token('admin', '2')]);
  }, 60_000);
  afterAll(() => t?.close());

  /** Sends every read of hospital 1 twice; returns the second (cached) answers. */
  async function cachedReadsOfHospital1(): Promise<Array<GqlResult<Data>>> {
    const out: Array<GqlResult<Data>> = [];
    for (const [name, variables] of reads()) {
      await t.gql<Data>(op(name), variables, viewer1, name);
      const second = await t.gql<Data>(op(name), variables, viewer1, name);
      expect(cacheHit(second)).toBe(true);
      out.push(second);
    }
    return out;
  }

  it("a hospital-2 admin's invalidateCache and warmCache leave hospital 1's cached answers in place", async () => {
    const cached = await cachedReadsOfHospital1();
    for (const name of ['Dashboard', 'WardMapping', 'WardFilters']) await t.gql(op(name), {}, viewer2, name);
    expect((await cacheState(t.gateway, 2)).entries).toBeGreaterThan(0);
    const before1 = await cacheState(t.gateway, 1);

    const everything = [
      ...['Patient', 'Ward', 'Tag', 'Admission', 'ClinicalEvent', 'DashboardStats', 'RecentPatients', 'WardMapping', 'WardFilters'].map((typename) => ({ typename })),
      // Hospital 1's own ids, named by hospital 2's admin.
      { typename: 'Patient', id: w.own.patientId },
      { typename: 'Ward', id: w.own.wardId },
      { typename: 'Tag', id: w.own.tagId },
      { typename: 'Admission', id: w.own.admission.id },
    ];
    const invalidated = await t.gql<{ invalidateCache: { invalidated: number } }>(op('InvalidateCache'), { entities: everything }, admin2, 'InvalidateCache');
    expect(invalidated.body.errors).toBeUndefined();
    // Effective in its own hospital: hospital 2's answers are gone…
    expect(invalidated.body.data?.invalidateCache.invalidated).toBeGreaterThanOrEqual(3);
    const warmed = await t.gql<{ warmCache: Array<{ ok: boolean }> }>(op('WarmCache'), { targets: null }, admin2, 'WarmCache');
    expect(warmed.body.data?.warmCache.map((r) => r.ok)).toEqual([true, true, true]);
    const stats2 = await t.gql<{ cacheStats: { entries: number } }>(op('CacheStats'), {}, admin2, 'CacheStats');
    expect(stats2.body.data?.cacheStats.entries).toBe((await cacheState(t.gateway, 2)).entries);

    // …while hospital 1's are exactly as they were: same entries, fence and warm record, and
    // every read is still the very same cached answer.
    expect(await cacheState(t.gateway, 1)).toEqual(before1);
    for (const [i, [name, variables]] of reads().entries()) {
      const res = await t.gql<Data>(op(name), variables, viewer1, name);
      expect(cacheHit(res)).toBe(true);
      expect(res.body.data).toEqual(cached[i]?.body.data);
    }
  });

  it("a hospital-1 admin naming hospital 2's ids invalidates nothing of hospital 2", async () => {
    for (const name of ['Dashboard', 'WardMapping', 'WardFilters']) await t.gql(op(name), {}, viewer2, name);
    const before2 = await cacheState(t.gateway, 2);
    expect(before2.entries).toBeGreaterThan(0);
    const entities = [
      { typename: 'Patient', id: w.other.patientId },
      { typename: 'Ward', id: w.other.wardId },
      { typename: 'Tag', id: w.other.tagId },
      { typename: 'Admission', id: w.other.admission.id },
      { typename: 'Patient' },
      { typename: 'WardMapping' },
    ];
    const res = await t.gql(op('InvalidateCache'), { entities }, admin1, 'InvalidateCache');
    expect(res.body.errors).toBeUndefined();
    const warmed = await t.gql(op('WarmCache'), { targets: null }, admin1, 'WarmCache');
    expect(warmed.body.errors).toBeUndefined();
    expect(await cacheState(t.gateway, 2)).toEqual(before2);
  });

  it("hospital 2's viewer never gets hospital 1's cached answer to the same request", async () => {
    await cachedReadsOfHospital1();
    const foreign = await idsOwnedBy(t.gateway.orm, 1);
    const own2 = await idsOwnedBy(t.gateway.orm, 2);
    for (const [name, variables] of reads()) {
      const res = await t.gql<Data>(op(name), variables, viewer2, name);
      expect(res.body.errors).toBeUndefined();
      expect(foreignIds(res.body.data, foreign)).toEqual([]);
    }
    const dashboard = await t.gql<{ dashboardStats: { totalPatients: number } }>(op('Dashboard'), {}, viewer2, 'Dashboard');
    expect(dashboard.body.data?.dashboardStats.totalPatients).toBe(own2.Patient.size);
  });
});
