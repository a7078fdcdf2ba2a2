/**
 * What the capture triggers cost the writers on PostgreSQL, against no capture and against
 * logical decoding. pgbench runs an admission system's write transaction (rename a patient,
 * record a clinical event, move the patient's bed) on a private cluster, migrated and seeded by
 * the gateway's ORM, in three variants, interleaved round by round:
 *
 *   (a) `plain`    the capture triggers dropped (wal_level=replica)
 *   (b) `capture`  the schema as migrated: capture triggers and the log insert (replica)
 *   (c) `logical`  (a)'s rows on a copy of the cluster with wal_level=logical, a publication of
 *                  the captured tables and a pgoutput slot, consumed live by pg_recvlogical
 *   (d) `invoker`  diagnosis, with `diagnose`: (b) with its trigger functions SECURITY INVOKER and
 *                  no pinned search_path, to tell what SECURITY DEFINER's per-call setup costs
 *
 * `wardcache_latest_event` (a patient's latest event, kept by the database) is schema, not
 * capture, and stays in all three.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { CAPTURED_TABLES } from '../../src/capture';
import { initORM, migrate } from '../../src/db/orm';
import { seedDatabase, type SeedOptions } from '../../src/seed/seed';
import { spawnProcess, type ManagedProcess } from '../../test/support/processes';
import { Cluster, postgresBin } from './cluster';

const run = promisify(execFile);

export type Variant = 'plain' | 'capture' | 'logical' | 'invoker';

export interface PgbenchRun {
  variant: Variant;
  round: number;
  tps: number;
  transactions: number;
  failed: number;
  latencyMs: number;
  /** WAL written per transaction (bytes). */
  walPerTx: number;
  /** Anything pgbench said went wrong (aborted clients, errors). */
  problem: string | null;
}

export interface PgCost {
  runs: PgbenchRun[];
  /** Change-log rows per transaction in (b). */
  logRowsPerTx: number;
  /** pg_recvlogical: bytes it wrote, and WAL not yet confirmed by it when the runs ended. */
  decodedBytes: number;
  slotBehindBytes: number;
  pgbench: string;
}

export interface PgCostSettings {
  clients: number;
  threads: number;
  seconds: number;
  rounds: number;
  /** Also run (d). */
  diagnose: boolean;
  seed: SeedOptions;
  log: (line: string) => void;
}

/** One transaction of the admission system. */
const SCRIPT = `\\set k random(1, :ntargets)
\\set r random(1, 1000000000)
begin;
select patient_id as p, admission_id as a, hospital_id as h from bench_target where n = :k \\gset
update patient set name = 'Bench ' || :r where id = :p;
insert into clinical_event (hospital_id, patient_id, kind, occurred_at) values (:h, :p, 'vitals', now());
update admission set bed = 'B' || :a || '-' || :r where id = :a;
commit;
`;

async function sql<T = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

const walLsn = async (c: Cluster) => Number((await sql<{ b: string }>(c.url(), "select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as b"))[0].b);

async function pgbench(c: Cluster, db: string, script: string, s: PgCostSettings, seconds: number, targets: number): Promise<Omit<PgbenchRun, 'variant' | 'round' | 'walPerTx'>> {
  const args = ['-h', '127.0.0.1', '-p', String(c.port), '-U', 'postgres', '-n', '-M', 'prepared', '-c', String(s.clients), '-j', String(s.threads), '-T', String(seconds), '-f', script, '-D', `ntargets=${targets}`, db];
  let out = '';
  let problem: string | null = null;
  try {
    const r = await run(join(postgresBin(), 'pgbench'), args, { maxBuffer: 64 * 1024 * 1024 });
    out = r.stdout + r.stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    problem = e.message.split('\n')[0];
  }
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const aborted = /client \d+ aborted[^\n]*/.exec(out)?.[0];
  if (aborted) problem = `${problem ? `${problem}; ` : ''}${aborted}`;
  return {
    tps: num(/tps = ([\d.]+) \(without initial connection time\)/),
    transactions: num(/number of transactions actually processed: (\d+)/),
    failed: num(/number of failed transactions: (\d+)/) || 0,
    latencyMs: num(/latency average = ([\d.]+) ms/),
    problem,
  };
}

/** Creates the clusters and databases, runs the rounds, removes everything. */
export async function measurePgCost(s: PgCostSettings): Promise<PgCost> {
  const replica = await Cluster.create();
  let logical: Cluster | null = null;
  let recv: ManagedProcess | null = null;
  const scripts = mkdtempSync(join(tmpdir(), 'wardcache-capbench-pgbench-'));
  try {
    replica.start({ wal_level: 'replica' });
    s.log(`  private cluster on port ${replica.port}: migrating and seeding ${JSON.stringify(s.seed)}…`);
    await sql(replica.url(), 'create database capture');
    const orm = await initORM({ kind: 'postgresql', url: replica.url('capture') }, { logger: () => undefined });
    try {
      await migrate(orm);
      await seedDatabase(orm, s.seed);
    } finally {
      await orm.close(true);
    }
    await sql(replica.url('capture'), 'create table bench_target as select (row_number() over (order by id))::int as n, id as admission_id, patient_id, hospital_id from admission where discharged_at is null');
    await sql(replica.url('capture'), 'alter table bench_target add primary key (n)');
    await sql(replica.url('capture'), 'vacuum analyze');
    await sql(replica.url(), 'create database plain template capture');
    const drops = Object.keys(CAPTURED_TABLES).flatMap((t) => [`drop trigger wardcache_capture on "${t}"`, `drop trigger wardcache_capture_truncate on "${t}"`]);
    await sql(replica.url('plain'), drops.join('; '));
    if (s.diagnose) {
      await sql(replica.url(), 'create database invoker template capture');
      await sql(replica.url('invoker'), Object.keys(CAPTURED_TABLES).map((t) => `alter function wardcache_capture_${t}() security invoker reset search_path`).join('; '));
    }
    const targets = Number((await sql<{ n: string }>(replica.url('capture'), 'select count(*)::text as n from bench_target'))[0].n);

    replica.stop();
    logical = await replica.copy();
    replica.start({ wal_level: 'replica' });
    logical.start({ wal_level: 'logical' });
    const l = logical;
    await sql(l.url('plain'), `create publication wardcache_bench for table ${Object.keys(CAPTURED_TABLES).join(', ')}`);
    await sql(l.url('plain'), "select pg_create_logical_replication_slot('wardcache_bench', 'pgoutput')");
    const decoded = join(scripts, 'decoded.out');
    recv = spawnProcess('pg_recvlogical', join(postgresBin(), 'pg_recvlogical'), [
      '-h', '127.0.0.1', '-p', String(l.port), '-U', 'postgres', '-d', 'plain', '--slot', 'wardcache_bench', '--start',
      '-o', 'proto_version=1', '-o', 'publication_names=wardcache_bench', '-f', decoded, '-F', '0', '-s', '1',
    ]);
    await waitFor(async () => (await sql<{ active: boolean }>(l.url(), "select active from pg_replication_slots where slot_name = 'wardcache_bench'"))[0]?.active === true, 10_000, () => recv?.output() ?? '');

    const script = join(scripts, 'admission.sql');
    writeFileSync(script, SCRIPT);
    const where: Record<Variant, [Cluster, string]> = { plain: [replica, 'plain'], capture: [replica, 'capture'], logical: [l, 'plain'], invoker: [replica, 'invoker'] };
    const variants: Variant[] = ['plain', 'capture', 'logical', ...(s.diagnose ? (['invoker'] as const) : [])];
    for (const v of variants) await pgbench(where[v][0], where[v][1], script, s, 3, targets); // warm-up, not reported
    const logBefore = Number((await sql<{ n: string }>(replica.url('capture'), 'select count(*)::text as n from wardcache_change'))[0].n);
    const runs: PgbenchRun[] = [];
    for (let round = 1; round <= s.rounds; round++) {
      for (const variant of variants) {
        const [cluster, db] = where[variant];
        await sql(cluster.url(), 'checkpoint');
        const wal0 = await walLsn(cluster);
        const r = await pgbench(cluster, db, script, s, s.seconds, targets);
        const walPerTx = ((await walLsn(cluster)) - wal0) / r.transactions;
        runs.push({ variant, round, walPerTx, ...r });
        s.log(`  round ${round} ${variant}: ${r.tps.toFixed(0)} tps${r.problem ? ` (${r.problem})` : ''}`);
      }
    }
    if (recv.exit()) throw new Error(`pg_recvlogical stopped during the runs: ${recv.output().slice(-500)}`);
    const logRows = Number((await sql<{ n: string }>(replica.url('capture'), 'select count(*)::text as n from wardcache_change'))[0].n) - logBefore;
    const captureTx = runs.filter((r) => r.variant === 'capture').reduce((a, r) => a + r.transactions, 0);
    await new Promise((r) => setTimeout(r, 1500)); // one status interval of pg_recvlogical
    const behind = await sql<{ b: string }>(l.url(), "select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text as b from pg_replication_slots where slot_name = 'wardcache_bench'");
    const version = (await run(join(postgresBin(), 'pgbench'), ['--version'])).stdout.trim();
    return { runs, logRowsPerTx: logRows / captureTx, decodedBytes: statSync(decoded).size, slotBehindBytes: Number(behind[0]?.b ?? NaN), pgbench: version };
  } finally {
    await recv?.stop(5000);
    for (const c of [replica, logical]) {
      try {
        c?.remove();
      } catch (err) {
        s.log(`  cleanup of the cluster in ${c?.dir}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    rmSync(scripts, { recursive: true, force: true });
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out; ${context().slice(-500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
