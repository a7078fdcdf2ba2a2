/**
 * What the capture triggers cost the writers on SQLite: the same write transaction as the
 * pgbench script (rename a patient, record a clinical event, move the patient's bed) through
 * better-sqlite3, one connection (SQLite has one writer at a time), with the gateway's pragmas
 * (WAL, synchronous=NORMAL, foreign keys on), on a file migrated and seeded by the gateway's ORM
 * and on a copy of it with the capture triggers dropped; slices alternate between the two.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SeedOptions } from '../../src/seed/seed';
import { prepareDatabase } from '../lib/seed';

export interface SqliteRun {
  variant: 'plain' | 'capture';
  round: number;
  tps: number;
  transactions: number;
}

export interface SqliteCost {
  runs: SqliteRun[];
  logRowsPerTx: number;
  sqliteVersion: string;
}

const PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL', 'foreign_keys = ON', 'busy_timeout = 5000'];

function open(path: string): Database.Database {
  const db = new Database(path);
  for (const p of PRAGMAS) db.pragma(p);
  return db;
}

/** Runs the transaction for `seconds` on one file; returns transactions/s. */
function slice(path: string, seconds: number, targets: number, seedBase: number): { tps: number; transactions: number } {
  const db = open(path);
  try {
    const pick = db.prepare('select patient_id as p, admission_id as a, hospital_id as h from bench_target where n = ?');
    const rename = db.prepare('update patient set name = ? where id = ?');
    const event = db.prepare("insert into clinical_event (hospital_id, patient_id, kind, occurred_at) values (?, ?, 'vitals', ?)");
    const move = db.prepare('update admission set bed = ? where id = ?');
    let x = seedBase;
    const tx = db.transaction(() => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const r = x % 1_000_000_000;
      const t = pick.get(1 + (x % targets)) as { p: number; a: number; h: number };
      rename.run(`Bench ${r}`, t.p);
      event.run(t.h, t.p, Date.now());
      move.run(`B${t.a}-${r}`, t.a);
    });
    const started = performance.now();
    const until = started + seconds * 1000;
    let n = 0;
    while (performance.now() < until) {
      for (let i = 0; i < 50; i++) tx.immediate();
      n += 50;
    }
    return { tps: n / ((performance.now() - started) / 1000), transactions: n };
  } finally {
    db.close();
  }
}

export async function measureSqliteCost(opts: { seconds: number; rounds: number; seed: SeedOptions; log: (line: string) => void }): Promise<SqliteCost> {
  const dir = mkdtempSync(join(tmpdir(), 'wardcache-capbench-sqlite-'));
  try {
    const capture = join(dir, 'capture.sqlite');
    const plain = join(dir, 'plain.sqlite');
    opts.log(`  SQLite: migrating and seeding ${JSON.stringify(opts.seed)}…`);
    await prepareDatabase(capture, opts.seed);
    let db = open(capture);
    db.exec('create table bench_target as select row_number() over (order by id) as n, id as admission_id, patient_id, hospital_id from admission where discharged_at is null');
    db.exec('create unique index bench_target_n on bench_target (n)');
    const targets = Number((db.prepare('select count(*) as n from bench_target').get() as { n: number }).n);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const sqliteVersion = String((db.prepare('select sqlite_version() as v').get() as { v: string }).v);
    db.close();
    copyFileSync(capture, plain);
    db = open(plain);
    const triggers = db.prepare("select name from sqlite_master where type = 'trigger' and name like 'wardcache_capture_%'").all() as Array<{ name: string }>;
    for (const t of triggers) db.exec(`drop trigger ${t.name}`);
    db.close();

    const logRows = (path: string) => {
      const c = new Database(path, { readonly: true });
      try {
        return Number((c.prepare('select count(*) as n from wardcache_change').get() as { n: number }).n);
      } finally {
        c.close();
      }
    };
    const files = { plain, capture };
    for (const v of ['plain', 'capture'] as const) slice(files[v], 1, targets, 1); // warm-up
    const before = logRows(capture);
    const runs: SqliteRun[] = [];
    for (let round = 1; round <= opts.rounds; round++) {
      for (const variant of ['plain', 'capture'] as const) {
        const r = slice(files[variant], opts.seconds, targets, round * 7919);
        runs.push({ variant, round, ...r });
        opts.log(`  SQLite round ${round} ${variant}: ${r.tps.toFixed(0)} tx/s`);
      }
    }
    const captureTx = runs.filter((r) => r.variant === 'capture').reduce((a, r) => a + r.transactions, 0);
    return { runs, logRowsPerTx: (logRows(capture) - before) / captureTx, sqliteVersion };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
