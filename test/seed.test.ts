import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DatabaseConfig } from '../src/config/config';
import { initORM, migrate, type Orm } from '../src/db/orm';
import { parseCliArgs, UsageError } from '../src/seed/cli';
import {
  ADMISSION_WINDOW_MS,
  DEFAULT_SEED_NOW,
  EVENT_KINDS,
  EVENT_WINDOW_MS,
  MAX_BEDS,
  MIN_BEDS,
  OCCUPANCY,
  PATIENTS_WITHOUT_EVENTS,
  TAGS_PER_HOSPITAL,
  admissionsPerWard,
  bedLabel,
  seedDatabase,
  type SeedOptions,
  type SeedSummary,
} from '../src/seed/seed';

/** Dedicated database: other suites use `test` at the same time. */
const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PG_DB_NAME = 'wardcache_seed_test';

const SMALL: SeedOptions = { hospitals: 2, wards: 3, patients: 60, events: 4, seed: 7 };
/** Enough patients for every ward to reach its ~85% (3 wards × 40 beds × 85% = 102 at most). */
const ROOMY: SeedOptions = { hospitals: 2, wards: 3, patients: 150, events: 3, seed: 11 };

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

/** Epoch ms from SQLite's integers or PostgreSQL's timestamptz (MikroORM has pg return text). */
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
  expect(summary.admissions).toBe(s.admission!.length);
  expect(summary.events).toBe(s.clinical_event!.length);
}

/** The contract of the seed, checked row by row. */
function checkInvariants(s: Snapshot, o: SeedOptions): void {
  const now = DEFAULT_SEED_NOW.getTime();
  const { hospital, ward, tag, patient, patient_tags: pivot, admission, clinical_event: events } = s as Required<Snapshot>;
  const H = o.hospitals;

  // Ids: hospitals 1..H; every other table numbered 1..n across hospitals.
  expect(hospital!.map((h) => h.id)).toEqual(range(H));
  for (const rows of [ward, tag, patient, admission, events]) expect(rows!.map((r) => r.id)).toEqual(range(rows!.length));
  for (const h of hospital!) expect(typeof h.name).toBe('string');

  // Wards.
  const wardById = new Map(ward!.map((w) => [num(w.id), w]));
  expect([...groupCount(ward!, (w) => w.hospital_id).values()]).toEqual(Array(H).fill(o.wards));
  for (const w of ward!) {
    expect(num(w.capacity)).toBeGreaterThanOrEqual(MIN_BEDS);
    expect(num(w.capacity)).toBeLessThanOrEqual(MAX_BEDS);
    expect(num(w.floor)).toBeGreaterThanOrEqual(1);
  }
  for (let h = 1; h <= H; h++) {
    const names = ward!.filter((w) => w.hospital_id === h).map((w) => w.name);
    expect(new Set(names).size).toBe(names.length);
  }

  // Tags.
  expect([...groupCount(tag!, (t) => t.hospital_id).values()]).toEqual(Array(H).fill(TAGS_PER_HOSPITAL));
  for (const t of tag!) expect(t.color).toMatch(/^#[0-9a-f]{6}$/);
  const tagById = new Map(tag!.map((t) => [num(t.id), t]));

  // Patients.
  const patientById = new Map(patient!.map((p) => [num(p.id), p]));
  expect([...groupCount(patient!, (p) => p.hospital_id).values()]).toEqual(Array(H).fill(o.patients));
  for (const p of patient!) expect(['INPATIENT', 'OUTPATIENT']).toContain(p.status);
  for (const pt of pivot!) {
    expect(tagById.get(num(pt.tag_id))!.hospital_id).toBe(patientById.get(num(pt.patient_id))!.hospital_id);
  }
  const tagsPerPatient = groupCount(pivot!, (pt) => pt.patient_id);
  for (const n of tagsPerPatient.values()) expect(n === 1 || n === 2).toBe(true);
  const taggedShare = tagsPerPatient.size / patient!.length;
  expect(taggedShare).toBeGreaterThan(0.15);
  expect(taggedShare).toBeLessThan(0.45);

  // Open admissions: ≤ capacity per ward, ~85% when there are enough patients, one bed each.
  for (const a of admission!) {
    expect(a.discharged_at).toBeNull();
    const w = wardById.get(num(a.ward_id))!;
    const p = patientById.get(num(a.patient_id))!;
    expect(a.hospital_id).toBe(w.hospital_id);
    expect(a.hospital_id).toBe(p.hospital_id);
    expect(p.status).toBe('INPATIENT');
    expect(num(a.admitted_at)).toBeLessThan(now);
    expect(num(a.admitted_at)).toBeGreaterThanOrEqual(now - ADMISSION_WINDOW_MS);
    const bed = String(a.bed);
    const m = /^Bed (\d+)(\d{2})([AB])$/.exec(bed);
    expect(m).not.toBeNull();
    expect(bed.startsWith(`Bed ${String(w.floor)}`)).toBe(true);
    const index = (Number(m![2]) - 1) * 2 + (m![3] === 'B' ? 1 : 0);
    expect(index).toBeLessThan(num(w.capacity));
    expect(bedLabel(num(w.floor), index)).toBe(bed);
  }
  const openPerWard = groupCount(admission!, (a) => a.ward_id);
  for (let h = 1; h <= H; h++) {
    const wards = ward!.filter((w) => w.hospital_id === h);
    const targets = wards.reduce((sum, w) => sum + Math.round(num(w.capacity) * OCCUPANCY), 0);
    const open = wards.reduce((sum, w) => sum + (openPerWard.get(w.id) ?? 0), 0);
    if (o.patients >= targets) {
      expect(open).toBe(targets);
      for (const w of wards) {
        const share = (openPerWard.get(w.id) ?? 0) / num(w.capacity);
        expect(share).toBeGreaterThanOrEqual(0.8);
        expect(share).toBeLessThanOrEqual(0.9);
      }
    } else {
      // Fewer patients than 85% of the beds: every patient is admitted.
      expect(open).toBe(o.patients);
    }
    for (const w of wards) expect(openPerWard.get(w.id) ?? 0).toBeLessThanOrEqual(num(w.capacity));
  }
  const beds = admission!.map((a) => `${String(a.ward_id)}/${String(a.bed)}`);
  expect(new Set(beds).size).toBe(beds.length);
  const admittedPatients = admission!.map((a) => a.patient_id);
  expect(new Set(admittedPatients).size).toBe(admittedPatients.length);
  expect(patient!.filter((p) => p.status === 'INPATIENT').length).toBe(admission!.length);

  // Events: kinds, window, and patient.latest_event_at = max(occurred_at).
  const latest = new Map<number, number>();
  for (const e of events!) {
    expect(EVENT_KINDS).toContain(e.kind);
    const t = num(e.occurred_at);
    expect(t).toBeLessThan(now);
    expect(t).toBeGreaterThanOrEqual(now - EVENT_WINDOW_MS);
    const p = patientById.get(num(e.patient_id))!;
    expect(e.hospital_id).toBe(p.hospital_id);
    latest.set(num(e.patient_id), Math.max(latest.get(num(e.patient_id)) ?? -Infinity, t));
  }
  for (const p of patient!) expect(p.latest_event_at).toBe(latest.get(num(p.id)) ?? null);
  for (let h = 1; h <= H; h++) {
    const silent = patient!.filter((p) => p.hospital_id === h && p.latest_event_at === null);
    expect(silent.length).toBeGreaterThanOrEqual(Math.min(PATIENTS_WITHOUT_EVENTS, o.patients));
  }
  const mean = events!.length / patient!.length;
  expect(mean).toBeGreaterThan(o.events * 0.7);
  expect(mean).toBeLessThan(o.events * 1.3);
}

async function openDatabase(db: DatabaseConfig): Promise<Orm> {
  const orm = await initORM(db);
  await migrate(orm);
  return orm;
}

/** Seeds, snapshots, and checks the summary against the rows. */
async function seedAndSnapshot(orm: Orm, opts: SeedOptions): Promise<Snapshot> {
  const summary = await seedDatabase(orm, opts);
  const s = await snapshot(orm);
  expectSummaryMatches(summary, s);
  return s;
}

/** After seeding, an insert without an id (as the app does) must get a fresh id. */
async function expectFreshIdAfterSeed(orm: Orm): Promise<void> {
  const [before] = await query(orm, 'select max("id") as "max" from "ward"');
  await query(orm, `insert into "ward" ("hospital_id", "name", "abbreviation", "floor", "capacity") values (1, 'Added', 'ADD', 1, 20)`);
  const [added] = await query(orm, `select "id" from "ward" where "name" = 'Added'`);
  expect(Number(added!.id)).toBe(Number(before!.max) + 1);
}

const tmpDirs: string[] = [];
function tmpSqlite(name: string): DatabaseConfig {
  const dir = mkdtempSync(join(tmpdir(), 'wardcache-seed-'));
  tmpDirs.push(dir);
  return { kind: 'sqlite', path: join(dir, `${name}.sqlite`) };
}
afterAll(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

async function sqliteSnapshot(opts: SeedOptions): Promise<Snapshot> {
  const orm = await openDatabase(tmpSqlite('reference'));
  try {
    return await seedAndSnapshot(orm, opts);
  } finally {
    await orm.close(true);
  }
}

describe('seed helpers', () => {
  it('spreads patients over wards without exceeding 85% of any ward', () => {
    expect(admissionsPerWard([20, 40], 1000)).toEqual([17, 34]);
    expect(admissionsPerWard([20, 40], 10)).toEqual([3, 7]);
    expect(admissionsPerWard([20, 20, 20], 4).reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('labels beds by floor, room and A/B', () => {
    expect(bedLabel(2, 0)).toBe('Bed 201A');
    expect(bedLabel(2, 1)).toBe('Bed 201B');
    expect(bedLabel(3, 21)).toBe('Bed 311B');
  });

  it('parses the command line', () => {
    expect(parseCliArgs([])).toEqual({ help: false, options: { hospitals: 2, wards: 6, patients: 400, events: 8, seed: 1 } });
    expect(parseCliArgs(['--hospitals', '3', '--wards=4', '--patients', '10', '--events', '2', '--seed', '9'])).toEqual({
      help: false,
      options: { hospitals: 3, wards: 4, patients: 10, events: 2, seed: 9 },
    });
    expect(parseCliArgs(['--help'])).toEqual({ help: true });
    for (const bad of [['--wards', '0'], ['--wards', '-1'], ['--wards', '1.5'], ['--wards', 'x'], ['--nope'], ['pos']]) {
      expect(() => parseCliArgs(bad)).toThrow(UsageError);
    }
  });

  it('exits 2 with a message on a bad argument (real CLI)', () => {
    const root = resolve(__dirname, '..');
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'src/seed/cli.ts', '--patients', '0'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: 'file:/nonexistent/never-opened.sqlite' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--patients must be a positive integer');
  });
});

describe('seed on SQLite', () => {
  it('writes identical rows for identical arguments, replacing what was there', async () => {
    const a = await openDatabase(tmpSqlite('a'));
    const b = await openDatabase(tmpSqlite('b'));
    try {
      const first = await seedAndSnapshot(a, SMALL);
      checkInvariants(first, SMALL);

      // Another seed first (different rows), then the same arguments again: replaced, identical.
      const other = await seedAndSnapshot(b, { ...SMALL, seed: 8 });
      checkInvariants(other, { ...SMALL, seed: 8 });
      expect(other.patient!.map((p) => p.name)).not.toEqual(first.patient!.map((p) => p.name));
      const again = await seedAndSnapshot(b, SMALL);
      expect(again).toEqual(first);
      const third = await seedAndSnapshot(a, SMALL);
      expect(third).toEqual(first);

      // MikroORM's SQLite convention: datetimes as integer epoch milliseconds.
      const types = await query(
        a,
        `select distinct typeof("occurred_at") as t from "clinical_event"
         union select distinct typeof("admitted_at") from "admission"
         union select distinct typeof("latest_event_at") from "patient" where "latest_event_at" is not null`,
      );
      expect(types.map((r) => r.t)).toEqual(['integer']);
      await expectFreshIdAfterSeed(a);
    } finally {
      await a.close(true);
      await b.close(true);
    }
  });

  it('fills ~85% of every ward when there are enough patients', async () => {
    const orm = await openDatabase(tmpSqlite('roomy'));
    try {
      const s = await seedAndSnapshot(orm, ROOMY);
      checkInvariants(s, ROOMY);
      expect(s.patient!.filter((p) => p.status === 'OUTPATIENT').length).toBeGreaterThan(0);
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
  const r = spawnSync(process.execPath, ['-e', script, url], { cwd: resolve(__dirname, '..'), encoding: 'utf8', timeout: 15_000 });
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

    it('writes identical rows for identical arguments, the same rows as on SQLite', async () => {
      const first = await seedAndSnapshot(orm, SMALL);
      checkInvariants(first, SMALL);
      const other = await seedAndSnapshot(orm, { ...SMALL, seed: 8 });
      expect(other.patient!.map((p) => p.name)).not.toEqual(first.patient!.map((p) => p.name));
      const again = await seedAndSnapshot(orm, SMALL);
      expect(again).toEqual(first);

      expect(first).toEqual(await sqliteSnapshot(SMALL));
    });

    it('resets the serial sequences so the app gets fresh ids', async () => {
      const s = await seedAndSnapshot(orm, ROOMY);
      checkInvariants(s, ROOMY);
      await expectFreshIdAfterSeed(orm);
      const [event] = await query(
        orm,
        `insert into "clinical_event" ("hospital_id", "patient_id", "kind", "occurred_at") values (1, 1, 'note', now()) returning "id"`,
      );
      expect(Number(event!.id)).toBe(s.clinical_event!.length + 1);
    });
  });
}
