/**
 * The change log that captures every committed change to the tables the dashboard reads,
 * whoever made it: row triggers write one row per changed row into `wardcache_change`, in the
 * writer's own transaction (so a change is logged if and only if it commits). The gateway
 * reads the log (src/capture/) and feeds each row through the same dependency declarations
 * as the ORM's own changes (src/cache/invalidation/dependencies.ts).
 *
 * A row names the entity (GraphQL type), the operation, the row's id, its hospital, its
 * patient (admissions, events, tags), and for an update the columns that changed. Column
 * names become ORM property names in TypeScript (src/capture/feed.ts). The triggers compare the
 * columns of CAPTURED_TABLES one by one, which the capture checks against the database when it
 * starts (a column added without new triggers would go unseen).
 *
 * A gateway's own writes are logged too, marked with its cache's origin (src/capture/origin.ts):
 * its ORM subscriber has already evicted what they feed, so its capture skips them.
 *
 * While a row exists in `wardcache_change_pause` (the seed inserts one inside its own
 * transaction, invisible to every other writer), nothing is logged: a bulk load logs one
 * "everything changed" row instead.
 */

export interface CapturedTable {
  /** The GraphQL type its rows are (FEEDS' key); `Patient` for the patient_tags collection. */
  entity: string;
  /** How its rows are logged: as rows of their own, or as a change of a patient's tag collection. */
  kind: 'row' | 'patientTags' | 'hospital';
  /** Every column (SQLite's triggers compare them one by one). */
  columns: readonly string[];
}

export const CAPTURED_TABLES: Readonly<Record<string, CapturedTable>> = {
  hospital: { entity: 'Hospital', kind: 'hospital', columns: ['id', 'name'] },
  ward: { entity: 'Ward', kind: 'row', columns: ['id', 'hospital_id', 'name', 'abbreviation', 'floor', 'capacity'] },
  tag: { entity: 'Tag', kind: 'row', columns: ['id', 'hospital_id', 'name', 'color'] },
  patient: { entity: 'Patient', kind: 'row', columns: ['id', 'hospital_id', 'name', 'status', 'latest_event_at'] },
  patient_tags: { entity: 'Patient', kind: 'patientTags', columns: ['patient_id', 'tag_id'] },
  admission: {
    entity: 'Admission',
    kind: 'row',
    columns: ['id', 'hospital_id', 'patient_id', 'ward_id', 'bed', 'admitted_at', 'discharged_at'],
  },
  clinical_event: { entity: 'ClinicalEvent', kind: 'row', columns: ['id', 'hospital_id', 'patient_id', 'kind', 'occurred_at'] },
};

/** Operation codes in the log. `t`: a truncate or a bulk load: every hospital's answers go. */
export type ChangeOp = 'c' | 'u' | 'd' | 'l' | 't';

/**
 * One trigger function per table, its columns compared one by one (like SQLite's): measured
 * against one generic function that diffed the row images as JSON, and against a statement
 * trigger that NOTIFYed readers at each commit (NOTIFY takes one database-wide lock at commit,
 * so notifying commits run one at a time), this costs writers least (see README, Benchmarks).
 */
function postgresTrigger(table: string, t: CapturedTable): string[] {
  const fn = `wardcache_capture_${table}`;
  const e = `'${t.entity}'`;
  const ins = (values: string) => `insert into wardcache_change (hospital_id, entity, op, row_id, patient_id, props) values (${values});`;
  let body: string;
  if (t.kind === 'patientTags') {
    const row = (img: string) => ins(`(select p.hospital_id from patient p where p.id = ${img}.patient_id), ${e}, 'l', ${img}.patient_id, null, 'tags'`);
    body = `if TG_OP <> 'DELETE' then ${row('NEW')} end if;
      if TG_OP <> 'INSERT' then ${row('OLD')} end if;`;
  } else {
    const hosp = (img: string) => (t.kind === 'hospital' ? `${img}.id` : `${img}.hospital_id`);
    const patient = (img: string) => (t.columns.includes('patient_id') ? `${img}.patient_id` : 'null');
    const changed = [...t.columns]
      .sort()
      .map((c) => `case when OLD.${c} is distinct from NEW.${c} then '${c}' end`)
      .join(', ');
    const moved = [t.columns.includes('patient_id') ? 'OLD.patient_id is distinct from NEW.patient_id' : null, t.kind === 'row' ? 'OLD.hospital_id is distinct from NEW.hospital_id' : null]
      .filter(Boolean)
      .join(' or ');
    body = `if TG_OP = 'INSERT' then ${ins(`${hosp('NEW')}, ${e}, 'c', NEW.id, ${patient('NEW')}, null`)}
      elsif TG_OP = 'DELETE' then ${ins(`${hosp('OLD')}, ${e}, 'd', OLD.id, ${patient('OLD')}, null`)}
      else
        changed := concat_ws(',', ${changed});
        if changed = '' then return null; end if;
        ${ins(`${hosp('NEW')}, ${e}, 'u', NEW.id, ${patient('NEW')}, changed`)}
        ${moved ? `if ${moved} then ${ins(`${hosp('OLD')}, ${e}, 'u', OLD.id, ${patient('OLD')}, changed`)} end if;` : ''}
      end if;`;
  }
  return [
    // SECURITY DEFINER: a writer needs no privilege on the log (the admission system's role
    // writes patients, not wardcache_change); the search path is pinned to the migration's.
    `create function ${fn}() returns trigger language plpgsql security definer set search_path from current as $$
    declare
      changed text;
    begin
      if exists (select 1 from wardcache_change_pause) then return null; end if;
      ${body}
      return null;
    end $$`,
    `create trigger "wardcache_capture" after insert or update or delete on "${table}" for each row execute function ${fn}()`,
    `create trigger "wardcache_capture_truncate" after truncate on "${table}" for each statement execute function wardcache_capture_truncate('${t.entity}')`,
  ];
}

function postgres(): string[] {
  const out: string[] = [
    // No primary key: readers page by (txid, seq) (src/capture/log-postgres.ts), pruning finds
    // old rows by time (BRIN: rows arrive in time order, and it costs writers next to nothing).
    `create table "wardcache_change" (
      "seq" bigserial not null,
      "txid" xid8 not null default pg_current_xact_id(),
      "at" timestamptz not null default clock_timestamp(),
      "hospital_id" int null,
      "entity" text not null,
      "op" char(1) not null,
      "row_id" bigint null,
      "patient_id" bigint null,
      "props" text null,
      -- Which gateway cache wrote it, from the connection's application_name (src/capture/origin.ts).
      "origin" text null default nullif(current_setting('application_name', true), ''))`,
    `create index "wardcache_change_txid_idx" on "wardcache_change" ("txid", "seq")`,
    `create index "wardcache_change_at_idx" on "wardcache_change" using brin ("at")`,
    `create table "wardcache_change_pause" ("paused" int not null)`,
    `create table "wardcache_capture_meta" ("id" int primary key check ("id" = 1), "log_id" text not null, "pruned_below" bigint not null default 0)`,
    `insert into "wardcache_capture_meta" ("id", "log_id") values (1, gen_random_uuid()::text)`,
    `create function wardcache_capture_truncate() returns trigger language plpgsql security definer set search_path from current as $$
    begin
      insert into wardcache_change (entity, op) values (TG_ARGV[0], 't');
      return null;
    end $$`,
    // The patient's latest event follows its events, whoever records them.
    `create function wardcache_latest_event() returns trigger language plpgsql security definer set search_path from current as $$
    begin
      if exists (select 1 from wardcache_change_pause) then return null; end if;
      update patient set latest_event_at = NEW.occurred_at
        where id = NEW.patient_id and (latest_event_at is null or latest_event_at < NEW.occurred_at);
      return null;
    end $$`,
    `create trigger "wardcache_latest_event" after insert on "clinical_event" for each row execute function wardcache_latest_event()`,
  ];
  for (const [table, t] of Object.entries(CAPTURED_TABLES)) out.push(...postgresTrigger(table, t));
  return out;
}

/** SQLite's clock in epoch ms (the ORM stores dates the same way). */
const SQLITE_NOW_MS = `cast((julianday('now') - 2440587.5) * 86400000 as integer)`;
const NOT_PAUSED = `not exists (select 1 from wardcache_change_pause)`;

function sqliteTriggers(table: string, t: CapturedTable): string[] {
  const ins = (values: string, where = '') =>
    `insert into wardcache_change (at, hospital_id, entity, op, row_id, patient_id, props) select ${values}${where};`;
  const e = `'${t.entity}'`;
  if (t.kind === 'patientTags') {
    const hosp = (img: string) => `(select hospital_id from patient where id = ${img}.patient_id)`;
    const row = (img: string) => ins(`${SQLITE_NOW_MS}, ${hosp(img)}, ${e}, 'l', ${img}.patient_id, null, 'tags'`);
    return [
      `create trigger wardcache_capture_${table}_ins after insert on ${table} when ${NOT_PAUSED} begin ${row('NEW')} end`,
      `create trigger wardcache_capture_${table}_del after delete on ${table} when ${NOT_PAUSED} begin ${row('OLD')} end`,
      `create trigger wardcache_capture_${table}_upd after update on ${table} when ${NOT_PAUSED} begin ${row('NEW')} ${row('OLD')} end`,
    ];
  }
  const hosp = (img: string) => (t.kind === 'hospital' ? `${img}.id` : `${img}.hospital_id`);
  const patient = (img: string) => (t.columns.includes('patient_id') ? `${img}.patient_id` : 'null');
  const row = (img: string, op: string, props = 'null') => ins(`${SQLITE_NOW_MS}, ${hosp(img)}, ${e}, '${op}', ${img}.id, ${patient(img)}, ${props}`);
  const changed = [...t.columns]
    .sort()
    .map((c) => `case when OLD.${c} is not NEW.${c} then '${c},' else '' end`)
    .join(' || ');
  const props = `rtrim(${changed}, ',')`;
  const moved = [t.columns.includes('patient_id') ? 'OLD.patient_id is not NEW.patient_id' : null, t.kind === 'row' ? 'OLD.hospital_id is not NEW.hospital_id' : null]
    .filter(Boolean)
    .join(' or ');
  const update = [
    ins(`${SQLITE_NOW_MS}, ${hosp('NEW')}, ${e}, 'u', NEW.id, ${patient('NEW')}, ${props}`, ` where ${props} <> ''`),
    moved ? ins(`${SQLITE_NOW_MS}, ${hosp('OLD')}, ${e}, 'u', OLD.id, ${patient('OLD')}, ${props}`, ` where ${moved}`) : '',
  ].join(' ');
  return [
    `create trigger wardcache_capture_${table}_ins after insert on ${table} when ${NOT_PAUSED} begin ${row('NEW', 'c')} end`,
    `create trigger wardcache_capture_${table}_del after delete on ${table} when ${NOT_PAUSED} begin ${row('OLD', 'd')} end`,
    `create trigger wardcache_capture_${table}_upd after update on ${table} when ${NOT_PAUSED} begin ${update} end`,
  ];
}

function sqlite(): string[] {
  const out = [
    // AUTOINCREMENT: a sequence number is never reused, even after the log is pruned to empty.
    'create table `wardcache_change` (`seq` integer primary key autoincrement, `at` integer not null, `hospital_id` integer null, `entity` text not null, `op` text not null, `row_id` integer null, `patient_id` integer null, `props` text null, `origin` text null)',
    'create index `wardcache_change_at_idx` on `wardcache_change` (`at`)',
    'create table `wardcache_change_pause` (`paused` integer not null)',
    'create table `wardcache_capture_meta` (`id` integer primary key check (`id` = 1), `log_id` text not null, `pruned_below` integer not null default 0)',
    "insert into `wardcache_capture_meta` (`id`, `log_id`) values (1, lower(hex(randomblob(16))))",
    `create trigger wardcache_latest_event after insert on clinical_event when ${NOT_PAUSED} begin update patient set latest_event_at = NEW.occurred_at where id = NEW.patient_id and (latest_event_at is null or latest_event_at < NEW.occurred_at); end`,
  ];
  for (const [table, t] of Object.entries(CAPTURED_TABLES)) out.push(...sqliteTriggers(table, t));
  return out;
}

/** The change log's tables and triggers (run by the migration that introduced them). */
export function changeLogDdl(dialect: 'postgresql' | 'sqlite'): string[] {
  return dialect === 'postgresql' ? postgres() : sqlite();
}
