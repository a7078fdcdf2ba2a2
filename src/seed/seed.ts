/**
 * Fills the database with the reference data set of ../shared/dataset: for the same arguments
 * (hospitals, wards, patients, events, seed) the rows are exactly those that
 * `reference-generator.mjs` writes: the same ids, names, abbreviations, floors, capacities,
 * tags and colours, patient names and statuses, patient tags, admissions (ward, bed label,
 * admitted and discharged times) and events (kind, time). The generator is the specification;
 * this file ports its algorithm: ONE mulberry32 stream seeded with `seed`, consumed in exactly
 * the order of the generator's loops. Any change to the order of the random draws (or to the
 * word lists in names.ts) changes every row after it, and test/seed.test.ts compares the rows
 * with the generator's, table by table and field by field.
 *
 * Timestamps are relative to the data set's fixed "now", SEED_ANCHOR (2026-01-01T00:00:00Z).
 * `opts.now` (the demo data of an empty gateway database) shifts every timestamp by
 * now - SEED_ANCHOR, so the same rows end at the real now; the seed command never passes it.
 *
 * The project's own column `patient.latest_event_at` (not in the reference) is the newest
 * occurred_at of the patient's events, null without events.
 *
 * NOTE: the seed bypasses MikroORM's unit of work and identity map (and any response cache in
 * front of the database): rows are written with multi-row INSERTs straight through knex, in one
 * transaction. Whoever runs it against a live gateway must flush the gateway's caches
 * afterwards, or clients keep seeing the old rows.
 */
import type { MikroORM } from '@mikro-orm/core';
import { BaseSqlitePlatform, type EntityManager as SqlEntityManager, type Knex } from '@mikro-orm/knex';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { EVENT_KINDS, FIRST_NAMES, LAST_NAMES, SPECIALTIES, TAG_NAMES } from './names';
import { Random } from './random';

export { EVENT_KINDS } from './names';

export interface SeedOptions {
  /** Number of hospitals; they get ids 1..hospitals. */
  hospitals: number;
  /** Wards per hospital. */
  wards: number;
  /** Patients per hospital. */
  patients: number;
  /** Mean clinical events per patient (each patient gets 0..2×events). */
  events: number;
  /** Seed of the random stream (0..2^32-1 are distinct; larger values wrap, as in the generator). */
  seed: number;
  /**
   * Shifts every timestamp by now - SEED_ANCHOR (the demo data, so the dashboard looks alive).
   * Without it the rows are the reference data set's, relative to SEED_ANCHOR.
   */
  now?: Date;
}

export interface SeedSummary {
  hospitals: number;
  wards: number;
  tags: number;
  patients: number;
  patientTags: number;
  /** Open admissions, i.e. inpatients (the generator's `counts.inpatients`). */
  admissions: number;
  /** Past admissions with a discharge time (admissions + dischargedAdmissions = all rows). */
  dischargedAdmissions: number;
  events: number;
  ms: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The data set's fixed "now" (the generator's ANCHOR_MS): every timestamp lies at or before it. */
export const SEED_ANCHOR = new Date('2026-01-01T00:00:00.000Z');

export const MIN_BEDS = 20;
export const MAX_BEDS = 40;
/** Open admissions fill about this share of all beds (when there are enough patients). */
export const OCCUPANCY = 0.85;
/** Every hospital has all the tags of names.ts. */
export const TAGS_PER_HOSPITAL = TAG_NAMES.length;
/** Bed labels are zero-padded to at least this many digits ("007"). */
export const BED_LABEL_DIGITS = 3;
/** Share of patients (inpatients or not) with one past, discharged admission. */
export const DISCHARGED_SHARE = 0.25;
/** Open admissions began between 1 hour and 60 days before the anchor. */
export const OPEN_ADMISSION_MS = { min: HOUR, max: 60 * DAY } as const;
/** Discharged admissions began 61 to 365 days before the anchor and lasted 1 to 14 days. */
export const DISCHARGED_ADMISSION_MS = { min: 61 * DAY, max: 365 * DAY } as const;
export const STAY_MS = { min: DAY, max: 14 * DAY } as const;
/** Events lie within the year before the anchor (the anchor itself included). */
export const EVENT_WINDOW_MS = 365 * DAY;

/** Child tables first, so the foreign keys never see an orphan. */
const TABLES_CHILD_FIRST = ['clinical_event', 'admission', 'patient_tags', 'patient', 'tag', 'ward', 'hospital'];
const SERIAL_TABLES = ['hospital', 'ward', 'tag', 'patient', 'admission', 'clinical_event'];

/** Ward i's name suffix: A..Z over the specialties, then A2..Z2, A3… (the generator's). */
export function wardSuffix(i: number): string {
  const letter = String.fromCharCode(65 + (Math.floor(i / SPECIALTIES.length) % 26));
  const round = Math.floor(i / (SPECIALTIES.length * 26));
  return round ? `${letter}${round + 1}` : letter;
}

/** The seed's label of bed `n` (1-based) of a ward with `capacity` beds: "007" (digits only). */
export function seededBedLabel(n: number, capacity: number): string {
  return String(n).padStart(Math.max(BED_LABEL_DIGITS, String(capacity).length), '0');
}

/**
 * "Bed 201A": floor, two-digit room, A/B (two beds per room); `index` is 0-based. Not a label
 * the seed writes (those are digits only, see seededBedLabel), so it never collides with a
 * seeded bed: for code that makes up beds for new admissions (bench/hospital-day).
 */
export function bedLabel(floor: number, index: number): string {
  const room = Math.floor(index / 2) + 1;
  return `Bed ${floor}${String(room).padStart(2, '0')}${index % 2 === 0 ? 'A' : 'B'}`;
}

/** 0..3 tags: 40% none, 30% one, 20% two, 10% three (from one uniform draw). */
function tagCount(r: number): number {
  return r < 0.4 ? 0 : r < 0.7 ? 1 : r < 0.9 ? 2 : 3;
}

type Dialect = 'sqlite' | 'postgresql';

/**
 * Bind parameters per statement. SQLite's limit is 32,766 (SQLITE_MAX_VARIABLE_NUMBER since
 * 3.32); PostgreSQL's wire protocol allows 65,535. Both are kept below with some margin.
 */
const MAX_PARAMS: Record<Dialect, number> = { sqlite: 30_000, postgresql: 65_000 };

/**
 * Collects rows and writes them as multi-row `insert … values (…),(…)` statements.
 *
 * knex's own `insert([...rows])` is not used: for SQLite it compiles multi-row inserts to
 * `insert … select ? as a union all select …`, which SQLite refuses beyond 500 rows
 * (SQLITE_MAX_COMPOUND_SELECT), and it re-derives the column list per row.
 *
 * Rows of all tables are generated interleaved (as the reference generator does: a patient,
 * its tags, admissions and events, then the next patient), so a batch may hold rows whose
 * parent rows are still buffered in another inserter: `parents` are flushed first, and the
 * foreign keys never see an orphan.
 */
class BatchInserter {
  private values: Knex.Value[] = [];
  private rows = 0;
  private readonly maxRows: number;
  private readonly head: string;
  private readonly tuple: string;
  private fullSql: string | null = null;
  private fullStatement: ((values: Knex.Value[]) => void) | null = null;
  inserted = 0;

  constructor(
    private readonly trx: Knex.Transaction,
    table: string,
    columns: readonly string[],
    dialect: Dialect,
    private readonly prepare: StatementFactory | null,
    private readonly parents: readonly BatchInserter[] = [],
  ) {
    this.maxRows = Math.max(1, Math.floor(MAX_PARAMS[dialect] / columns.length));
    this.head = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `;
    this.tuple = `(${columns.map(() => '?').join(',')})`;
  }

  /** Adds one row (values in column order); call `flush` when this returns true. */
  push(...row: Knex.Value[]): boolean {
    for (const v of row) this.values.push(v);
    this.rows++;
    return this.rows >= this.maxRows;
  }

  /** Writes the buffered rows, after those of the parent tables. */
  async flush(): Promise<void> {
    if (this.rows === 0) return;
    for (const parent of this.parents) await parent.flush();
    const values = this.values;
    const rows = this.rows;
    this.values = [];
    this.rows = 0;
    if (rows === this.maxRows) {
      this.fullSql ??= this.sqlFor(this.maxRows);
      if (this.prepare) {
        // Full chunks all share one SQL text: prepare it once, run it many times.
        this.fullStatement ??= this.prepare(this.fullSql);
        this.fullStatement(values);
      } else {
        await this.trx.raw(this.fullSql, values);
      }
    } else {
      await this.trx.raw(this.sqlFor(rows), values);
    }
    this.inserted += rows;
  }

  private sqlFor(rows: number): string {
    return this.head + new Array<string>(rows).fill(this.tuple).join(',');
  }
}

/** Prepares a statement on the transaction's connection; the result runs it with new bindings. */
type StatementFactory = (sql: string) => (values: Knex.Value[]) => void;

interface LibsqlStatement {
  run(values: unknown[]): unknown;
}
interface LibsqlConnection {
  prepare(sql: string): LibsqlStatement;
}

/**
 * SQLite only: knex prepares a fresh libsql statement for every query, and libsql (0.5.x)
 * keeps each statement's native memory until the connection closes. A million rows in
 * 30,000-parameter statements then pin ~600 MB for the length of the transaction. Reusing one
 * prepared statement per table on the transaction's own connection keeps memory flat.
 * Falls back to knex (null) if the connection does not look like libsql's.
 */
async function libsqlStatementFactory(trx: Knex.Transaction): Promise<StatementFactory | null> {
  // knex's typings declare `client` as any; its transaction client hands out the transaction's
  // connection from acquireConnection (knex/lib/execution/transaction.js, makeTxClient).
  const client = (trx as unknown as { client?: { acquireConnection?: () => Promise<unknown> } }).client;
  const conn = (await client?.acquireConnection?.()) as Partial<LibsqlConnection> | undefined;
  if (!conn || typeof conn.prepare !== 'function') return null;
  const db = conn as LibsqlConnection;
  return (sql) => {
    const statement = db.prepare(sql);
    return (values) => {
      statement.run(values);
    };
  };
}

function validate(opts: SeedOptions): void {
  for (const key of ['hospitals', 'wards', 'patients'] as const) {
    const v = opts[key];
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`seed: ${key} must be a positive integer, got ${v}`);
  }
  for (const key of ['events', 'seed'] as const) {
    const v = opts[key];
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`seed: ${key} must be a non-negative integer, got ${v}`);
  }
  if (opts.now && Number.isNaN(opts.now.getTime())) throw new RangeError('seed: now is an invalid date');
}

function dialectOf(orm: MikroORM): Dialect {
  const platform = orm.em.getPlatform();
  if (platform instanceof BaseSqlitePlatform) return 'sqlite';
  if (platform instanceof PostgreSqlPlatform) return 'postgresql';
  throw new Error(`seed: unsupported database platform ${platform.constructor.name}`);
}

/** A ward while its hospital is generated: its beds still free for an open admission. */
interface WardState {
  id: number;
  capacity: number;
  /** Free bed numbers, 1-based; only the first `freeCount` entries are valid. */
  free: Int32Array;
  freeCount: number;
}

export async function seedDatabase(
  orm: MikroORM,
  opts: SeedOptions,
  onProgress?: (msg: string) => void,
): Promise<SeedSummary> {
  validate(opts);
  const started = performance.now();
  const dialect = dialectOf(orm);
  // Both supported platforms are knex-based SQL drivers; the cast reaches their knex instance.
  const knex = (orm.em as SqlEntityManager).getConnection().getKnex();
  const anchor = SEED_ANCHOR.getTime();
  const shift = opts.now ? opts.now.getTime() - anchor : 0;
  // SQLite: MikroORM stores datetimes as integer milliseconds. PostgreSQL: timestamptz.
  const ts: (ms: number) => Knex.Value = dialect === 'sqlite' ? (ms) => ms + shift : (ms) => new Date(ms + shift);
  const { hospitals: H, wards: W, patients: P, events: E, seed } = opts;
  const summary: SeedSummary = {
    hospitals: 0,
    wards: 0,
    tags: 0,
    patients: 0,
    patientTags: 0,
    admissions: 0,
    dischargedAdmissions: 0,
    events: 0,
    ms: 0,
  };
  const progress = (msg: string): void => onProgress?.(msg);

  await knex.transaction(async (trx) => {
    // A bulk load is not logged row by row for the change capture (src/capture/ddl.ts): the
    // pause row is seen by this transaction's triggers only, and one row at the end says
    // "everything changed", so running gateways drop every cached answer once it commits.
    await trx.raw('insert into wardcache_change_pause (paused) values (1)');
    for (const table of TABLES_CHILD_FIRST) await trx.raw(`delete from "${table}"`);
    if (dialect === 'sqlite') {
      // Forget old AUTOINCREMENT high-water marks; the explicit-id inserts below set them anew.
      const found: unknown = await trx.raw(`select name from sqlite_master where type = 'table' and name = 'sqlite_sequence'`);
      if (Array.isArray(found) && found.length > 0) {
        await trx.raw(`delete from sqlite_sequence where name in (${SERIAL_TABLES.map(() => '?').join(',')})`, SERIAL_TABLES);
      }
    }
    progress('cleared all tables');
    const prepare = dialect === 'sqlite' ? await libsqlStatementFactory(trx) : null;

    const inserter = (table: string, columns: readonly string[], parents: BatchInserter[] = []): BatchInserter =>
      new BatchInserter(trx, table, columns, dialect, prepare, parents);
    const hospitalIns = inserter('hospital', ['id', 'name']);
    const wardIns = inserter('ward', ['id', 'hospital_id', 'name', 'abbreviation', 'floor', 'capacity'], [hospitalIns]);
    const tagIns = inserter('tag', ['id', 'hospital_id', 'name', 'color'], [hospitalIns]);
    const patientIns = inserter('patient', ['id', 'hospital_id', 'name', 'status', 'latest_event_at'], [hospitalIns]);
    const patientTagIns = inserter('patient_tags', ['patient_id', 'tag_id'], [patientIns, tagIns]);
    const admissionIns = inserter(
      'admission',
      ['id', 'hospital_id', 'patient_id', 'ward_id', 'bed', 'admitted_at', 'discharged_at'],
      [patientIns, wardIns],
    );
    const eventIns = inserter('clinical_event', ['id', 'hospital_id', 'patient_id', 'kind', 'occurred_at'], [patientIns]);
    const all = [hospitalIns, wardIns, tagIns, patientIns, patientTagIns, admissionIns, eventIns];

    // From here on, every draw mirrors one of the generator's `rnd()`, `int()` or `pick()`, in
    // its order. Ids are running counters across hospitals, as there.
    const rnd = new Random(seed);
    let wardId = 0;
    let tagId = 0;
    let patientId = 0;
    let admissionId = 0;
    let eventId = 0;
    // One patient's events, generated before the patient row is written (latest_event_at).
    const eventKinds: number[] = [];
    const eventTimes: number[] = [];
    const chosenTags: number[] = [];

    for (let h = 1; h <= H; h++) {
      if (hospitalIns.push(h, `Hospital ${h}`)) await hospitalIns.flush();

      // Wards of 20 to 40 beds: floor, then capacity.
      const wards: WardState[] = [];
      let freeBeds = 0;
      for (let i = 0; i < W; i++) {
        const specialty = SPECIALTIES[i % SPECIALTIES.length]!;
        const suffix = wardSuffix(i);
        const floor = rnd.int(0, 9);
        const capacity = rnd.int(MIN_BEDS, MAX_BEDS);
        const id = ++wardId;
        const free = new Int32Array(capacity);
        for (let b = 0; b < capacity; b++) free[b] = b + 1;
        wards.push({ id, capacity, free, freeCount: capacity });
        freeBeds += capacity;
        if (wardIns.push(id, h, `${specialty.name} ${suffix}`, `${specialty.abbreviation}-${suffix}`, floor, capacity)) {
          await wardIns.flush();
        }
      }
      // The generator's exact expression: the float compared with each patient's draw.
      const inpatientShare = Math.min(1, (OCCUPANCY * freeBeds) / P);

      // All tags, in list order (no draws).
      const firstTagId = tagId + 1;
      for (const tag of TAG_NAMES) {
        if (tagIns.push(++tagId, h, tag.name, tag.color)) await tagIns.flush();
      }

      let hospitalEvents = 0;
      let hospitalInpatients = 0;
      for (let j = 0; j < P; j++) {
        const pid = ++patientId;
        const name = `${rnd.pick(FIRST_NAMES)} ${rnd.pick(LAST_NAMES)}`;
        let inpatient = rnd.next() < inpatientShare;
        if (inpatient && freeBeds === 0) inpatient = false; // beds are full: an outpatient

        // Distinct tags, drawn until there are enough (a repeat draws again), written in id order.
        const nTags = tagCount(rnd.next());
        chosenTags.length = 0;
        while (chosenTags.length < nTags) {
          const t = firstTagId + Math.floor(rnd.next() * TAG_NAMES.length);
          if (!chosenTags.includes(t)) chosenTags.push(t);
        }
        chosenTags.sort((a, b) => a - b);

        // A past, discharged admission for about a quarter of all patients: any ward, any bed.
        let discharged: { id: number; ward: number; bed: string; admitted: number; discharged: number } | null = null;
        if (rnd.next() < DISCHARGED_SHARE) {
          const w = rnd.pick(wards);
          const bed = seededBedLabel(rnd.int(1, w.capacity), w.capacity);
          const admitted = anchor - rnd.int(DISCHARGED_ADMISSION_MS.min, DISCHARGED_ADMISSION_MS.max);
          const dischargedAt = admitted + rnd.int(STAY_MS.min, STAY_MS.max);
          discharged = { id: ++admissionId, ward: w.id, bed, admitted, discharged: dischargedAt };
        }

        // The open admission of an inpatient: a random ward with a free bed (the next one with
        // room, cyclically), a random free bed in it (swap-remove from the free list).
        let open: { id: number; ward: number; bed: string; admitted: number } | null = null;
        if (inpatient) {
          let wi = rnd.int(0, W - 1);
          while (wards[wi]!.freeCount === 0) wi = (wi + 1) % W;
          const w = wards[wi]!;
          const k = rnd.int(0, w.freeCount - 1);
          const bedNo = w.free[k]!;
          w.free[k] = w.free[w.freeCount - 1]!;
          w.freeCount--;
          freeBeds--;
          const admitted = anchor - rnd.int(OPEN_ADMISSION_MS.min, OPEN_ADMISSION_MS.max);
          open = { id: ++admissionId, ward: w.id, bed: seededBedLabel(bedNo, w.capacity), admitted };
        }

        // About E events (uniform 0..2E): kind, then time, within the year before the anchor.
        const nEvents = rnd.int(0, 2 * E);
        let latest = -Infinity;
        for (let e = 0; e < nEvents; e++) {
          eventKinds[e] = Math.floor(rnd.next() * EVENT_KINDS.length);
          const t = anchor - rnd.int(0, EVENT_WINDOW_MS);
          eventTimes[e] = t;
          if (t > latest) latest = t;
        }

        // Rows: the patient first (its children's batches flush it before themselves).
        if (patientIns.push(pid, h, name, inpatient ? 'INPATIENT' : 'OUTPATIENT', nEvents > 0 ? ts(latest) : null)) {
          await patientIns.flush();
        }
        for (const t of chosenTags) if (patientTagIns.push(pid, t)) await patientTagIns.flush();
        if (discharged) {
          const a = discharged;
          if (admissionIns.push(a.id, h, pid, a.ward, a.bed, ts(a.admitted), ts(a.discharged))) await admissionIns.flush();
        }
        if (open) {
          if (admissionIns.push(open.id, h, pid, open.ward, open.bed, ts(open.admitted), null)) await admissionIns.flush();
          hospitalInpatients++;
        }
        for (let e = 0; e < nEvents; e++) {
          if (eventIns.push(++eventId, h, pid, EVENT_KINDS[eventKinds[e]!]!, ts(eventTimes[e]!))) await eventIns.flush();
        }
        hospitalEvents += nEvents;
      }
      summary.admissions += hospitalInpatients;
      progress(`hospital ${h}/${H}: ${W} wards, ${TAG_NAMES.length} tags, ${P} patients (${hospitalInpatients} inpatients), ${hospitalEvents} events`);
    }
    // Parents before children (each flush also flushes its parents first).
    for (const ins of all) await ins.flush();

    if (dialect === 'postgresql') {
      // Explicit ids don't advance serial sequences: move each past the seeded rows so the
      // app's next insert gets a fresh id (or back to 1 for an empty table).
      for (const table of SERIAL_TABLES) {
        await trx.raw(
          `select setval(pg_get_serial_sequence('"${table}"', 'id'), coalesce(max("id"), 1), max("id") is not null) from "${table}"`,
        );
      }
    }

    await trx.raw('delete from wardcache_change_pause');
    await trx.raw(`insert into wardcache_change (at, entity, op) values (${dialect === 'sqlite' ? Date.now() : 'clock_timestamp()'}, '*', 't')`);

    summary.hospitals = hospitalIns.inserted;
    summary.wards = wardIns.inserted;
    summary.tags = tagIns.inserted;
    summary.patients = patientIns.inserted;
    summary.patientTags = patientTagIns.inserted;
    summary.dischargedAdmissions = admissionIns.inserted - summary.admissions;
    summary.events = eventIns.inserted;
  });

  summary.ms = Math.round(performance.now() - started);
  return summary;
}
