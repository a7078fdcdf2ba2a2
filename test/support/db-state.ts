/**
 * Raw views of a gateway's database and cache for the security and fuzz suites: every row of
 * every table (whatever tables migrations add later), the ids each hospital owns, and the cache
 * state of each hospital. Read through a fresh EntityManager, so nothing is served from an
 * identity map.
 */
import type { Orm } from '../../src/db/orm';
import type { Gateway } from '../../src/gateway';

type Row = Record<string, unknown>;

async function rowsOf(orm: Orm, sql: string, params: unknown[] = []): Promise<Row[]> {
  return orm.em.fork().getConnection().execute<Row[]>(sql, params, 'all');
}

function isPostgres(orm: Orm): boolean {
  return orm.em.getPlatform().getConfig().get('driver')?.name === 'PostgreSqlDriver';
}

async function tableNames(orm: Orm): Promise<string[]> {
  const rows = isPostgres(orm)
    ? await rowsOf(orm, `select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`)
    : await rowsOf(orm, `select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`);
  return rows.map((r) => String(r.name)).sort();
}

/** A value as comparable text (Dates and numeric strings of both drivers made uniform). */
function normalise(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/**
 * Every row of every table, as sorted JSON lines per table. Two snapshots are equal exactly
 * when no row was inserted, updated or deleted anywhere (migrations table included).
 */
export async function allRows(orm: Orm): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of await tableNames(orm)) {
    const rows = await rowsOf(orm, `select * from "${table.replace(/"/g, '""')}"`);
    out[table] = rows
      .map((row) => JSON.stringify(Object.fromEntries(Object.keys(row).sort().map((k) => [k, normalise(row[k])]))))
      .sort();
  }
  return out;
}

export type EntityType = 'Patient' | 'Ward' | 'Tag' | 'Admission' | 'ClinicalEvent';

const TABLE_OF: Record<EntityType, string> = {
  Patient: 'patient',
  Ward: 'ward',
  Tag: 'tag',
  Admission: 'admission',
  ClinicalEvent: 'clinical_event',
};

/** The ids (as GraphQL ID strings) of every row a hospital owns, per entity type. */
export async function idsOwnedBy(orm: Orm, hospitalId: number): Promise<Record<EntityType, Set<string>>> {
  const out = {} as Record<EntityType, Set<string>>;
  for (const [type, table] of Object.entries(TABLE_OF) as Array<[EntityType, string]>) {
    const rows = await rowsOf(orm, `select id from ${table} where hospital_id = ?`, [hospitalId]);
    out[type] = new Set(rows.map((r) => String(r.id)));
  }
  return out;
}

/** What a hospital's cache holds: live entries, its invalidation fence, its last warm runs. */
export async function cacheState(gateway: Gateway, hospitalId: number): Promise<{ entries: number; fence: unknown; lastRuns: unknown }> {
  const [entries, fence, lastRuns] = await Promise.all([
    gateway.cache.store.entries(hospitalId),
    gateway.cache.store.fence(hospitalId),
    gateway.ledger.lastRuns(hospitalId),
  ]);
  return { entries, fence, lastRuns };
}

/** Rows of every table plus the cache state of the given hospitals. */
export async function fullState(gateway: Gateway, hospitalIds: number[] = [1, 2]): Promise<{ rows: Record<string, string[]>; cache: unknown[] }> {
  return {
    rows: await allRows(gateway.orm),
    cache: await Promise.all(hospitalIds.map((h) => cacheState(gateway, h))),
  };
}

/**
 * Which hospital's rows a response shows, found by walking it: each field name of the contract's
 * selections tells the type of the objects below it, and an object's `id` is then looked up in
 * `foreign` (ids are unique per type across hospitals). Returns every foreign id found, as
 * `Type:id` at its path; an empty list means nothing of that hospital leaked.
 */
const TYPE_OF_FIELD: Record<string, EntityType> = {
  patient: 'Patient',
  recentPatients: 'Patient',
  registerPatient: 'Patient',
  tagPatient: 'Patient',
  untagPatient: 'Patient',
  ward: 'Ward',
  wards: 'Ward',
  tags: 'Tag',
  currentAdmission: 'Admission',
  admitPatient: 'Admission',
  transferPatient: 'Admission',
  dischargePatient: 'Admission',
  recordEvent: 'ClinicalEvent',
};

export function foreignIds(value: unknown, foreign: Record<EntityType, Set<string>>, path = '', type?: EntityType): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => foreignIds(v, foreign, `${path}[${i}]`, type));
  if (!value || typeof value !== 'object') return [];
  const obj = value as Record<string, unknown>;
  const found: string[] = [];
  if (type && 'id' in obj && foreign[type].has(String(obj.id))) found.push(`${path}: ${type}:${String(obj.id)}`);
  for (const [key, child] of Object.entries(obj)) found.push(...foreignIds(child, foreign, path ? `${path}.${key}` : key, TYPE_OF_FIELD[key]));
  return found;
}
