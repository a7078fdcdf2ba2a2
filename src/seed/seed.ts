/**
 * Fills the database with a deterministic demo/benchmark data set.
 *
 * NOTE: the seed bypasses MikroORM's unit of work and identity map (and any response cache in
 * front of the database): rows are written with multi-row INSERTs straight through knex, in one
 * transaction. Whoever runs it against a live gateway must flush the gateway's caches
 * afterwards, or clients keep seeing the old rows.
 *
 * Same arguments => same rows, byte for byte: every random choice comes from `Random` (seeded
 * mulberry32), ids are assigned explicitly, and `now` is a fixed instant unless given.
 */
import type { MikroORM } from '@mikro-orm/core';
import { BaseSqlitePlatform, type EntityManager as SqlEntityManager, type Knex } from '@mikro-orm/knex';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { FIRST_NAMES, HOSPITAL_NAMES, LAST_NAMES, TAG_NAMES, WARD_NAMES } from './names';
import { Random, mixSeed } from './random';

export interface SeedOptions {
  /** Number of hospitals; they get ids 1..hospitals. */
  hospitals: number;
  /** Wards per hospital. */
  wards: number;
  /** Patients per hospital. */
  patients: number;
  /** Mean clinical events per patient (each patient gets 0..2×events). */
  events: number;
  seed: number;
  /** Reference instant for every generated time; defaults to DEFAULT_SEED_NOW. */
  now?: Date;
}

export interface SeedSummary {
  hospitals: number;
  wards: number;
  tags: number;
  patients: number;
  admissions: number;
  events: number;
  ms: number;
}

/** Fixed default for `now`, so two runs with the same arguments write identical rows. */
export const DEFAULT_SEED_NOW = new Date('2026-11-01T08:00:00.000Z');

export const EVENT_KINDS = ['note', 'vitals', 'lab', 'medication', 'imaging'] as const;
/** Relative frequency of each entry of EVENT_KINDS. */
const EVENT_KIND_WEIGHTS = [25, 40, 15, 15, 5];

export const MIN_BEDS = 20;
export const MAX_BEDS = 40;
/** Share of each ward's beds taken by open admissions (when there are enough patients). */
export const OCCUPANCY = 0.85;
export const TAGS_PER_HOSPITAL = 8;
const TAGGED_SHARE = 0.3;
/** Of the tagged patients, the share that get a second tag. */
const SECOND_TAG_SHARE = 0.35;
/** Patients per hospital forced to have no events at all. */
export const PATIENTS_WITHOUT_EVENTS = 2;

const SECOND = 1000;
export const EVENT_WINDOW_MS = 30 * 86_400 * SECOND;
export const ADMISSION_WINDOW_MS = 14 * 86_400 * SECOND;

/** Child tables first, so the foreign keys never see an orphan. */
const TABLES_CHILD_FIRST = ['clinical_event', 'admission', 'patient_tags', 'patient', 'tag', 'ward', 'hospital'];
const SERIAL_TABLES = ['hospital', 'ward', 'tag', 'patient', 'admission', 'clinical_event'];

/** Independent random streams, so e.g. changing --events does not change patient names. */
const Stream = {
  HospitalNames: 1,
  Wards: 2,
  Tags: 3,
  Patients: 4,
  Admissions: 5,
  PatientTags: 6,
  Events: 7,
} as const;

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

  async flush(): Promise<void> {
    if (this.rows === 0) return;
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
  if (!Number.isSafeInteger(opts.events) || opts.events < 0) {
    throw new RangeError(`seed: events must be a non-negative integer, got ${opts.events}`);
  }
  if (!Number.isSafeInteger(opts.seed)) throw new RangeError(`seed: seed must be an integer, got ${opts.seed}`);
  if (opts.now && Number.isNaN(opts.now.getTime())) throw new RangeError('seed: now is an invalid date');
}

function dialectOf(orm: MikroORM): Dialect {
  const platform = orm.em.getPlatform();
  if (platform instanceof BaseSqlitePlatform) return 'sqlite';
  if (platform instanceof PostgreSqlPlatform) return 'postgresql';
  throw new Error(`seed: unsupported database platform ${platform.constructor.name}`);
}

/** Open admissions per ward: round(85%) of each ward, scaled down when patients run short. */
export function admissionsPerWard(capacities: readonly number[], patients: number): number[] {
  const targets = capacities.map((c) => Math.min(c, Math.round(c * OCCUPANCY)));
  const total = targets.reduce((a, b) => a + b, 0);
  if (patients >= total) return targets;
  // Not enough patients: admit all of them, spread proportionally (largest remainder method),
  // so no ward gets more than its target.
  const exact = targets.map((t) => (t * patients) / total);
  const alloc = exact.map((x) => Math.floor(x));
  let left = patients - alloc.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    alloc[i] = (alloc[i] as number) + 1;
    left--;
  }
  return alloc;
}

/** "Bed 201A": floor, two-digit room, A/B (two beds per room). `index` is 0-based. */
export function bedLabel(floor: number, index: number): string {
  const room = Math.floor(index / 2) + 1;
  return `Bed ${floor}${String(room).padStart(2, '0')}${index % 2 === 0 ? 'A' : 'B'}`;
}

/** "Cardiology", then "Cardiology 2" once the list has been used up. */
function suffixed(base: string, cycle: number, sep: string): string {
  return cycle === 0 ? base : `${base}${sep}${cycle + 1}`;
}

/**
 * Generates one patient's events into shared buffers (sorted by time) and returns how many.
 * Each patient has its own random stream, so the events can be generated once to find
 * latest_event_at (written with the patient row) and again when the events themselves are
 * written, without holding a million events in memory.
 */
class EventGenerator {
  readonly times: Float64Array;
  readonly kinds: Uint8Array;

  constructor(
    private readonly seed: number,
    private readonly mean: number,
    private readonly nowMs: number,
  ) {
    this.times = new Float64Array(2 * mean + 1);
    this.kinds = new Uint8Array(2 * mean + 1);
  }

  generate(patientId: number, forceNone: boolean): number {
    if (forceNone || this.mean === 0) return 0;
    const rng = new Random(mixSeed(this.seed, Stream.Events, patientId));
    // Uniform in 0..2×mean: mean events per patient, some patients with none.
    const count = rng.int(0, 2 * this.mean);
    for (let i = 0; i < count; i++) this.times[i] = this.nowMs - rng.int(1, EVENT_WINDOW_MS / SECOND) * SECOND;
    this.times.subarray(0, count).sort();
    for (let i = 0; i < count; i++) this.kinds[i] = rng.weightedIndex(EVENT_KIND_WEIGHTS);
    return count;
  }
}

interface PlannedAdmission {
  ward: number;
  bedIndex: number;
  patient: number;
  admittedAt: number;
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
  const nowMs = (opts.now ?? DEFAULT_SEED_NOW).getTime();
  // SQLite: MikroORM stores datetimes as integer milliseconds. PostgreSQL: timestamptz.
  const ts: (ms: number) => Knex.Value = dialect === 'sqlite' ? (ms) => ms : (ms) => new Date(ms);
  const { hospitals: H, wards: W, patients: P, seed } = opts;
  const summary: SeedSummary = { hospitals: 0, wards: 0, tags: 0, patients: 0, admissions: 0, events: 0, ms: 0 };
  const progress = (msg: string): void => onProgress?.(msg);

  await knex.transaction(async (trx) => {
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

    const inserter = (table: string, columns: readonly string[]): BatchInserter =>
      new BatchInserter(trx, table, columns, dialect, prepare);
    const hospitalIns = inserter('hospital', ['id', 'name']);
    const hospitalNames = new Random(mixSeed(seed, Stream.HospitalNames)).shuffled(HOSPITAL_NAMES);
    for (let h = 0; h < H; h++) {
      const base = hospitalNames[h % hospitalNames.length] as string;
      if (hospitalIns.push(h + 1, suffixed(base, Math.floor(h / hospitalNames.length), ' '))) await hospitalIns.flush();
    }
    await hospitalIns.flush();

    const wardIns = inserter('ward', ['id', 'hospital_id', 'name', 'abbreviation', 'floor', 'capacity']);
    const tagIns = inserter('tag', ['id', 'hospital_id', 'name', 'color']);
    const patientIns = inserter('patient', ['id', 'hospital_id', 'name', 'status', 'latest_event_at']);
    const patientTagIns = inserter('patient_tags', ['patient_id', 'tag_id']);
    const admissionIns = inserter('admission', ['id', 'hospital_id', 'patient_id', 'ward_id', 'bed', 'admitted_at', 'discharged_at']);
    const eventIns = inserter('clinical_event', ['id', 'hospital_id', 'patient_id', 'kind', 'occurred_at']);
    const events = new EventGenerator(seed, opts.events, nowMs);

    // Ids are explicit and count across hospitals: wards and patients by formula, the rest by
    // running counters (their number per hospital varies).
    let nextTagId = 1;
    let nextAdmissionId = 1;
    let nextEventId = 1;
    const floors = Math.min(9, Math.max(1, Math.ceil(W / 2)));

    for (let h = 0; h < H; h++) {
      const hospitalId = h + 1;
      const firstWardId = h * W + 1;
      const firstPatientId = h * P + 1;

      // Wards: a floor each, 20..40 beds.
      const wardRng = new Random(mixSeed(seed, Stream.Wards, hospitalId));
      const wardNames = wardRng.shuffled(WARD_NAMES);
      const capacities: number[] = [];
      const wardFloors: number[] = [];
      for (let w = 0; w < W; w++) {
        const base = wardNames[w % wardNames.length]!;
        const cycle = Math.floor(w / wardNames.length);
        const floor = wardRng.int(1, floors);
        const capacity = wardRng.int(MIN_BEDS, MAX_BEDS);
        capacities.push(capacity);
        wardFloors.push(floor);
        const name = suffixed(base.name, cycle, ' ');
        if (wardIns.push(firstWardId + w, hospitalId, name, suffixed(base.abbreviation, cycle, ''), floor, capacity)) {
          await wardIns.flush();
        }
      }
      await wardIns.flush();

      // Tags.
      const tagRng = new Random(mixSeed(seed, Stream.Tags, hospitalId));
      const tags = tagRng.shuffled(TAG_NAMES).slice(0, TAGS_PER_HOSPITAL);
      const tagIds: number[] = [];
      for (const tag of tags) {
        tagIds.push(nextTagId);
        if (tagIns.push(nextTagId++, hospitalId, tag.name, tag.color)) await tagIns.flush();
      }
      await tagIns.flush();

      // Who is admitted to which bed (decided first: the patient rows carry the status).
      const admRng = new Random(mixSeed(seed, Stream.Admissions, hospitalId));
      const perWard = admissionsPerWard(capacities, P);
      const order = new Int32Array(P);
      for (let i = 0; i < P; i++) order[i] = i;
      admRng.shuffleInPlace(order);
      const inpatient = new Uint8Array(P);
      const admissions: PlannedAdmission[] = [];
      let taken = 0;
      for (let w = 0; w < W; w++) {
        const beds = new Int32Array(capacities[w]!);
        for (let b = 0; b < beds.length; b++) beds[b] = b;
        admRng.shuffleInPlace(beds);
        const wardAdmissions: PlannedAdmission[] = [];
        for (let k = 0; k < perWard[w]!; k++) {
          const patient = order[taken++]!;
          inpatient[patient] = 1;
          const admittedAt = nowMs - admRng.int(60, ADMISSION_WINDOW_MS / SECOND) * SECOND;
          wardAdmissions.push({ ward: w, bedIndex: beds[k]!, patient, admittedAt });
        }
        wardAdmissions.sort((a, b) => a.bedIndex - b.bedIndex);
        admissions.push(...wardAdmissions);
      }

      // Patients, with latest_event_at from a first pass over their events; and their tags.
      const patientRng = new Random(mixSeed(seed, Stream.Patients, hospitalId));
      const withoutEvents = new Set<number>();
      while (withoutEvents.size < Math.min(PATIENTS_WITHOUT_EVENTS, P)) withoutEvents.add(patientRng.int(0, P - 1));
      const tagPickRng = new Random(mixSeed(seed, Stream.PatientTags, hospitalId));
      // (patient_id, tag_id) pairs, written once every patient row of the hospital is in.
      const pivot: number[] = [];
      for (let i = 0; i < P; i++) {
        const patientId = firstPatientId + i;
        const name = `${patientRng.pick(FIRST_NAMES)} ${patientRng.pick(LAST_NAMES)}`;
        const count = events.generate(patientId, withoutEvents.has(i));
        const latest = count > 0 ? ts(events.times[count - 1]!) : null;
        if (patientIns.push(patientId, hospitalId, name, inpatient[i] ? 'INPATIENT' : 'OUTPATIENT', latest)) {
          await patientIns.flush();
        }
        if (tagPickRng.chance(TAGGED_SHARE)) {
          const first = tagPickRng.int(0, tagIds.length - 1);
          const chosen = [tagIds[first]!];
          if (tagIds.length > 1 && tagPickRng.chance(SECOND_TAG_SHARE)) {
            chosen.push(tagIds[(first + tagPickRng.int(1, tagIds.length - 1)) % tagIds.length]!);
          }
          chosen.sort((a, b) => a - b);
          for (const tagId of chosen) pivot.push(patientId, tagId);
        }
      }
      await patientIns.flush();
      for (let k = 0; k < pivot.length; k += 2) {
        if (patientTagIns.push(pivot[k]!, pivot[k + 1]!)) await patientTagIns.flush();
      }
      await patientTagIns.flush();
      progress(`hospital ${hospitalId}/${H}: ${W} wards, ${tags.length} tags, ${P} patients`);

      // Open admissions.
      for (const a of admissions) {
        const full = admissionIns.push(
          nextAdmissionId++,
          hospitalId,
          firstPatientId + a.patient,
          firstWardId + a.ward,
          bedLabel(wardFloors[a.ward]!, a.bedIndex),
          ts(a.admittedAt),
          null,
        );
        if (full) await admissionIns.flush();
      }
      await admissionIns.flush();

      // Events, second pass: the same per-patient streams give the same events as above.
      let hospitalEvents = 0;
      for (let i = 0; i < P; i++) {
        const patientId = firstPatientId + i;
        const count = events.generate(patientId, withoutEvents.has(i));
        for (let k = 0; k < count; k++) {
          const kind = EVENT_KINDS[events.kinds[k]!]!;
          if (eventIns.push(nextEventId++, hospitalId, patientId, kind, ts(events.times[k]!))) await eventIns.flush();
        }
        hospitalEvents += count;
      }
      await eventIns.flush();
      progress(`hospital ${hospitalId}/${H}: ${admissions.length} open admissions, ${hospitalEvents} events`);
    }

    if (dialect === 'postgresql') {
      // Explicit ids don't advance serial sequences: move each past the seeded rows so the
      // app's next insert gets a fresh id (or back to 1 for an empty table).
      for (const table of SERIAL_TABLES) {
        await trx.raw(
          `select setval(pg_get_serial_sequence('"${table}"', 'id'), coalesce(max("id"), 1), max("id") is not null) from "${table}"`,
        );
      }
    }

    summary.hospitals = hospitalIns.inserted;
    summary.wards = wardIns.inserted;
    summary.tags = tagIns.inserted;
    summary.patients = patientIns.inserted;
    summary.admissions = admissionIns.inserted;
    summary.events = eventIns.inserted;
  });

  summary.ms = Math.round(performance.now() - started);
  return summary;
}
