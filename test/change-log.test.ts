import Database from 'better-sqlite3';
import { Client } from 'pg';
import { createPostgresLog } from '../src/capture/log-postgres';
import { createSqliteLog } from '../src/capture/log-sqlite';
import type { ChangeLog } from '../src/capture/log';
import { ConfigError, loadConfig } from '../src/config/config';
import { initORM, migrate } from '../src/db/orm';
import { op } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';
import Redis from 'ioredis';
import { describeWith, freshPostgresDatabase, REDIS_TEST_URL } from './support/services';
import { seedDatabase } from '../src/seed/seed';

/**
 * The change log as the capture reads it: exactly the committed changes, each once, whatever
 * order transactions commit in; and what the gateway does when the capture stops reading.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads until nothing more, confirming each read; returns the hospital ids seen and the end position. */
async function drain(log: ChangeLog, position: number): Promise<{ ids: number[]; position: number }> {
  const ids: number[] = [];
  for (;;) {
    const read = await log.read(position);
    ids.push(...read.rows.filter((r) => r.entity === 'Hospital').map((r) => r.rowId as number));
    read.confirm();
    position = read.next;
    if (!read.more) return { ids, position };
  }
}

describeWith('PostgreSQL')('the PostgreSQL change log', () => {
  let url = '';
  const clients: Client[] = [];
  const logs: ChangeLog[] = [];
  const client = async () => {
    const c = new Client({ connectionString: url });
    await c.connect();
    clients.push(c);
    return c;
  };
  const open = () => {
    const log = createPostgresLog(url);
    logs.push(log);
    return log;
  };
  const insertHospital = async (c: Client, name: string) => Number((await c.query('insert into hospital (name) values ($1) returning id', [name])).rows[0].id);

  beforeAll(async () => {
    url = await freshPostgresDatabase('wardcache_change_log');
    const orm = await initORM({ kind: 'postgresql', url });
    await migrate(orm);
    await orm.close(true);
  });
  afterAll(async () => {
    await Promise.all(logs.map((l) => l.close()));
    await Promise.all(clients.map((c) => c.end()));
  });

  it('a transaction that wrote first but commits last is read once, after it commits; a rolled-back one never', async () => {
    const log = open();
    const start = await log.head();
    const [late, early, rolledBack] = [await client(), await client(), await client()];
    await late.query('begin');
    const lateId = await insertHospital(late, 'Wrote first, commits last'); // the lower sequence number
    await rolledBack.query('begin');
    await insertHospital(rolledBack, 'Rolled back');
    const earlyId = await insertHospital(early, 'Wrote second, committed first'); // autocommit

    const first = await drain(log, start);
    expect(first.ids).toEqual([earlyId]);
    await late.query('commit');
    await rolledBack.query('rollback');
    const second = await drain(log, first.position);
    expect(second.ids).toEqual([lateId]); // not lost behind the earlier read, and earlyId not again
    expect((await drain(log, second.position)).ids).toEqual([]);

    // A reader that starts over from the old position (a restart) replays both: harmless.
    expect((await drain(open(), start)).ids.sort()).toEqual([lateId, earlyId].sort());
  });

  it('rows carry what FEEDS needs: the changed columns, the patient, the writer’s application_name', async () => {
    const log = open();
    const start = await log.head();
    const c = new Client({ connectionString: url, application_name: 'admission-system' });
    await c.connect();
    clients.push(c);
    const h = await insertHospital(c, 'Fields');
    const patient = Number((await c.query("insert into patient (hospital_id, name, status) values ($1, 'A', 'OUTPATIENT') returning id", [h])).rows[0].id);
    await c.query("update patient set name = 'B', status = 'INPATIENT' where id = $1", [patient]);
    await c.query("update patient set name = 'B' where id = $1", [patient]); // no change: no row
    const rows: unknown[] = [];
    let position = start;
    for (;;) {
      const read = await log.read(position);
      rows.push(...read.rows.map(({ entity, op: o, rowId, hospitalId, props, origin }) => ({ entity, op: o, rowId, hospitalId, props, origin })));
      read.confirm();
      position = read.next;
      if (!read.more) break;
    }
    expect(rows).toEqual([
      { entity: 'Hospital', op: 'c', rowId: h, hospitalId: h, props: null, origin: 'admission-system' },
      { entity: 'Patient', op: 'c', rowId: patient, hospitalId: h, props: null, origin: 'admission-system' },
      { entity: 'Patient', op: 'u', rowId: patient, hospitalId: h, props: 'name,status', origin: 'admission-system' },
    ]);
  });
});

describe('the SQLite change log', () => {
  it('reads each committed change once, in order; pruning moves the floor, so a reader behind it knows it lost changes', async () => {
    const db = sqliteDatabase();
    const orm = await initORM(db);
    await migrate(orm);
    await orm.close(true);
    const writer = new Database(db.path);
    const log = createSqliteLog(db.path);
    try {
      const start = await log.head();
      const ids = [1, 2, 3].map((i) => Number(writer.prepare('insert into hospital (name) values (?)').run(`H${i}`).lastInsertRowid));
      const first = await drain(log, start);
      expect(first.ids).toEqual(ids);
      expect((await drain(log, first.position)).ids).toEqual([]);

      expect(await log.floor()).toBe(0);
      expect(await log.prune(Date.now() + 1000, first.position)).toBe(3); // all applied and "old"
      expect(await log.floor()).toBe(first.position);
      expect(start).toBeLessThan(await log.floor()); // a cache still at `start` must purge
      const next = Number(writer.prepare("insert into hospital (name) values ('H4')").run().lastInsertRowid);
      expect((await drain(log, first.position)).ids).toEqual([next]); // sequence numbers never reused
    } finally {
      writer.close();
      await log.close();
    }
  });

  it('refuses to start when a captured table has a column the declarations do not list', async () => {
    const db = sqliteDatabase();
    const orm = await initORM(db);
    await migrate(orm);
    await orm.em.getConnection().execute('alter table ward add column note text');
    await orm.close(true);
    await expect(startTestGateway(testConfig(db, { changeCapture: { mode: 'auto', boundMs: 1000, failClosedMs: 3000, pollMs: 100, retentionMs: 3_600_000 } }))).rejects.toThrow(
      /Change capture declarations are out of date:[\s\S]*ward\.note is not in CAPTURED_TABLES/,
    );
  });
});

describe('while the change capture does not read (fail-closed)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(testConfig(sqliteDatabase(), { changeCapture: { mode: 'auto', boundMs: 1000, failClosedMs: 3000, pollMs: 100, retentionMs: 3_600_000 } }));
    await seedDatabase(t.gateway.orm, { hospitals: 1, wards: 2, patients: 30, events: 2, seed: 3, now: new Date() });
  });
  afterAll(() => t.close());

  it("the gateway's own writes are logged with its origin and evicted once (by its subscriber), not again by its capture", async () => {
    await sleep(300);
    const before = t.gateway.cache.counters.invalidations;
    const clinician = await t.token('clinician');
    const registered = await t.gql<{ registerPatient: { id: string } }>(op('RegisterPatient'), { input: { name: 'Own Write', status: 'OUTPATIENT' } }, clinician);
    const id = Number(registered.body.data?.registerPatient.id);
    expect(t.gateway.cache.counters.invalidations).toBe(before + 1); // before the mutation answered
    await sleep(500); // several capture passes
    expect(t.gateway.cache.counters.invalidations).toBe(before + 1);
    const log = new Database((t.gateway.config.database as { kind: 'sqlite'; path: string }).path, { readonly: true });
    const rows = log.prepare("select origin from wardcache_change where entity = 'Patient' and row_id = ?").all(id) as Array<{ origin: string | null }>;
    log.close();
    expect(rows).toEqual([{ origin: expect.stringMatching(/^wardcache-[0-9a-f]{32}$/) }]);
  });

  it('past the bound the cache is still served but reported lagging; past the fail-closed limit it is not served, and reads answer from the database', async () => {
    const viewer = await t.token('viewer');
    const read = () => t.gql<{ patient: { name: string } }>(op('Patient'), { id: '1' }, viewer);
    const ready = async () => ((await (await fetch(`${t.url}/ready`)).json()) as { status: string; capture: { state: string } });
    await sleep(300); // the seed's "everything changed" row applied
    await read();
    expect((await read()).body.extensions?.cache).toMatchObject({ hit: true });

    await t.gateway.capture?.close(); // the reader stops
    await sleep(1200);
    expect(await ready()).toMatchObject({ status: 'ready', capture: { state: 'lagging' } });
    expect((await read()).body.extensions?.cache).toMatchObject({ hit: true }); // within CHANGE_CAPTURE_FAIL_CLOSED_MS (3 s)
    expect(await (await fetch(`${t.url}/metrics`)).text()).toMatch(/wardcache_change_capture_state\{state="lagging"\} 1/);

    await sleep(2000);
    expect(await ready()).toMatchObject({ status: 'ready', capture: { state: 'down' } });
    const writer = new Database((t.gateway.config.database as { kind: 'sqlite'; path: string }).path);
    writer.prepare("update patient set name = 'Written While Unread' where id = 1").run();
    writer.close();
    for (let i = 0; i < 2; i++) {
      const answer = await read();
      expect(answer.body).toMatchObject({ data: { patient: { name: 'Written While Unread' } }, extensions: { cache: { hit: false } } });
    }
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/wardcache_cache_events_total\{event="capture_bypass"\} [1-9]/);
    expect(metrics).toMatch(/wardcache_change_capture_state\{state="down"\} 1/);
  });
});

describe('change capture configuration', () => {
  it('defaults to auto with a 1 s bound; refuses unknown modes and a poll too slow for the bound, naming each variable', () => {
    expect(loadConfig({}).changeCapture).toEqual({ mode: 'auto', boundMs: 1000, failClosedMs: 3000, pollMs: 100, retentionMs: 24 * 3600_000 });
    expect(loadConfig({ CHANGE_CAPTURE: 'off', CHANGE_CAPTURE_BOUND_MS: '5000', CHANGE_CAPTURE_FAIL_CLOSED_MS: '9000', CHANGE_CAPTURE_POLL_MS: '1000', CHANGE_CAPTURE_RETENTION_HOURS: '2' }).changeCapture).toEqual({
      mode: 'off',
      boundMs: 5000,
      failClosedMs: 9000,
      pollMs: 1000,
      retentionMs: 2 * 3600_000,
    });
    const problems = (env: NodeJS.ProcessEnv): string => {
      try {
        loadConfig(env);
      } catch (err) {
        if (err instanceof ConfigError) return err.problems.join('\n');
        throw err;
      }
      return '';
    };
    expect(problems({ CHANGE_CAPTURE: 'logical' })).toContain('CHANGE_CAPTURE');
    expect(problems({ CHANGE_CAPTURE_BOUND_MS: '50' })).toContain('CHANGE_CAPTURE_BOUND_MS');
    expect(problems({ CHANGE_CAPTURE_RETENTION_HOURS: '0' })).toContain('CHANGE_CAPTURE_RETENTION_HOURS');
    expect(problems({ CHANGE_CAPTURE_FAIL_CLOSED_MS: '800' })).toContain('CHANGE_CAPTURE_FAIL_CLOSED_MS: 800 must be at least CHANGE_CAPTURE_BOUND_MS (1000)');
    expect(problems({ CHANGE_CAPTURE_POLL_MS: '500' })).toContain('CHANGE_CAPTURE_POLL_MS: 500 must be at most a quarter of CHANGE_CAPTURE_BOUND_MS (1000)');
  });
});

describeWith('Redis')('a shared cache that cannot be caught up is purged on start', () => {
  const capture = { mode: 'auto' as const, boundMs: 1000, failClosedMs: 3000, pollMs: 100, retentionMs: 3_600_000 };

  it.each([
    ['it has no position (its first start with change capture)', async (redis: Redis, prefix: string) => {
      const keys = await redis.keys(`${prefix}capture:*:position`);
      expect(keys).toHaveLength(1);
      await redis.del(keys[0]);
    }],
    ['the log was pruned past its position (every gateway away longer than the retention)', async (_redis: Redis, _prefix: string, path: string) => {
      const db = new Database(path);
      db.prepare('update wardcache_capture_meta set pruned_below = 1000000 where id = 1').run();
      db.close();
    }],
  ])('when %s', async (_what, tamper) => {
    const db = sqliteDatabase();
    const prefix = `wardcache-capture-purge-${process.pid}-${Date.now()}:`;
    const config = testConfig(db, { redisUrl: REDIS_TEST_URL, changeCapture: capture, cache: { ...testConfig(db).cache, redisPrefix: prefix } });
    const redis = new Redis(REDIS_TEST_URL);
    try {
      let t = await startTestGateway(config);
      await seedDatabase(t.gateway.orm, { hospitals: 1, wards: 2, patients: 20, events: 1, seed: 4, now: new Date() });
      await sleep(300);
      const viewer = await t.token('viewer');
      await t.gql(op('Patient'), { id: '1' }, viewer);
      expect((await t.gql(op('Patient'), { id: '1' }, viewer)).body.extensions?.cache).toMatchObject({ hit: true });
      await t.close();
      await tamper(redis, prefix, db.path);
      t = await startTestGateway(config);
      try {
        expect((await t.gql(op('Patient'), { id: '1' }, viewer)).body.extensions?.cache).toMatchObject({ hit: false });
      } finally {
        await t.close();
      }
    } finally {
      redis.disconnect();
    }
  });
});

describe('the self-check and external writes', () => {
  it('a hit served in the moment before the capture evicts it is not reported as a wrong answer', async () => {
    const db = sqliteDatabase();
    const base = testConfig(db);
    const t = await startTestGateway(
      testConfig(db, { cache: { ...base.cache, verifyRate: 1 }, changeCapture: { mode: 'auto', boundMs: 1000, failClosedMs: 3000, pollMs: 250, retentionMs: 3_600_000 } }),
    );
    try {
      await seedDatabase(t.gateway.orm, { hospitals: 1, wards: 2, patients: 20, events: 1, seed: 6, now: new Date() });
      await sleep(600);
      const viewer = await t.token('viewer');
      await t.gql(op('Patient'), { id: '2' }, viewer);
      await sleep(300); // the stored answer's own check is over
      const writer = new Database(db.path);
      writer.prepare("update patient set name = 'Changed Elsewhere' where id = 2").run();
      writer.close();
      // Within the bound the old answer may still be served; its check recomputes the new name.
      const served = await t.gql<{ patient: { name: string } }>(op('Patient'), { id: '2' }, viewer);
      expect(served.body.extensions?.cache).toMatchObject({ hit: true });
      await sleep(2500);
      expect(t.gateway.cache.counters.verifyMismatches).toBe(0);
      expect((await t.gql<{ patient: { name: string } }>(op('Patient'), { id: '2' }, viewer)).body.data?.patient.name).toBe('Changed Elsewhere');
    } finally {
      await t.close();
    }
  });
});
