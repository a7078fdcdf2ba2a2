import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { op } from './support/cache-fixture';
import { externalWriter, type ExternalWriter } from './support/external-writer';
import { OwnPostgres } from './support/own-postgres';
import { freePort, spawnProcess, waitForUrl, type ManagedProcess } from './support/processes';
import { describeWith, freshPostgresDatabase, REDIS_TEST_URL } from './support/services';

/**
 * Writes from other systems. A plain SQL client (not the gateway) admits, tags, records an
 * event, moves, renames and discharges a patient in the database two real gateway processes
 * (`src/main.ts`, default settings) serve from their caches. A read that starts once the bound
 * (1 s, the default) has passed since the commit shows the change, through both processes, and
 * the read after it is a cache hit with the new data: the capture evicted the old answer (a
 * cache that was merely bypassed would not hit).
 *
 * SQLite: each process has its own in-process cache and reads the change log itself.
 * PostgreSQL: both share one Redis; one reads the log at a time. There, the suite also stops
 * every gateway, writes, and starts one again (the first read shows the write though Redis held
 * the old answer), and kills the reader under a stream of writes (nothing is lost: the other
 * process takes over, and while it does, answers are never older than the fail-closed limit).
 */

const ROOT = join(__dirname, '..');
const SECRET = 'change-capture-secret-0123456789-abcdefghij';
const START_MS = 120_000;
const BOUND_MS = 1000;
const FAIL_CLOSED_MS = 3000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Gateway {
  name: string;
  url: string;
  process: ManagedProcess;
}
interface Answer<T> {
  data: T;
  hit: boolean | undefined;
}
type Json = Record<string, unknown>;
interface PatientView {
  id: string;
  name: string;
  status: string;
  latestEventAt: string | null;
  tags: Array<{ id: string; name: string }>;
  currentAdmission: { bed: string; ward: { id: string; name: string } } | null;
}
interface WardView {
  ward: { id: string; name: string };
  patientCount: number;
  patients: Array<{ patient: { id: string; name: string }; bed: string; tags: Array<{ id: string; name: string }> }>;
}

const viewerToken = () =>
  new SignJWT({ hospitalId: '1', role: 'viewer' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('capture-test')
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(SECRET));

function scenario(kind: 'sqlite' | 'postgresql') {
  const gateways: Gateway[] = [];
  let databaseUrl = '';
  let writer: ExternalWriter;
  let token = '';
  const prefix = `wardcache-capture-${kind}-${process.pid}-${Date.now()}:`;
  let ownPg: OwnPostgres | undefined;

  async function start(name: string, demoData: boolean, extraEnv: NodeJS.ProcessEnv = {}): Promise<Gateway> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      JWT_SECRET: SECRET,
      DEMO_DATA: String(demoData),
      LOG_LEVEL: 'info',
      ...(kind === 'postgresql' ? { REDIS_URL: REDIS_TEST_URL, CACHE_REDIS_PREFIX: prefix } : { REDIS_URL: '' }),
      ...extraEnv,
    };
    const proc = spawnProcess(`gateway ${name}`, join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], { cwd: ROOT, env, group: true });
    const gateway = { name, url: `http://127.0.0.1:${port}`, process: proc };
    gateways.push(gateway);
    await proc.waitForLine('wardcache is serving', START_MS);
    await waitForUrl(`${gateway.url}/health`, { timeoutMs: 10_000 });
    return gateway;
  }

  async function gql<T = Json>(through: Gateway, name: string, variables: Json = {}): Promise<Answer<T>> {
    const res = await fetch(`${through.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: op(name), variables }),
      signal: AbortSignal.timeout(20_000),
    });
    const body = (await res.json()) as { data: T; errors?: unknown; extensions?: { cache?: { hit: boolean } } };
    if (res.status !== 200 || body.errors) throw new Error(`${name} through ${through.name}: ${res.status} ${JSON.stringify(body.errors)}`);
    return { data: body.data, hit: body.extensions?.cache?.hit };
  }

  const live = () => gateways.filter((g) => g.process.exit() === null);

  /** Every read the dashboard makes, twice through each process, so each is a cached hit. */
  async function warm(reads: Array<[string, Json?]>): Promise<void> {
    for (const g of live()) {
      for (const [name, vars] of reads) {
        await gql(g, name, vars);
        expect({ name, hit: (await gql(g, name, vars)).hit }).toEqual({ name, hit: true });
      }
    }
  }

  /** Waits out the bound after a commit, then checks one read through every live process. */
  async function afterBound<T>(committedAt: number, name: string, vars: Json, check: (data: T) => void): Promise<void> {
    await sleep(Math.max(0, committedAt + BOUND_MS - Date.now()));
    for (const g of live()) {
      check((await gql<T>(g, name, vars)).data);
      const again = await gql<T>(g, name, vars);
      check(again.data);
      expect({ through: g.name, name, hit: again.hit }).toEqual({ through: g.name, name, hit: true });
    }
  }

  async function commit(statements: Array<[string, unknown[]?]>): Promise<number> {
    await writer.transaction(statements);
    return Date.now();
  }

  const wardsOf = (d: { wardMapping: { wards: WardView[] } }) => d.wardMapping.wards;
  const holder = (wards: WardView[], patientId: string) => wards.filter((w) => w.patients.some((p) => p.patient.id === patientId)).map((w) => w.ward.id);

  let P = '';
  let pName = '';
  let W1 = '';
  let W2 = '';
  let T = '';

  beforeAll(async () => {
    if (kind === 'postgresql') {
      // A cluster of the test's own, straight from initdb: change capture needs no server
      // setting (wal_level stays `replica`); on the machine's shared server where it cannot start one.
      if (OwnPostgres.available()) {
        ownPg = new OwnPostgres(await freePort());
        ownPg.init();
        ownPg.start();
        databaseUrl = ownPg.url;
      } else databaseUrl = await freshPostgresDatabase('wardcache_capture');
    } else databaseUrl = `file:${join(mkdtempSync(join(tmpdir(), 'wardcache-capture-')), 'capture.sqlite')}`;
    token = await viewerToken();
    await start('A', true); // migrates and fills the demo data
    await start('B', false);
    writer = await externalWriter(kind === 'postgresql' ? { kind, url: databaseUrl } : { kind, path: databaseUrl.slice('file:'.length) });
    const [patient] = await writer.rows<{ id: number; name: string }>(
      "select id, name from patient where hospital_id = 1 and status = 'OUTPATIENT' and id not in (select patient_id from patient_tags) order by id limit 1",
    );
    const wards = await writer.rows<{ id: number }>('select id from ward where hospital_id = 1 order by id limit 2');
    const [tag] = await writer.rows<{ id: number }>('select id from tag where hospital_id = 1 order by id limit 1');
    [P, pName, W1, W2, T] = [String(patient.id), patient.name, String(wards[0].id), String(wards[1].id), String(tag.id)];
  }, 2 * START_MS + 30_000);

  afterAll(async () => {
    await writer?.close();
    await Promise.all(gateways.map((g) => g.process.stop(5000)));
    ownPg?.stop();
  }, 30_000);

  const counts = async () => {
    const [r] = await writer.rows<{ total: number; inpatients: number }>(
      "select count(*) as total, sum(case when status = 'INPATIENT' then 1 else 0 end) as inpatients from patient where hospital_id = 1",
    );
    return { totalPatients: Number(r.total), inpatients: Number(r.inpatients), outpatients: Number(r.total) - Number(r.inpatients) };
  };

  it('an admission (insert + status update in one transaction) shows in Dashboard, WardMapping (whole, searched) and Patient', async () => {
    if (ownPg) expect(await writer.rows('show wal_level')).toEqual([{ wal_level: 'replica' }]); // no logical decoding involved
    await warm([['Dashboard'], ['WardMapping'], ['WardMapping', { filter: { search: pName } }], ['WardMapping', { filter: { wardIds: [W1] } }], ['WardMapping', { filter: { tagIds: [T] } }], ['WardFilters'], ['Patient', { id: P }]]);
    const at = await commit([
      ['insert into admission (hospital_id, patient_id, ward_id, bed, admitted_at, discharged_at) values (1, ?, ?, ?, ?, null)', [Number(P), Number(W1), 'Bed EXT1', writer.time(new Date())]],
      ["update patient set status = 'INPATIENT' where id = ?", [Number(P)]],
    ]);
    const expected = await counts();
    await afterBound<{ dashboardStats: Json }>(at, 'Dashboard', {}, (d) => expect(d.dashboardStats).toMatchObject(expected));
    await afterBound<{ wardMapping: { wards: WardView[] } }>(at, 'WardMapping', {}, (d) => {
      expect(holder(wardsOf(d), P)).toEqual([W1]);
      expect(wardsOf(d).find((w) => w.ward.id === W1)?.patients).toContainEqual(expect.objectContaining({ patient: { id: P, name: pName }, bed: 'Bed EXT1' }));
    });
    await afterBound<{ wardMapping: { wards: WardView[] } }>(at, 'WardMapping', { filter: { search: pName } }, (d) => expect(holder(wardsOf(d), P)).toEqual([W1]));
    await afterBound<{ wardMapping: { wards: WardView[] } }>(at, 'WardMapping', { filter: { wardIds: [W1] } }, (d) => expect(holder(wardsOf(d), P)).toEqual([W1]));
    await afterBound<{ patient: PatientView }>(at, 'Patient', { id: P }, (d) => {
      expect(d.patient).toMatchObject({ status: 'INPATIENT', currentAdmission: { bed: 'Bed EXT1', ward: { id: W1 } } });
    });
  }, 120_000);

  it('a tag shows in the tag-filtered WardMapping and in Patient', async () => {
    const at = await commit([['insert into patient_tags (patient_id, tag_id) values (?, ?)', [Number(P), Number(T)]]]);
    await afterBound<{ wardMapping: { wards: WardView[] } }>(at, 'WardMapping', { filter: { tagIds: [T] } }, (d) => expect(holder(wardsOf(d), P)).toEqual([W1]));
    await afterBound<{ patient: PatientView }>(at, 'Patient', { id: P }, (d) => expect(d.patient.tags.map((t) => t.id)).toEqual([T]));
  }, 60_000);

  it('a clinical event moves the patient to the top of the recent patients (latest event kept by the database)', async () => {
    await warm([['Dashboard'], ['Patient', { id: P }]]);
    const when = new Date(Date.now() + 60_000);
    const at = await commit([["insert into clinical_event (hospital_id, patient_id, kind, occurred_at) values (1, ?, 'vitals', ?)", [Number(P), writer.time(when)]]]);
    await afterBound<{ recentPatients: Array<{ id: string; latestEventAt: string }> }>(at, 'Dashboard', {}, (d) => {
      expect(d.recentPatients[0]).toMatchObject({ id: P, latestEventAt: when.toISOString() });
    });
    await afterBound<{ patient: PatientView }>(at, 'Patient', { id: P }, (d) => expect(d.patient.latestEventAt).toBe(when.toISOString()));
  }, 60_000);

  it('a transfer to another ward and bed shows in WardMapping (whole and ward-filtered) and Patient', async () => {
    await warm([['WardMapping'], ['WardMapping', { filter: { wardIds: [W1] } }], ['Patient', { id: P }]]);
    const at = await commit([['update admission set ward_id = ?, bed = ? where patient_id = ? and discharged_at is null', [Number(W2), 'Bed EXT2', Number(P)]]]);
    await afterBound<{ wardMapping: { wards: WardView[] } }>(at, 'WardMapping', {}, (d) => expect(holder(wardsOf(d), P)).toEqual([W2]));
    await afterBound<{ wardMapping: { wards: WardView[] } }>(at, 'WardMapping', { filter: { wardIds: [W1] } }, (d) => expect(holder(wardsOf(d), P)).toEqual([]));
    await afterBound<{ patient: PatientView }>(at, 'Patient', { id: P }, (d) => expect(d.patient.currentAdmission).toMatchObject({ bed: 'Bed EXT2', ward: { id: W2 } }));
  }, 60_000);

  it('renames of a patient, a ward and a tag show in WardFilters, WardMapping and Patient', async () => {
    await warm([['WardFilters'], ['WardMapping'], ['WardMapping', { filter: { search: 'Renamed External' } }], ['Patient', { id: P }]]);
    const at = await commit([
      ["update patient set name = 'Renamed External' where id = ?", [Number(P)]],
      ["update ward set name = 'Zz External Ward' where id = ?", [Number(W2)]],
      ["update tag set name = 'Zz External Tag' where id = ?", [Number(T)]],
    ]);
    await afterBound<{ wardFilters: { wards: Json[]; tags: Json[] } }>(at, 'WardFilters', {}, (d) => {
      expect(d.wardFilters.wards).toContainEqual(expect.objectContaining({ id: W2, name: 'Zz External Ward' }));
      expect(d.wardFilters.tags).toContainEqual(expect.objectContaining({ id: T, name: 'Zz External Tag' }));
    });
    await afterBound<{ wardMapping: { wards: WardView[] } }>(at, 'WardMapping', {}, (d) => {
      const ward = wardsOf(d).find((w) => w.ward.id === W2);
      expect(ward?.ward.name).toBe('Zz External Ward');
      expect(ward?.patients).toContainEqual(expect.objectContaining({ patient: { id: P, name: 'Renamed External' }, tags: [expect.objectContaining({ id: T, name: 'Zz External Tag' })] }));
    });
    await afterBound<{ wardMapping: { wards: WardView[] } }>(at, 'WardMapping', { filter: { search: 'Renamed External' } }, (d) => expect(holder(wardsOf(d), P)).toEqual([W2]));
    await afterBound<{ patient: PatientView }>(at, 'Patient', { id: P }, (d) => {
      expect(d.patient).toMatchObject({ name: 'Renamed External', tags: [{ id: T, name: 'Zz External Tag' }], currentAdmission: { ward: { id: W2, name: 'Zz External Ward' } } });
    });
  }, 60_000);

  it('a discharge shows in Dashboard, WardMapping and Patient', async () => {
    await warm([['Dashboard'], ['WardMapping'], ['Patient', { id: P }]]);
    const at = await commit([
      ['update admission set discharged_at = ? where patient_id = ? and discharged_at is null', [writer.time(new Date()), Number(P)]],
      ["update patient set status = 'OUTPATIENT' where id = ?", [Number(P)]],
    ]);
    const expected = await counts();
    await afterBound<{ dashboardStats: Json }>(at, 'Dashboard', {}, (d) => expect(d.dashboardStats).toMatchObject(expected));
    await afterBound<{ wardMapping: { wards: WardView[] } }>(at, 'WardMapping', {}, (d) => expect(holder(wardsOf(d), P)).toEqual([]));
    await afterBound<{ patient: PatientView }>(at, 'Patient', { id: P }, (d) => expect(d.patient).toMatchObject({ status: 'OUTPATIENT', currentAdmission: null }));
  }, 60_000);

  if (kind !== 'postgresql') return;

  it('a change committed while every gateway is stopped is shown by the first read after a start, though Redis held the old answer', async () => {
    await warm([['Patient', { id: P }]]);
    const before = (await gql<{ patient: PatientView }>(live()[0], 'Patient', { id: P })).data.patient.name;
    await Promise.all(live().map((g) => g.process.stop(10_000)));
    await writer.run("update patient set name = 'Renamed While Stopped' where id = ?", [Number(P)]);
    // Redis still holds the old answer: a gateway without change capture serves it.
    const blind = await start('blind', false, { CHANGE_CAPTURE: 'off', WARM_JOBS: 'false' });
    expect(await gql<{ patient: PatientView }>(blind, 'Patient', { id: P })).toMatchObject({ data: { patient: { name: before } }, hit: true });
    await blind.process.stop(10_000);

    const A = await start('A2', false);
    const first = await gql<{ patient: PatientView }>(A, 'Patient', { id: P });
    expect(first.data.patient.name).toBe('Renamed While Stopped');
    expect(first.hit).toBe(false); // evicted at start, not served from Redis
    expect(await gql<{ patient: PatientView }>(A, 'Patient', { id: P })).toMatchObject({ data: { patient: { name: 'Renamed While Stopped' } }, hit: true });
    await start('B2', false);
  }, 3 * START_MS + 30_000);

  it('the reader is killed under a stream of writes: the other process takes over and no change is lost', async () => {
    const ready = async (g: Gateway) => (await (await fetch(`${g.url}/ready`)).json()) as { capture: { state: string; reader: boolean } };
    const [A, B] = live();
    const states = await Promise.all([ready(A), ready(B)]);
    expect(states.filter((s) => s.capture.reader)).toHaveLength(1);
    const reader = states[0].capture.reader ? A : B;
    const survivor = reader === A ? B : A;

    // Writer: a new name every 25 ms, each commit time recorded. Readers: the survivor, without pause.
    const commits: number[] = [];
    let writing = true;
    const writes = (async () => {
      for (let i = 0; writing; i++) {
        await writer.run('update patient set name = ? where id = ?', [`Stream ${i}`, Number(P)]);
        commits[i] = Date.now();
        await sleep(25);
      }
    })();
    const reads: Array<{ startedAt: number; seen: number }> = [];
    let reading = true;
    const readers = Array.from({ length: 3 }, async () => {
      while (reading) {
        const startedAt = Date.now();
        const name = (await gql<{ patient: PatientView }>(survivor, 'Patient', { id: P })).data.patient.name;
        reads.push({ startedAt, seen: name.startsWith('Stream ') ? Number(name.slice(7)) : -1 });
      }
    });
    await sleep(1500);
    reader.process.signal('SIGKILL');
    await reader.process.exited;
    const killedAt = Date.now();
    let tookOver = 0;
    while (!tookOver && Date.now() - killedAt < 10_000) {
      if ((await ready(survivor)).capture.reader) tookOver = Date.now();
      else await sleep(100);
    }
    await sleep(3000);
    writing = false;
    await writes;
    await sleep(BOUND_MS + 200);
    reading = false;
    await Promise.all(readers);

    expect(tookOver).toBeGreaterThan(0); // the survivor reads the log now
    // Every read that started a bound after a commit saw that commit or a later one; while the
    // reader is being replaced, CHANGE_CAPTURE_FAIL_CLOSED_MS (3 s) after it instead.
    const late = reads.filter((r) => {
      const bound = r.startedAt >= killedAt && r.startedAt <= tookOver + BOUND_MS ? FAIL_CLOSED_MS : BOUND_MS;
      const due = commits.filter((c) => c + bound <= r.startedAt).length - 1;
      return r.seen < due;
    });
    expect(late).toEqual([]);
    expect(reads.filter((r) => r.startedAt > killedAt).length).toBeGreaterThan(10);
    const last = commits.length - 1;
    const final = await gql<{ patient: PatientView }>(survivor, 'Patient', { id: P });
    expect(final.data.patient.name).toBe(`Stream ${last}`);
    const again = await gql<{ patient: PatientView }>(survivor, 'Patient', { id: P });
    expect(again).toMatchObject({ data: { patient: { name: `Stream ${last}` } }, hit: true }); // cached again: capture is reading
    process.stdout.write(`capture take-over after ${tookOver - killedAt} ms; ${commits.length} writes, ${reads.length} reads\n`);
  }, 120_000);
}

describe('external writes on an SQLite file, two gateway processes with their own caches', () => scenario('sqlite'));

describeWith('PostgreSQL')('external writes on PostgreSQL (a cluster the test starts, initdb defaults)', () => {
  describeWith('Redis')('two gateway processes sharing one Redis', () => scenario('postgresql'));
});
