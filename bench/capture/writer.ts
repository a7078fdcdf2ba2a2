/**
 * The external writer: a plain SQL client (`pg`, or `better-sqlite3` for SQLite), not the gateway,
 * committing a steady stream of small transactions to hospital 1, as an admission system would:
 * rename a patient, record a clinical event, tag or untag a patient, move an open admission's bed.
 * It is the only writer, so it knows what each commit changes a reader should see: each commit
 * registers the values it makes visible with the freshness checker (freshness.ts), first as
 * pending (before COMMIT is sent), then with the time COMMIT returned.
 */
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { Random } from '../../src/seed/random';
import type { Freshness } from './freshness';

export type Db = { kind: 'postgresql'; url: string } | { kind: 'sqlite'; path: string };

export interface SqlClient {
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Statements in one transaction; resolves when COMMIT has returned. */
  transaction(statements: Array<[string, unknown[]]>): Promise<void>;
  /** A timestamp as the gateway's schema stores it (epoch ms on SQLite). */
  time(date: Date): unknown;
  close(): Promise<void>;
}

export async function sqlClient(db: Db): Promise<SqlClient> {
  if (db.kind === 'sqlite') {
    const conn = new Database(db.path);
    conn.pragma('busy_timeout = 10000');
    return {
      rows: async <T>(sql: string, params: unknown[] = []) => conn.prepare(sql).all(...params) as T[],
      async transaction(statements) {
        conn.transaction(() => statements.forEach(([sql, params]) => conn.prepare(sql).run(...params))).immediate();
      },
      time: (d) => d.getTime(),
      close: async () => void conn.close(),
    };
  }
  const client = new Client({ connectionString: db.url, application_name: 'capture-bench-writer' });
  await client.connect();
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    rows: async <T>(sql: string, params: unknown[] = []) => (await client.query(numbered(sql), params)).rows as T[],
    async transaction(statements) {
      await client.query('begin');
      try {
        for (const [sql, params] of statements) await client.query(numbered(sql), params);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      }
    },
    time: (d) => d.toISOString(),
    close: () => client.end(),
  };
}

export interface PatientState {
  name: string;
  admissionId: number | null;
  bed: string | null;
  tags: Set<number>;
  latestEventAt: number | null;
}

export interface World {
  patients: Map<number, PatientState>;
  inpatients: number[];
  tags: number[];
  /** Rename targets, in turn: half inpatients (they show in WardMapping), half not. */
  hot: number[];
}

const ms = (v: unknown): number | null => (v == null ? null : v instanceof Date ? v.getTime() : Number(v));
export const tagsValue = (tags: Iterable<number | string>) => [...tags].map(Number).sort((a, b) => a - b).join(',');

/** Hospital 1 as the database holds it now. */
export async function loadWorld(client: SqlClient, hotSize = 30): Promise<World> {
  const patients = new Map<number, PatientState>();
  for (const r of await client.rows<{ id: number; name: string; latest_event_at: unknown }>('select id, name, latest_event_at from patient where hospital_id = 1 order by id'))
    patients.set(Number(r.id), { name: r.name, admissionId: null, bed: null, tags: new Set(), latestEventAt: ms(r.latest_event_at) });
  for (const r of await client.rows<{ id: number; patient_id: number; bed: string }>('select id, patient_id, bed from admission where hospital_id = 1 and discharged_at is null')) {
    const p = patients.get(Number(r.patient_id));
    if (p) Object.assign(p, { admissionId: Number(r.id), bed: r.bed });
  }
  for (const r of await client.rows<{ patient_id: number; tag_id: number }>('select pt.patient_id, pt.tag_id from patient_tags pt join patient p on p.id = pt.patient_id where p.hospital_id = 1'))
    patients.get(Number(r.patient_id))?.tags.add(Number(r.tag_id));
  const tags = (await client.rows<{ id: number }>('select id from tag where hospital_id = 1 order by id')).map((r) => Number(r.id));
  const ids = [...patients.keys()];
  const inpatients = ids.filter((id) => patients.get(id)?.admissionId != null);
  const outpatients = ids.filter((id) => patients.get(id)?.admissionId == null);
  const spread = (list: number[], n: number) => Array.from({ length: Math.min(n, list.length) }, (_, i) => list[Math.floor((i * list.length) / n)]);
  const [ins, outs] = [spread(inpatients, Math.ceil(hotSize / 2)), spread(outpatients, Math.floor(hotSize / 2))];
  const hot = ins.flatMap((id, i) => (outs[i] === undefined ? [id] : [id, outs[i]]));
  return { patients, inpatients, tags, hot };
}

export type Kind = 'rename' | 'event' | 'tag' | 'bed';
const MIX: Array<[Kind, number]> = [['rename', 0.25], ['event', 0.35], ['tag', 0.2], ['bed', 0.2]];

/** The kinds of the commits, in order (seeded), and each rename's target. */
export function plan(world: World, commits: number, seed = 7): Array<{ kind: Kind; target: number | null }> {
  const rng = new Random(seed);
  let renames = 0;
  return Array.from({ length: commits }, () => {
    let x = rng.next();
    const kind = MIX.find(([, w]) => (x -= w) < 0)?.[0] ?? 'event';
    return { kind, target: kind === 'rename' ? world.hot[renames++ % world.hot.length] : null };
  });
}

export interface Committed {
  kind: Kind;
  patientId: number;
  /** Date.now() when COMMIT returned. */
  at: number;
  /** What a fresh Patient(id) shows (renames: the new name). */
  name: string;
}

export interface WriterStats {
  commits: number;
  byKind: Record<Kind, number>;
  failed: number;
  errors: string[];
  /** Commit round trips (ms). */
  commitMs: number[];
  /** Commits sent more than 100 ms after their slot (the writer fell behind). */
  late: number;
  seconds: number;
}

/** Commits `steps` at `perSecond`, on a fixed schedule (a late commit does not shift the rest). */
export async function runWriter(
  client: SqlClient,
  world: World,
  steps: Array<{ kind: Kind; target: number | null }>,
  perSecond: number,
  fresh: Freshness,
  onCommit: (c: Committed) => void,
  startAt = Date.now(),
): Promise<WriterStats> {
  const rng = new Random(11);
  const stats: WriterStats = { commits: 0, byKind: { rename: 0, event: 0, tag: 0, bed: 0 }, failed: 0, errors: [], commitMs: [], late: 0, seconds: 0 };
  const ids = [...world.patients.keys()];
  for (let i = 0; i < steps.length; i++) {
    const due = startAt + (i * 1000) / perSecond;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    else if (Date.now() - due > 100) stats.late++;
    const { kind, target } = steps[i];
    const seq = i + 1;
    let patientId: number;
    let statements: Array<[string, unknown[]]>;
    const changes: Array<[string, string]> = [];
    if (kind === 'rename') {
      patientId = target ?? rng.pick(ids);
      const name = `Capture Bench ${seq}`;
      statements = [['update patient set name = ? where id = ?', [name, patientId]]];
      changes.push(['name', name]);
    } else if (kind === 'event') {
      patientId = rng.pick(ids);
      const when = new Date();
      statements = [["insert into clinical_event (hospital_id, patient_id, kind, occurred_at) values (1, ?, 'vitals', ?)", [patientId, client.time(when)]]];
      const prev = world.patients.get(patientId)?.latestEventAt ?? null;
      if (prev === null || prev < when.getTime()) changes.push(['event', String(when.getTime())]);
    } else if (kind === 'tag') {
      patientId = rng.pick(world.inpatients);
      const tag = rng.pick(world.tags);
      const has = world.patients.get(patientId)?.tags.has(tag) ?? false;
      statements = [[has ? 'delete from patient_tags where patient_id = ? and tag_id = ?' : 'insert into patient_tags (patient_id, tag_id) values (?, ?)', [patientId, tag]]];
      const next = new Set(world.patients.get(patientId)?.tags);
      if (has) next.delete(tag);
      else next.add(tag);
      changes.push(['tags', tagsValue(next)]);
    } else {
      patientId = rng.pick(world.inpatients);
      const bed = `M${seq}`;
      statements = [['update admission set bed = ? where id = ?', [bed, world.patients.get(patientId)?.admissionId]]];
      changes.push(['bed', bed]);
    }
    const pending = changes.map(([field, value]) => fresh.pending(`${patientId}:${field}`, value));
    const t0 = performance.now();
    try {
      await client.transaction(statements);
    } catch (err) {
      stats.failed++;
      if (stats.errors.length < 5) stats.errors.push(`${kind}: ${err instanceof Error ? err.message : String(err)}`);
      pending.forEach((p) => fresh.abandon(p));
      continue;
    }
    const at = Date.now();
    pending.forEach((p) => fresh.committed(p, at));
    stats.commitMs.push(performance.now() - t0);
    stats.commits++;
    stats.byKind[kind]++;
    const p = world.patients.get(patientId);
    if (p) {
      for (const [field, value] of changes) {
        if (field === 'name') p.name = value;
        else if (field === 'bed') p.bed = value;
        else if (field === 'event') p.latestEventAt = Number(value);
        else p.tags = new Set(value ? value.split(',').map(Number) : []);
      }
      onCommit({ kind, patientId, at, name: p.name });
    }
  }
  stats.seconds = (Date.now() - startAt) / 1000;
  return stats;
}
