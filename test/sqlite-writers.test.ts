import { join } from 'node:path';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { createTokenService } from '../src/auth/tokens';
import type { DatabaseConfig } from '../src/config/config';
import { initORM, migrate } from '../src/db/orm';
import { Patient } from '../src/modules/patient/patient.entity';
import { Tag } from '../src/modules/tag/tag.entity';
import { seedDatabase } from '../src/seed/seed';
import { op } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, TEST_SECRET, type GqlResult, type TestGateway } from './support/gateway';
import { freePort, spawnProcess, waitForUrl, type ManagedProcess } from './support/processes';
import { holdNextFlush, nextWriteLockWait } from './support/write-gates';

// Each gateway below has its own ORM and connection on one SQLite file: to SQLite they are two
// processes (the last suite runs them as real ones). Caches are in-process, one per gateway, and
// every read below is that patient's first read through that gateway, a miss (asserted): the
// answers come from the database snapshot, which is what is under test.

type PatientAnswer = {
  patient: { id: string; name: string; latestEventAt: string | null; tags: Array<{ id: string }> } | null;
};
type CacheExt = { hit: boolean };
type Role = 'viewer' | 'clinician';

/** A gateway as the tests talk to it, in this process or another. */
interface Side {
  name: string;
  gql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown>, role: Role): Promise<GqlResult<T>>;
}

/** Patients of hospital 1, each with a tag it does not carry; handed out once each. */
class FreshPatients {
  private next = 0;
  constructor(private readonly list: Array<{ id: string; missingTag: string }>) {}
  take(): { id: string; missingTag: string } {
    const p = this.list[this.next++];
    if (!p) throw new Error('the fixture ran out of patients');
    return p;
  }
}

function sqlitePath(database: DatabaseConfig): string {
  if (database.kind !== 'sqlite') throw new Error('an SQLite database was expected');
  return database.path;
}

const codes = (r: GqlResult) => (r.body.errors ?? []).map((e) => `${String(e.extensions?.code)}: ${e.message}`);

/** Seeds a small data set into `database` and lists its patients for the tests. */
async function seedFile(database: DatabaseConfig): Promise<FreshPatients> {
  const orm = await initORM(database);
  try {
    await migrate(orm);
    await seedDatabase(orm, { hospitals: 2, wards: 3, patients: 160, events: 3, seed: 7, now: new Date() });
    const em = orm.em.fork();
    const tags = await em.find(Tag, { hospital: 1 }, { orderBy: { id: 'asc' } });
    const rows = await em.find(Patient, { hospital: 1 }, { populate: ['tags'], orderBy: { id: 'asc' } });
    return new FreshPatients(
      rows.flatMap((p) => {
        const tag = tags.find((t) => !p.tags.contains(t));
        return tag ? [{ id: String(p.id), missingTag: String(tag.id) }] : [];
      }),
    );
  } finally {
    await orm.close();
  }
}

/**
 * `n` writes at once, alternating between the two sides (RegisterPatient, TagPatient,
 * RecordEvent); as each returns, its effect is read through the other side. Returns what went
 * wrong, so one failure does not hide the others.
 */
async function crossingWrites(sides: [Side, Side], patients: FreshPatients, n: number): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const [writer, reader] = i % 2 === 0 ? sides : [sides[1], sides[0]];
      const label = `write ${i} through ${writer.name}`;
      let id: string;
      let shows: (seen: PatientAnswer['patient']) => boolean;
      if (i % 3 === 0) {
        const r = await writer.gql<{ registerPatient: { id: string } }>(op('RegisterPatient'), { input: { name: `Crossing ${i}`, status: 'OUTPATIENT' } }, 'clinician');
        if (codes(r).length || !r.body.data) return void problems.push(`${label}: ${codes(r).join('; ')}`);
        id = r.body.data.registerPatient.id;
        shows = (seen) => seen?.name === `Crossing ${i}`;
      } else if (i % 3 === 1) {
        const p = patients.take();
        const r = await writer.gql(op('TagPatient'), { patientId: p.id, tagId: p.missingTag }, 'clinician');
        if (codes(r).length) return void problems.push(`${label}: ${codes(r).join('; ')}`);
        id = p.id;
        shows = (seen) => !!seen?.tags.some((t) => t.id === p.missingTag);
      } else {
        const p = patients.take();
        const r = await writer.gql<{ recordEvent: { patient: { latestEventAt: string } } }>(
          op('RecordEvent'),
          { input: { patientId: p.id, kind: `note ${i}`, occurredAt: new Date().toISOString() } },
          'clinician',
        );
        if (codes(r).length || !r.body.data) return void problems.push(`${label}: ${codes(r).join('; ')}`);
        id = p.id;
        const latest = r.body.data.recordEvent.patient.latestEventAt;
        shows = (seen) => seen?.latestEventAt === latest;
      }
      const read = await reader.gql<PatientAnswer>(op('Patient'), { id }, 'viewer');
      if (codes(read).length) return void problems.push(`read after ${label}: ${codes(read).join('; ')}`);
      if ((read.body.extensions?.cache as CacheExt | undefined)?.hit !== false) return void problems.push(`read after ${label}: not a miss`);
      if (!shows(read.body.data?.patient ?? null)) problems.push(`read through ${reader.name} after ${label} does not show it: ${JSON.stringify(read.body.data)}`);
    }),
  );
  return problems;
}

describe('two processes whose writes cross on one SQLite file', () => {
  describe('two gateways in the test process, each with its own connection', () => {
    const database = sqliteDatabase();
    let patients: FreshPatients;
    let a: TestGateway;
    let b: TestGateway;
    let A: Side;
    let B: Side;

    const side = async (name: string, t: TestGateway): Promise<Side> => {
      const tokens = { viewer: await t.token('viewer'), clinician: await t.token('clinician') };
      return { name, gql: (query, variables, role) => t.gql(query, variables, tokens[role]) };
    };
    const readPatient = async (through: Side, id: string) => {
      const r = await through.gql<PatientAnswer>(op('Patient'), { id }, 'viewer');
      expect(codes(r)).toEqual([]);
      expect((r.body.extensions?.cache as CacheExt).hit).toBe(false);
      return r.body.data?.patient;
    };

    beforeAll(async () => {
      patients = await seedFile(database);
    }, 60_000);
    beforeEach(async () => {
      a = await startTestGateway(testConfig(database));
      b = await startTestGateway(testConfig(database));
      [A, B] = [await side('A', a), await side('B', b)];
    });
    afterEach(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    it('a writer that read before the other wrote still commits, and reads through it then show the other write', async () => {
      const p = patients.take();
      // A reads the patient inside its write transaction and is held before it writes.
      const hold = holdNextFlush(a.gateway.orm);
      const aWrite = A.gql(op('TagPatient'), { patientId: p.id, tagId: p.missingTag }, 'clinician');
      await hold.reached;

      // B writes the same patient. B either commits now (A holds no lock: the bug's setting), or
      // waits for A's write lock; A goes on once one of the two has happened.
      const bWrite = B.gql<{ recordEvent: { patient: { latestEventAt: string } } }>(
        op('RecordEvent'),
        { input: { patientId: p.id, kind: 'vitals', occurredAt: new Date().toISOString() } },
        'clinician',
      );
      await Promise.race([bWrite, nextWriteLockWait(b.gateway.orm)]);
      hold.release();

      const [aDone, bDone] = await Promise.all([aWrite, bWrite]);
      expect(codes(aDone)).toEqual([]);
      expect(codes(bDone)).toEqual([]);

      // Both reads start after both writes returned: each shows both writes.
      for (const through of [A, B]) {
        const seen = await readPatient(through, p.id);
        expect(seen?.latestEventAt).toBe(bDone.body.data?.recordEvent.patient.latestEventAt);
        expect(seen?.tags.map((x) => x.id)).toContain(p.missingTag);
      }
      // A's connection is not stuck on an old snapshot: its next write succeeds too.
      const again = await A.gql(op('RegisterPatient'), { input: { name: 'After The Crossing', status: 'OUTPATIENT' } }, 'clinician');
      expect(codes(again)).toEqual([]);
    });

    it('many concurrent writes from both sides all succeed, each visible to the next read through the other', async () => {
      expect(await crossingWrites([A, B], patients, 36)).toEqual([]);
    });

    it('a connection whose statement failed busy is not reused on its old snapshot', async () => {
      // The one way left to make a statement fail busy: a read-only transaction (deferred BEGIN)
      // that writes after another connection committed. libsql leaves that statement open.
      const p = patients.take();
      const knex = (a.gateway.orm.em as SqlEntityManager).getConnection().getKnex();
      let bDone: GqlResult<{ recordEvent: { patient: { latestEventAt: string } } }> | undefined;
      await expect(
        knex.transaction(
          async (trx) => {
            await trx.raw('select latest_event_at from patient where id = ?', [Number(p.id)]);
            bDone = await B.gql(op('RecordEvent'), { input: { patientId: p.id, kind: 'lab', occurredAt: new Date().toISOString() } }, 'clinician');
            await trx.raw('update patient set name = name where id = ?', [Number(p.id)]);
          },
          { readOnly: true },
        ),
      ).rejects.toMatchObject({ code: 'SQLITE_BUSY_SNAPSHOT' });
      expect(codes(bDone!)).toEqual([]);

      const seen = await readPatient(A, p.id);
      expect(seen?.latestEventAt).toBe(bDone!.body.data?.recordEvent.patient.latestEventAt);
      const write = await A.gql(op('TagPatient'), { patientId: p.id, tagId: p.missingTag }, 'clinician');
      expect(codes(write)).toEqual([]);
    });

    it('a write that cannot get the lock in time is refused as a retryable SERVICE_UNAVAILABLE, changes nothing, and does not freeze the process', async () => {
      const p = patients.take();
      // B holds the write lock (a write transaction that wrote) for longer than writers wait.
      const knexB = (b.gateway.orm.em as SqlEntityManager).getConnection().getKnex();
      let locked = () => undefined as void;
      let release = () => undefined as void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      const holder = knexB.transaction(async (trx) => {
        await trx.raw('update patient set name = name where id = ?', [Number(p.id)]);
        locked();
        await released;
      });
      await lockTaken;

      // The longest pause of this process's event loop while A waits.
      let longestPause = 0;
      let last = Date.now();
      const ticker = setInterval(() => {
        longestPause = Math.max(longestPause, Date.now() - last);
        last = Date.now();
      }, 20);
      const started = Date.now();
      const refused = await A.gql(op('TagPatient'), { patientId: p.id, tagId: p.missingTag }, 'clinician');
      const waited = Date.now() - started;
      clearInterval(ticker);
      release();
      await holder;

      expect(refused.status).toBe(200);
      expect(refused.body.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryable: true })]);
      expect(waited).toBeGreaterThanOrEqual(4_000); // a bounded wait (5 s), not an immediate failure
      expect(waited).toBeLessThan(15_000);
      expect(longestPause).toBeLessThan(1_000);

      const seen = await readPatient(A, p.id);
      expect(seen?.tags.map((x) => x.id)).not.toContain(p.missingTag);
      const retried = await A.gql(op('TagPatient'), { patientId: p.id, tagId: p.missingTag }, 'clinician');
      expect(codes(retried)).toEqual([]);
    }, 30_000);
  });

  describe('two gateway processes (tsx src/main.ts)', () => {
    const ROOT = join(__dirname, '..');
    /** tsx compiles on the fly. */
    const START_MS = 120_000;
    const database = sqliteDatabase();
    const running: ManagedProcess[] = [];
    let patients: FreshPatients;
    let sides: [Side, Side];

    async function start(name: string): Promise<Side> {
      const port = await freePort();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: `file:${sqlitePath(database)}`,
        JWT_SECRET: TEST_SECRET,
        DEMO_DATA: 'false',
        LOG_LEVEL: 'info',
        WARM_JOBS: 'false',
        CACHE_REWARM_DELAY_MS: '0',
      };
      delete env.REDIS_URL; // in-process caches: the reads test the database
      const proc = spawnProcess(`gateway ${name}`, join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], { cwd: ROOT, env, group: true });
      running.push(proc);
      await proc.waitForLine('wardcache is serving', START_MS);
      const url = `http://127.0.0.1:${port}`;
      await waitForUrl(`${url}/health`, { timeoutMs: 10_000 });
      const signer = createTokenService(TEST_SECRET);
      const tokens = {
        viewer: await signer.sign({ sub: 'crossing-viewer', hospitalId: '1', role: 'viewer' }),
        clinician: await signer.sign({ sub: 'crossing-clinician', hospitalId: '1', role: 'clinician' }),
      };
      return {
        name,
        async gql(query, variables, role) {
          const res = await fetch(`${url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[role]}` },
            body: JSON.stringify({ query, variables }),
            signal: AbortSignal.timeout(30_000),
          });
          return { status: res.status, body: (await res.json()) as GqlResult['body'] } as GqlResult<never>;
        },
      };
    }

    beforeAll(async () => {
      patients = await seedFile(database);
      sides = [await start('A'), await start('B')];
    }, 2 * START_MS + 60_000);
    afterAll(async () => {
      const exits = await Promise.all(running.map((p) => p.stop(5000)));
      for (const [i, exit] of exits.entries()) {
        if (exit.code !== 0) process.stderr.write(`${running[i].name} exited ${JSON.stringify(exit)}:\n${running[i].output().slice(-3000)}\n`);
      }
    }, 30_000);

    it('many concurrent writes from both processes all succeed, each visible to the next read through the other', async () => {
      // Several rounds: each is a burst of writes crossing between truly parallel processes.
      for (let round = 0; round < 3; round++) {
        expect(await crossingWrites(sides, patients, 24)).toEqual([]);
      }
    }, 60_000);
  });
});
