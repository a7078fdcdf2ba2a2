import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DatabaseConfig } from '../src/config/config';
import { initORM, migrate, type Orm } from '../src/db/orm';
import { parseCliArgs, UsageError } from '../src/seed/cli';
import { FIRST_NAMES, LAST_NAMES, SPECIALTIES, TAG_NAMES } from '../src/seed/names';
import {
  DISCHARGED_ADMISSION_MS,
  EVENT_KINDS,
  EVENT_WINDOW_MS,
  MAX_BEDS,
  MIN_BEDS,
  OPEN_ADMISSION_MS,
  SEED_ANCHOR,
  STAY_MS,
  TAGS_PER_HOSPITAL,
  bedLabel,
  seededBedLabel,
  seedDatabase,
  wardSuffix,
  type SeedOptions,
  type SeedSummary,
} from '../src/seed/seed';

const ROOT = resolve(__dirname, '..');
/**
 * The specification of the seed: ../shared/dataset/reference-generator.mjs, next to the
 * repository. A verbatim copy is kept in test/reference/ so a checkout without ../shared still
 * runs these tests; a test below keeps the copy identical whenever the original is there.
 */
const SHARED_GENERATOR = resolve(ROOT, '../shared/dataset/reference-generator.mjs');
const REFERENCE_GENERATOR = resolve(ROOT, 'test/reference/reference-generator.mjs');

/** Dedicated database: other suites use `test` at the same time. */
const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PG_DB_NAME = 'wardcache_seed_test';

/** Every patient an inpatient (more beds than patients), the generator's small example. */
const SMALL: SeedOptions = { hospitals: 2, wards: 3, patients: 60, events: 4, seed: 7 };
/** More patients than beds: about 85% of the beds taken, the rest outpatients. */
const ROOMY: SeedOptions = { hospitals: 2, wards: 3, patients: 150, events: 3, seed: 11 };
/** Edges: seed 0, no events (latest_event_at all null), ward 521 named "Cardiology A2". */
const EDGES: SeedOptions = { hospitals: 1, wards: 521, patients: 40, events: 0, seed: 0 };
const REFERENCE_CASES: Array<[string, SeedOptions]> = [
  ['SMALL', SMALL],
  ['ROOMY', ROOMY],
  ['EDGES', EDGES],
];

const TABLE_ORDER: Record<string, string> = {
  hospital: '"id"',
  ward: '"id"',
  tag: '"id"',
  patient: '"id"',
  patient_tags: '"patient_id", "tag_id"',
  admission: '"id"',
  clinical_event: '"id"',
};

type Row = Record<string, unknown>;
type Snapshot = Record<string, Row[]>;

/** Raw SQL through the ORM's connection (its `execute` is typed as returning any). */
async function query<T extends Row = Row>(orm: Orm, sql: string): Promise<T[]> {
  return (await orm.em.getConnection().execute(sql)) as T[];
}

const DATETIME_COLUMNS = new Set(['latest_event_at', 'admitted_at', 'discharged_at', 'occurred_at']);

/**
 * Epoch ms from SQLite's integers, PostgreSQL's timestamptz (MikroORM has pg return text) or
 * the reference's ISO-8601 text.
 */
function epochMs(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') {
    const ms = Date.parse(v.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
    if (Number.isNaN(ms)) throw new Error(`unparseable timestamp ${v}`);
    return ms;
  }
  return v;
}

/** Every row of every table, in key order; timestamps as epoch ms so SQLite and PG compare. */
async function snapshot(orm: Orm): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const [table, order] of Object.entries(TABLE_ORDER)) {
    const rows = await query(orm, `select * from "${table}" order by ${order}`);
    out[table] = rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, DATETIME_COLUMNS.has(k) ? epochMs(v) : v])),
    );
  }
  return out;
}

const num = (v: unknown): number => {
  if (typeof v !== 'number') throw new Error(`expected a number, got ${typeof v} ${String(v)}`);
  return v;
};
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

function groupCount<T>(items: readonly T[], key: (item: T) => unknown): Map<unknown, number> {
  const m = new Map<unknown, number>();
  for (const item of items) m.set(key(item), (m.get(key(item)) ?? 0) + 1);
  return m;
}

function expectSummaryMatches(summary: SeedSummary, s: Snapshot): void {
  expect(summary.hospitals).toBe(s.hospital!.length);
  expect(summary.wards).toBe(s.ward!.length);
  expect(summary.tags).toBe(s.tag!.length);
  expect(summary.patients).toBe(s.patient!.length);
  expect(summary.patientTags).toBe(s.patient_tags!.length);
  expect(summary.admissions).toBe(s.admission!.filter((a) => a.discharged_at === null).length);
  expect(summary.dischargedAdmissions).toBe(s.admission!.filter((a) => a.discharged_at !== null).length);
  expect(summary.events).toBe(s.clinical_event!.length);
}

// ---------------------------------------------------------------------------------------------
// The reference data set. Jest (CommonJS through SWC) cannot import the generator, an ES module
// that imports better-sqlite3, so a child node process runs it in place. The generator lives
// outside the repository, where `import 'better-sqlite3'` finds no node_modules: a resolve hook
// answers that one import from this repository's node_modules (a devDependency for this test).

interface ReferenceCounts {
  hospitals: number;
  wards: number;
  tags: number;
  patients: number;
  inpatients: number;
  admissions: number;
  patientTags: number;
  events: number;
}

interface Reference {
  counts: ReferenceCounts;
  /** The reference's rows under the project's table and column names (timestamps as epoch ms). */
  rows: Snapshot;
}

interface SqliteStatement {
  all(): Row[];
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  close(): void;
}
type SqliteDatabaseClass = new (path: string, options?: { readonly?: boolean }) => SqliteDatabase;

function runReferenceGenerator(opts: SeedOptions, out: string): ReferenceCounts {
  const hook = `export async function resolve(specifier, context, next) {
    return next(specifier, specifier === 'better-sqlite3' ? { ...context, parentURL: ${JSON.stringify(pathToFileURL(join(ROOT, 'package.json')).href)} } : context);
  }`;
  const script = `
    import { register } from 'node:module';
    register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});
    const { generate } = await import(${JSON.stringify(pathToFileURL(REFERENCE_GENERATOR).href)});
    const counts = generate({ ...JSON.parse(process.argv[1]), out: process.argv[2] });
    process.stdout.write(JSON.stringify(counts));`;
  const { hospitals, wards, patients, events, seed } = opts;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify({ hospitals, wards, patients, events, seed }), out], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`reference generator exited with ${String(r.status)}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as ReferenceCounts;
}

const references = new Map<SeedOptions, Reference>();

/** The generator's rows for `opts` (generated once per data set). */
function reference(opts: SeedOptions): Reference {
  const cached = references.get(opts);
  if (cached) return cached;
  if (!existsSync(REFERENCE_GENERATOR)) throw new Error(`the reference generator is missing: ${REFERENCE_GENERATOR}`);
  const out = join(tmpDir(), 'reference.sqlite');
  const counts = runReferenceGenerator(opts, out);
  // better-sqlite3 has no type declarations here; SqliteDatabaseClass is the part used.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as SqliteDatabaseClass;
  const db = new Database(out, { readonly: true });
  try {
    const all = (sql: string): Row[] => db.prepare(sql).all();
    const ms = (v: unknown): number | null => (v === null ? null : num(epochMs(v)));
    const events = all('select id, hospital_id, patient_id, kind, occurred_at from events order by id').map((e) => ({
      id: e.id,
      hospital_id: e.hospital_id,
      patient_id: e.patient_id,
      kind: e.kind,
      occurred_at: ms(e.occurred_at),
    }));
    // The project's own column: the newest event of the patient, null without events.
    const latest = new Map<unknown, number>();
    for (const e of events) latest.set(e.patient_id, Math.max(latest.get(e.patient_id) ?? -Infinity, num(e.occurred_at)));
    const rows: Snapshot = {
      hospital: all('select id, name from hospitals order by id'),
      ward: all('select id, hospital_id, name, abbreviation, floor, capacity from wards order by id'),
      tag: all('select id, hospital_id, name, color from tags order by id'),
      patient: all('select id, hospital_id, name, status from patients order by id').map((p) => ({
        ...p,
        latest_event_at: latest.get(p.id) ?? null,
      })),
      patient_tags: all('select patient_id, tag_id from patient_tags order by patient_id, tag_id'),
      admission: all('select id, hospital_id, patient_id, ward_id, bed, admitted_at, discharged_at from admissions order by id').map((a) => ({
        ...a,
        admitted_at: ms(a.admitted_at),
        discharged_at: ms(a.discharged_at),
      })),
      clinical_event: events,
    };
    const ref = { counts, rows };
    references.set(opts, ref);
    return ref;
  } finally {
    db.close();
  }
}

/** The same columns with the same values (numbers, strings and nulls compared with Object.is). */
function sameRow(got: Row | undefined, want: Row): boolean {
  if (!got) return false;
  const columns = new Set([...Object.keys(got), ...Object.keys(want)]);
  for (const column of columns) if (!Object.is(got[column], want[column])) return false;
  return true;
}

/** Same tables, same number of rows, every row equal field by field (the first difference is shown). */
function expectSameRows(actual: Snapshot, expected: Snapshot): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [table, want] of Object.entries(expected)) {
    const got = actual[table]!;
    expect({ table, rows: got.length }).toEqual({ table, rows: want.length });
    const index = want.findIndex((row, i) => !sameRow(got[i], row));
    if (index >= 0) expect({ table, index, row: got[index] }).toEqual({ table, index, row: want[index] });
  }
}

function expectSummaryMatchesReference(summary: SeedSummary, counts: ReferenceCounts): void {
  expect({
    hospitals: summary.hospitals,
    wards: summary.wards,
    tags: summary.tags,
    patients: summary.patients,
    inpatients: summary.admissions,
    admissions: summary.admissions + summary.dischargedAdmissions,
    patientTags: summary.patientTags,
    events: summary.events,
  }).toEqual(counts);
}

// ---------------------------------------------------------------------------------------------

/** What the data set promises beyond equality with the reference, checked row by row. */
function checkInvariants(s: Snapshot, o: SeedOptions, shiftMs = 0): void {
  const anchor = SEED_ANCHOR.getTime() + shiftMs;
  const { hospital, ward, tag, patient, patient_tags: pivot, admission, clinical_event: events } = s as Required<Snapshot>;
  const H = o.hospitals;

  // Ids: hospitals 1..H; every other table numbered 1..n across hospitals.
  expect(hospital!.map((h) => h.id)).toEqual(range(H));
  for (const rows of [ward, tag, patient, admission, events]) expect(rows!.map((r) => r.id)).toEqual(range(rows!.length));
  expect(hospital!.map((h) => h.name)).toEqual(range(H).map((h) => `Hospital ${h}`));

  // Wards: W per hospital, named by specialty and suffix, on floors 0..9, 20..40 beds.
  const wardById = new Map(ward!.map((w) => [num(w.id), w]));
  expect(ward!.length).toBe(H * o.wards);
  ward!.forEach((w, k) => {
    const i = k % o.wards;
    const { name, abbreviation } = SPECIALTIES[i % SPECIALTIES.length]!;
    expect(w).toMatchObject({ hospital_id: Math.floor(k / o.wards) + 1, name: `${name} ${wardSuffix(i)}`, abbreviation: `${abbreviation}-${wardSuffix(i)}` });
    expect(num(w.floor)).toBeGreaterThanOrEqual(0);
    expect(num(w.floor)).toBeLessThanOrEqual(9);
    expect(num(w.capacity)).toBeGreaterThanOrEqual(MIN_BEDS);
    expect(num(w.capacity)).toBeLessThanOrEqual(MAX_BEDS);
  });
  for (let h = 1; h <= H; h++) {
    const names = ward!.filter((w) => w.hospital_id === h).map((w) => w.name);
    expect(new Set(names).size).toBe(names.length);
  }

  // Tags: all 12 in every hospital, in list order.
  expect(TAGS_PER_HOSPITAL).toBe(12);
  expect(tag!.map((t) => ({ hospital_id: t.hospital_id, name: t.name, color: t.color }))).toEqual(
    range(H).flatMap((h) => TAG_NAMES.map((t) => ({ hospital_id: h, name: t.name, color: t.color }))),
  );
  const tagById = new Map(tag!.map((t) => [num(t.id), t]));

  // Patients: P per hospital, names from the lists; 0..3 distinct tags of their own hospital.
  const patientById = new Map(patient!.map((p) => [num(p.id), p]));
  expect([...groupCount(patient!, (p) => p.hospital_id).entries()]).toEqual(range(H).map((h) => [h, o.patients]));
  for (const p of patient!) {
    expect(['INPATIENT', 'OUTPATIENT']).toContain(p.status);
    const [first, last] = String(p.name).split(' ');
    expect(FIRST_NAMES).toContain(first);
    expect(LAST_NAMES).toContain(last);
  }
  for (const pt of pivot!) {
    expect(tagById.get(num(pt.tag_id))!.hospital_id).toBe(patientById.get(num(pt.patient_id))!.hospital_id);
  }
  for (const n of groupCount(pivot!, (pt) => pt.patient_id).values()) expect(n).toBeLessThanOrEqual(3);

  // Admissions: inpatients have exactly one open admission, outpatients none; one patient per
  // open bed; bed labels are zero-padded bed numbers within the ward's capacity.
  for (const a of admission!) {
    const w = wardById.get(num(a.ward_id))!;
    const p = patientById.get(num(a.patient_id))!;
    expect(a.hospital_id).toBe(w.hospital_id);
    expect(a.hospital_id).toBe(p.hospital_id);
    expect(String(a.bed)).toMatch(/^\d{3}$/);
    expect(Number(a.bed)).toBeGreaterThanOrEqual(1);
    expect(Number(a.bed)).toBeLessThanOrEqual(num(w.capacity));
    expect(seededBedLabel(Number(a.bed), num(w.capacity))).toBe(a.bed);
    const admitted = num(a.admitted_at);
    if (a.discharged_at === null) {
      expect(p.status).toBe('INPATIENT');
      expect(admitted).toBeLessThanOrEqual(anchor - OPEN_ADMISSION_MS.min);
      expect(admitted).toBeGreaterThanOrEqual(anchor - OPEN_ADMISSION_MS.max);
    } else {
      expect(admitted).toBeLessThanOrEqual(anchor - DISCHARGED_ADMISSION_MS.min);
      expect(admitted).toBeGreaterThanOrEqual(anchor - DISCHARGED_ADMISSION_MS.max);
      expect(num(a.discharged_at) - admitted).toBeGreaterThanOrEqual(STAY_MS.min);
      expect(num(a.discharged_at) - admitted).toBeLessThanOrEqual(STAY_MS.max);
    }
  }
  const open = admission!.filter((a) => a.discharged_at === null);
  const beds = open.map((a) => `${String(a.ward_id)}/${String(a.bed)}`);
  expect(new Set(beds).size).toBe(beds.length);
  const admittedPatients = open.map((a) => a.patient_id);
  expect(new Set(admittedPatients).size).toBe(admittedPatients.length);
  expect(patient!.filter((p) => p.status === 'INPATIENT').length).toBe(open.length);
  for (const n of groupCount(admission!.filter((a) => a.discharged_at !== null), (a) => a.patient_id).values()) expect(n).toBe(1);

  // Events: kinds, window, and patient.latest_event_at = max(occurred_at).
  const latest = new Map<number, number>();
  for (const e of events!) {
    expect(EVENT_KINDS).toContain(e.kind);
    const t = num(e.occurred_at);
    expect(t).toBeLessThanOrEqual(anchor);
    expect(t).toBeGreaterThanOrEqual(anchor - EVENT_WINDOW_MS);
    const p = patientById.get(num(e.patient_id))!;
    expect(e.hospital_id).toBe(p.hospital_id);
    latest.set(num(e.patient_id), Math.max(latest.get(num(e.patient_id)) ?? -Infinity, t));
  }
  for (const p of patient!) expect(p.latest_event_at).toBe(latest.get(num(p.id)) ?? null);
  for (const n of groupCount(events!, (e) => e.patient_id).values()) expect(n).toBeLessThanOrEqual(2 * o.events);
}

async function openDatabase(db: DatabaseConfig): Promise<Orm> {
  const orm = await initORM(db);
  await migrate(orm);
  return orm;
}

/** Seeds, snapshots, and checks the summary against the rows. */
async function seedAndSnapshot(orm: Orm, opts: SeedOptions): Promise<{ rows: Snapshot; summary: SeedSummary }> {
  const summary = await seedDatabase(orm, opts);
  const rows = await snapshot(orm);
  expectSummaryMatches(summary, rows);
  return { rows, summary };
}

/** Seeds and expects exactly the reference's rows (and counts). */
async function expectReferenceRows(orm: Orm, opts: SeedOptions): Promise<Snapshot> {
  const ref = reference(opts);
  const { rows, summary } = await seedAndSnapshot(orm, opts);
  expectSameRows(rows, ref.rows);
  expectSummaryMatchesReference(summary, ref.counts);
  return rows;
}

/** After seeding, an insert without an id (as the app does) must get a fresh id. */
async function expectFreshIdAfterSeed(orm: Orm): Promise<void> {
  const [before] = await query(orm, 'select max("id") as "max" from "ward"');
  await query(orm, `insert into "ward" ("hospital_id", "name", "abbreviation", "floor", "capacity") values (1, 'Added', 'ADD', 1, 20)`);
  const [added] = await query(orm, `select "id" from "ward" where "name" = 'Added'`);
  expect(Number(added!.id)).toBe(Number(before!.max) + 1);
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wardcache-seed-'));
  tmpDirs.push(dir);
  return dir;
}
function tmpSqlite(name: string): DatabaseConfig {
  return { kind: 'sqlite', path: join(tmpDir(), `${name}.sqlite`) };
}
afterAll(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

describe('the reference generator', () => {
  // Skipped (loudly) only where the checkout has no ../shared next to it; the copy then stands in.
  const sharedHere = existsSync(SHARED_GENERATOR);
  if (!sharedHere) process.stderr.write(`\n*** ${SHARED_GENERATOR} is not here: comparing with the copy in test/reference/ ***\n`);
  (sharedHere ? it : it.skip)('is copied verbatim into test/reference/', () => {
    expect(readFileSync(REFERENCE_GENERATOR, 'utf8')).toBe(readFileSync(SHARED_GENERATOR, 'utf8'));
  });
});

describe('seed helpers', () => {
  it('labels seeded beds with zero-padded numbers', () => {
    expect(seededBedLabel(7, 40)).toBe('007');
    expect(seededBedLabel(12, 20)).toBe('012');
    expect(seededBedLabel(40, 40)).toBe('040');
    expect(seededBedLabel(5, 1200)).toBe('0005');
  });

  it('makes up "Bed 201A" labels for new admissions, never a seeded label', () => {
    expect(bedLabel(2, 0)).toBe('Bed 201A');
    expect(bedLabel(2, 1)).toBe('Bed 201B');
    expect(bedLabel(3, 21)).toBe('Bed 311B');
    expect(bedLabel(0, 0)).not.toMatch(/^\d+$/);
  });

  it('names wards A..Z over the specialties, then A2…', () => {
    expect([0, 19, 20, 39, 40, 519, 520, 540].map(wardSuffix)).toEqual(['A', 'A', 'B', 'B', 'C', 'Z', 'A2', 'B2']);
  });

  it('parses the command line (the generator defaults)', () => {
    expect(parseCliArgs([])).toEqual({ help: false, options: { hospitals: 2, wards: 40, patients: 20000, events: 25, seed: 1 } });
    expect(parseCliArgs(['--hospitals', '3', '--wards=4', '--patients', '10', '--events', '2', '--seed', '9'])).toEqual({
      help: false,
      options: { hospitals: 3, wards: 4, patients: 10, events: 2, seed: 9 },
    });
    expect(parseCliArgs(['--events', '0', '--seed', '0'])).toEqual({
      help: false,
      options: { hospitals: 2, wards: 40, patients: 20000, events: 0, seed: 0 },
    });
    expect(parseCliArgs(['--help'])).toEqual({ help: true });
    const bad = [
      ['--wards', '0'],
      ['--wards', '-1'],
      ['--wards', '1.5'],
      ['--wards', 'x'],
      ['--hospitals', '0'],
      ['--patients', '0'],
      ['--events', '-1'],
      ['--events', '2.5'],
      ['--seed', '-3'],
      ['--seed', 'x'],
      ['--nope'],
      ['pos'],
    ];
    for (const args of bad) expect(() => parseCliArgs(args)).toThrow(UsageError);
    expect(() => parseCliArgs(['--events=-1'])).toThrow('--events must be a non-negative integer');
    expect(() => parseCliArgs(['--hospitals', '0'])).toThrow('--hospitals must be a positive integer');
  });

  it('refuses bad options in seedDatabase too', async () => {
    const orm = await openDatabase(tmpSqlite('refused'));
    try {
      for (const bad of [{ wards: 0 }, { patients: 1.5 }, { events: -1 }, { seed: -1 }, { now: new Date('nope') }]) {
        await expect(seedDatabase(orm, { ...SMALL, ...bad })).rejects.toThrow(RangeError);
      }
    } finally {
      await orm.close(true);
    }
  });

  it('exits 2 with a message on a bad argument (real CLI)', () => {
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'src/seed/cli.ts', '--patients', '0'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: 'file:/nonexistent/never-opened.sqlite' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--patients must be a positive integer');
  });
});

describe('seed on SQLite', () => {
  it.each(REFERENCE_CASES)('writes exactly the reference generator rows (%s)', async (_name, opts) => {
    const orm = await openDatabase(tmpSqlite('reference'));
    try {
      const rows = await expectReferenceRows(orm, opts);
      checkInvariants(rows, opts);
    } finally {
      await orm.close(true);
    }
  });

  it('writes identical rows for identical arguments, replacing what was there', async () => {
    const a = await openDatabase(tmpSqlite('a'));
    const b = await openDatabase(tmpSqlite('b'));
    try {
      const first = (await seedAndSnapshot(a, SMALL)).rows;
      // Another seed first (different rows), then the same arguments again: replaced, identical.
      const other = (await seedAndSnapshot(b, { ...SMALL, seed: 8 })).rows;
      checkInvariants(other, { ...SMALL, seed: 8 });
      expect(other.patient!.map((p) => p.name)).not.toEqual(first.patient!.map((p) => p.name));
      expect((await seedAndSnapshot(b, SMALL)).rows).toEqual(first);
      expect((await seedAndSnapshot(a, SMALL)).rows).toEqual(first);
      expectSameRows(first, reference(SMALL).rows);

      // MikroORM's SQLite convention: datetimes as integer epoch milliseconds.
      const types = await query(
        a,
        `select distinct typeof("occurred_at") as t from "clinical_event"
         union select distinct typeof("admitted_at") from "admission"
         union select distinct typeof("discharged_at") from "admission" where "discharged_at" is not null
         union select distinct typeof("latest_event_at") from "patient" where "latest_event_at" is not null`,
      );
      expect(types.map((r) => r.t)).toEqual(['integer']);
      await expectFreshIdAfterSeed(a);
    } finally {
      await a.close(true);
      await b.close(true);
    }
  });

  it('fills about 85% of the beds when there are more patients than beds', async () => {
    const orm = await openDatabase(tmpSqlite('roomy'));
    try {
      const s = await expectReferenceRows(orm, ROOMY);
      const { counts } = reference(ROOMY);
      expect(s.patient!.filter((p) => p.status === 'INPATIENT').length).toBe(counts.inpatients);
      expect(s.patient!.filter((p) => p.status === 'OUTPATIENT').length).toBe(counts.patients - counts.inpatients);
      for (let h = 1; h <= ROOMY.hospitals; h++) {
        const beds = s.ward!.filter((w) => w.hospital_id === h).reduce((n, w) => n + num(w.capacity), 0);
        const open = s.admission!.filter((a) => a.hospital_id === h && a.discharged_at === null).length;
        expect(open / beds).toBeGreaterThan(0.7);
        expect(open / beds).toBeLessThanOrEqual(1);
      }
    } finally {
      await orm.close(true);
    }
  });

  it('with `now` (the demo data), shifts every timestamp by now - anchor and changes nothing else', async () => {
    const orm = await openDatabase(tmpSqlite('shifted'));
    try {
      const now = new Date('2026-11-29T10:11:12.345Z');
      const shift = now.getTime() - SEED_ANCHOR.getTime();
      await seedDatabase(orm, { ...SMALL, now });
      const shifted = await snapshot(orm);
      checkInvariants(shifted, SMALL, shift);
      const back = (v: unknown) => (v === null ? null : num(v) - shift);
      const unshifted: Snapshot = Object.fromEntries(
        Object.entries(shifted).map(([table, rows]) => [
          table,
          rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, DATETIME_COLUMNS.has(k) ? back(v) : v]))),
        ]),
      );
      expectSameRows(unshifted, reference(SMALL).rows);
    } finally {
      await orm.close(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// PostgreSQL. Reachability is probed synchronously (a child process) so the suite can be
// declared with describe or describe.skip; under CI=true an unreachable server fails instead.

interface PgClient {
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  end(): Promise<void>;
}
interface PgModule {
  Client: new (config: { connectionString: string; connectionTimeoutMillis?: number }) => PgClient;
}

function probePostgres(url: string): string | null {
  const script = `
    const { Client } = require('pg');
    const c = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
    c.connect().then(() => c.query('select 1')).then(() => c.end())
      .then(() => process.exit(0), (e) => { process.stderr.write(String((e && e.message) || e)); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, url], { cwd: ROOT, encoding: 'utf8', timeout: 15_000 });
  if (r.error) return r.error.message;
  if (r.status !== 0) return r.stderr.trim() || `probe exited with ${String(r.status)}`;
  return null;
}

async function ensurePgDatabase(): Promise<string> {
  // pg comes with @mikro-orm/postgresql but without type declarations; PgModule is the part used.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require('pg') as PgModule;
  const client = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [PG_DB_NAME]);
    if (found.rows.length === 0) {
      try {
        await client.query(`create database "${PG_DB_NAME}"`);
      } catch (err) {
        // Created meanwhile by a parallel run: duplicate_database / unique_violation.
        const code = (err as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw err;
      }
    }
  } finally {
    await client.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${PG_DB_NAME}`;
  return url.toString();
}

const pgUnavailable = probePostgres(PG_ADMIN_URL);

if (pgUnavailable && process.env.CI === 'true') {
  describe('seed on PostgreSQL', () => {
    it('needs PostgreSQL (CI=true)', () => {
      throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is not reachable: ${pgUnavailable}`);
    });
  });
} else {
  if (pgUnavailable) {
    // eslint-disable-next-line no-console
    console.warn(`\n*** SKIPPING seed PostgreSQL tests: ${PG_ADMIN_URL} is not reachable (${pgUnavailable}) ***\n`);
  }
  (pgUnavailable ? describe.skip : describe)('seed on PostgreSQL', () => {
    let orm: Orm;

    beforeAll(async () => {
      orm = await openDatabase({ kind: 'postgresql', url: await ensurePgDatabase() });
    });
    afterAll(async () => {
      await orm?.close(true);
    });

    it.each(REFERENCE_CASES)('writes exactly the reference generator rows (%s)', async (_name, opts) => {
      const rows = await expectReferenceRows(orm, opts);
      checkInvariants(rows, opts);
    });

    it('writes identical rows for identical arguments, the same rows as on SQLite', async () => {
      const first = (await seedAndSnapshot(orm, SMALL)).rows;
      const other = (await seedAndSnapshot(orm, { ...SMALL, seed: 8 })).rows;
      expect(other.patient!.map((p) => p.name)).not.toEqual(first.patient!.map((p) => p.name));
      const again = (await seedAndSnapshot(orm, SMALL)).rows;
      expect(again).toEqual(first);

      const sqlite = await openDatabase(tmpSqlite('same-as-pg'));
      try {
        expect(first).toEqual((await seedAndSnapshot(sqlite, SMALL)).rows);
      } finally {
        await sqlite.close(true);
      }
    });

    it('resets the serial sequences so the app gets fresh ids', async () => {
      const s = (await seedAndSnapshot(orm, ROOMY)).rows;
      await expectFreshIdAfterSeed(orm);
      const [event] = await query(
        orm,
        `insert into "clinical_event" ("hospital_id", "patient_id", "kind", "occurred_at") values (1, 1, 'note', now()) returning "id"`,
      );
      expect(Number(event!.id)).toBe(s.clinical_event!.length + 1);
      const [admission] = await query(
        orm,
        `insert into "admission" ("hospital_id", "patient_id", "ward_id", "bed", "admitted_at", "discharged_at")
         values (1, 1, 1, 'X1', now(), now()) returning "id"`,
      );
      expect(Number(admission!.id)).toBe(s.admission!.length + 1);
    });
  });
}
