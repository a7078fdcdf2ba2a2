/**
 * The bench's own services: a redis-server on a free port (no persistence), pinned to the load
 * core, and a scratch PostgreSQL database on 127.0.0.1:5432 (trust auth, user postgres), migrated
 * and seeded in this process with the seed's own function, dropped at the end.
 */
import { readFileSync } from 'node:fs';
import { Client as PgClient } from 'pg';
import { initORM, migrate } from '../../src/db/orm';
import { seedDatabase, type SeedOptions } from '../../src/seed/seed';
import { freePort, redisCommand, spawnProcess, waitForRedis, type ManagedProcess } from '../../test/support/processes';

export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface OwnRedis {
  url: string;
  port: number;
  pid: number;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** `taskset -c <core> …` when pinning (taskset execs, so the pid is the program's), else the program. */
export function pinned(core: number | null, cmd: string, args: string[]): [string, string[]] {
  return core === null ? [cmd, args] : ['taskset', ['-c', String(core), cmd, ...args]];
}

export async function startRedis(core: number | null): Promise<OwnRedis> {
  const port = await freePort();
  const [cmd, args] = pinned(core, 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const proc: ManagedProcess = spawnProcess('redis-server', cmd, args);
  try {
    await waitForRedis({ port });
  } catch (err) {
    await proc.stop(1000);
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${proc.output().slice(-2000)}`);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: proc.pid,
    flush: async () => {
      const reply = await redisCommand({ port }, 'FLUSHALL', 10_000);
      if (reply !== '+OK') throw new Error(`FLUSHALL answered ${reply}`);
    },
    stop: async () => void (await proc.stop(3000)),
  };
}

function databaseUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (c: PgClient) => Promise<T>): Promise<T> {
  const client = new PgClient({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Drops it (unless kept). */
  drop(): Promise<void>;
}

/**
 * A database `name`, created fresh, migrated and seeded. `keep`: reuse one that a kept earlier
 * run left (already seeded: its rows are then whatever that run's writes made them) and leave it.
 */
export async function scratchDatabase(name: string, seed: SeedOptions, opts: { keep: boolean; log: (line: string) => void }): Promise<ScratchDatabase> {
  const url = databaseUrl(name);
  const drop = async () => {
    if (opts.keep) return;
    await admin((c) => c.query(`drop database if exists "${name}" with (force)`));
  };
  const exists = await admin(async (c) => (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1);
  if (exists && opts.keep && (await seededHospitals(url)) === seed.hospitals) {
    opts.log(`reusing database ${name} (--keep-db): already seeded`);
    return { name, url, drop };
  }
  await admin(async (c) => {
    await c.query(`drop database if exists "${name}" with (force)`);
    await c.query(`create database "${name}"`);
  });
  const orm = await initORM({ kind: 'postgresql', url }, { logger: () => undefined });
  try {
    await migrate(orm);
    const started = performance.now();
    const summary = await seedDatabase(orm, seed);
    opts.log(`seeded ${name} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(summary)}`);
  } finally {
    await orm.close(true);
  }
  return { name, url, drop };
}

async function seededHospitals(url: string): Promise<number> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query('select count(*) as n from hospital')).rows[0].n);
  } catch {
    return 0;
  } finally {
    await client.end();
  }
}

/** pg_stat_database counters of one database (cumulative; the bench takes differences). */
export interface PgCounters {
  xacts: number;
  tupReturned: number;
  tupFetched: number;
  tupWritten: number;
}

export async function pgCounters(name: string): Promise<PgCounters> {
  return admin(async (c) => {
    const r = await c.query(
      `select xact_commit + xact_rollback as xacts, tup_returned, tup_fetched, tup_inserted + tup_updated + tup_deleted as tup_written
         from pg_stat_database where datname = $1`,
      [name],
    );
    const row = r.rows[0] ?? {};
    return { xacts: Number(row.xacts ?? 0), tupReturned: Number(row.tup_returned ?? 0), tupFetched: Number(row.tup_fetched ?? 0), tupWritten: Number(row.tup_written ?? 0) };
  });
}

/** Subtracts two counter readings field by field. */
export function pgDelta(a: PgCounters, b: PgCounters): PgCounters {
  return { xacts: b.xacts - a.xacts, tupReturned: b.tupReturned - a.tupReturned, tupFetched: b.tupFetched - a.tupFetched, tupWritten: b.tupWritten - a.tupWritten };
}

/** CPU seconds (user + system) of a process so far, from /proc/<pid>/stat; null once it is gone. */
export function processSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
  } catch {
    return null;
  }
}

/**
 * CPU of the PostgreSQL backends serving one database (same machine): starts measuring, and the
 * returned function gives the CPU seconds used since by the backends alive at its call (a backend
 * that started meanwhile counts whole, one that ended meanwhile is lost: approximate).
 */
export async function pgBackendsMeter(name: string): Promise<() => Promise<number>> {
  const pids = async () => admin(async (c) => (await c.query('select pid from pg_stat_activity where datname = $1', [name])).rows.map((r) => Number(r.pid)));
  const start = new Map<number, number>();
  for (const pid of await pids()) start.set(pid, processSeconds(pid) ?? 0);
  return async () => {
    let used = 0;
    for (const pid of await pids()) used += (processSeconds(pid) ?? 0) - (start.get(pid) ?? 0);
    return used;
  };
}
