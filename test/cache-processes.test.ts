import { join } from 'node:path';
import { SignJWT } from 'jose';
import { op } from './support/cache-fixture';
import { freePort, spawnProcess, waitForUrl, type ManagedProcess } from './support/processes';
import { describeWith, freshPostgresDatabase, REDIS_TEST_URL } from './support/services';

/**
 * Across processes: two real gateway processes (`tsx src/main.ts`) on one PostgreSQL database
 * and one Redis. A write through either process evicts what the other serves: the very next
 * read through the other process is a miss with the new data, never the cached old answer.
 */

const ROOT = join(__dirname, '..');
const SECRET = 'two-processes-secret-0123456789-abcdefghij';
/** Gateway start: tsx compiles on the fly and A fills the demo data into PostgreSQL. */
const START_MS = 120_000;

type Role = 'viewer' | 'clinician' | 'admin';
type CacheExt = { hit: boolean; ageMs: number };
interface Answer<T> {
  status: number;
  data: T;
  errors: unknown;
  cache: CacheExt | undefined;
}
interface DashboardData {
  dashboardStats: { totalPatients: number; inpatients: number; outpatients: number };
}
interface WardMappingData {
  wardMapping: {
    totalPatients: number;
    wards: Array<{
      ward: { id: string; name: string };
      patientCount: number;
      capacityEstimate: number;
      patients: Array<{ patient: { id: string; name: string }; bed: string }>;
    }>;
  };
}
interface PatientData {
  patient: { id: string; status: string; latestEventAt: string | null; currentAdmission: { bed: string; ward: { id: string } } | null };
}

function sign(role: Role): Promise<string> {
  return new SignJWT({ hospitalId: '1', role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(`two-proc-${role}`)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

interface Gateway {
  name: string;
  url: string;
  process: ManagedProcess;
}

describeWith('PostgreSQL')('across processes (PostgreSQL)', () => {
  describeWith('Redis')('two gateway processes sharing one Redis', () => {
    const gateways: Gateway[] = [];
    let A: Gateway;
    let B: Gateway;
    let viewer: string;
    let clinician: string;

    async function start(name: string, databaseUrl: string, prefix: string, demoData: boolean): Promise<Gateway> {
      const port = await freePort();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        REDIS_URL: REDIS_TEST_URL,
        CACHE_REDIS_PREFIX: prefix,
        JWT_SECRET: SECRET,
        DEMO_DATA: String(demoData),
        LOG_LEVEL: 'info',
        // What this suite shows is invalidation between processes. Answers only change through
        // the writes below: no background warming, no re-warm after a write.
        WARM_JOBS: 'false',
        CACHE_REWARM_DELAY_MS: '0',
        // A loaded CI box can take Redis past the 50 ms default (an "outage": the cache turns
        // off and hits vanish); the outage path has its own suite (cache-redis-faults).
        CACHE_REDIS_TIMEOUT_MS: '1000',
      };
      const proc = spawnProcess(`gateway ${name}`, join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], { cwd: ROOT, env, group: true });
      const gateway = { name, url: `http://127.0.0.1:${port}`, process: proc };
      gateways.push(gateway);
      await proc.waitForLine('wardcache is serving', START_MS);
      await waitForUrl(`${gateway.url}/health`, { timeoutMs: 10_000 });
      return gateway;
    }

    async function gql<T>(through: Gateway, query: string, variables: Record<string, unknown>, token: string): Promise<Answer<T>> {
      const res = await fetch(`${through.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await res.json()) as { data: T; errors?: unknown; extensions?: { cache?: CacheExt } };
      return { status: res.status, data: body.data, errors: body.errors, cache: body.extensions?.cache };
    }

    /** A successful answer's data (fails the test with the errors otherwise). */
    function ok<T>(a: Answer<T>): T {
      expect({ status: a.status, errors: a.errors }).toEqual({ status: 200, errors: undefined });
      return a.data;
    }

    const dashboard = (through: Gateway) => gql<DashboardData>(through, op('Dashboard'), {}, viewer);
    const wardMapping = (through: Gateway) => gql<WardMappingData>(through, op('WardMapping'), {}, viewer);
    const patient = (through: Gateway, id: string) => gql<PatientData>(through, op('Patient'), { id }, viewer);
    const register = (through: Gateway, name: string) =>
      gql<{ registerPatient: { id: string; status: string } }>(through, op('RegisterPatient'), { input: { name, status: 'OUTPATIENT' } }, clinician);

    beforeAll(async () => {
      const databaseUrl = await freshPostgresDatabase('wardcache_two_proc');
      const prefix = `wardcache-two-proc-${process.pid}-${Date.now()}:`;
      [viewer, clinician] = await Promise.all([sign('viewer'), sign('clinician')]);
      A = await start('A', databaseUrl, prefix, true); // migrates and fills the demo data
      B = await start('B', databaseUrl, prefix, false);
    }, 2 * START_MS + 30_000);

    afterAll(async () => {
      // SIGTERM (graceful shutdown), SIGKILL to the whole process group after 5 s.
      const exits = await Promise.all(gateways.map((g) => g.process.stop(5000)));
      for (const [i, exit] of exits.entries()) {
        if (exit.code !== 0) process.stderr.write(`gateway ${gateways[i].name} exited ${JSON.stringify(exit)}:\n${gateways[i].process.output().slice(-3000)}\n`);
      }
    }, 30_000);

    it('both serve the demo data from one database, and share cached answers through Redis', async () => {
      const fromA = ok(await dashboard(A));
      const fromB = await dashboard(B);
      expect(ok(fromB)).toEqual(fromA); // B answers A's stored answer
      expect(fromB.cache?.hit).toBe(true);
      expect(fromA.dashboardStats.totalPatients).toBeGreaterThan(0);
    });

    it('a RegisterPatient through A is in the very next Dashboard read through B', async () => {
      await dashboard(B);
      const cached = await dashboard(B);
      expect(cached.cache?.hit).toBe(true);
      const before = ok(cached).dashboardStats;

      const registered = ok(await register(A, 'Registered Through A')).registerPatient;
      expect(registered.status).toBe('OUTPATIENT');

      const after = await dashboard(B);
      expect(after.cache?.hit).toBe(false);
      expect(ok(after).dashboardStats).toMatchObject({ totalPatients: before.totalPatients + 1, outpatients: before.outpatients + 1 });
      const again = await dashboard(B);
      expect(again.cache?.hit).toBe(true); // and B caches the new answer
      expect(ok(again).dashboardStats.totalPatients).toBe(before.totalPatients + 1);
    });

    it('an AdmitPatient through A (outpatient into a free bed) is in the very next WardMapping read through B', async () => {
      // An outpatient (registered for this test) and a ward with room, from reads through B.
      const outpatient = ok(await register(A, 'Admitted Through A')).registerPatient;
      await wardMapping(B);
      const cached = await wardMapping(B);
      expect(cached.cache?.hit).toBe(true);
      const mapping = ok(cached).wardMapping;
      const ward = mapping.wards.find((w) => w.patientCount < w.capacityEstimate);
      if (!ward) throw new Error(`no ward with a free bed: ${JSON.stringify(mapping.wards.map((w) => [w.ward.name, w.patientCount, w.capacityEstimate]))}`);
      const taken = new Set(ward.patients.map((p) => p.bed));
      let bed = '';
      for (let i = 1; !bed; i++) if (!taken.has(`Bed T${i}`)) bed = `Bed T${i}`;
      expect(ward.patients.some((p) => p.patient.id === outpatient.id)).toBe(false);

      const admitted = ok(
        await gql<{ admitPatient: { bed: string; ward: { id: string }; patient: { id: string; status: string } } }>(
          A,
          op('AdmitPatient'),
          { input: { patientId: outpatient.id, wardId: ward.ward.id, bed } },
          clinician,
        ),
      ).admitPatient;
      expect(admitted).toMatchObject({ bed, ward: { id: ward.ward.id }, patient: { id: outpatient.id, status: 'INPATIENT' } });

      const after = await wardMapping(B);
      expect(after.cache?.hit).toBe(false);
      const wardAfter = ok(after).wardMapping.wards.find((w) => w.ward.id === ward.ward.id);
      expect(wardAfter?.patients).toContainEqual(expect.objectContaining({ patient: { id: outpatient.id, name: 'Admitted Through A' }, bed }));
      expect(wardAfter?.patientCount).toBe(ward.patientCount + 1);
      expect(ok(after).wardMapping.totalPatients).toBe(mapping.totalPatients + 1);
    });

    it('a write through B is in the very next read through A', async () => {
      const subject = ok(await register(B, 'Observed Through A')).registerPatient;
      await patient(A, subject.id);
      const cached = await patient(A, subject.id);
      expect(cached.cache?.hit).toBe(true);
      expect(ok(cached).patient.latestEventAt).toBeNull();
      await dashboard(A);
      const dashBefore = await dashboard(A);
      expect(dashBefore.cache?.hit).toBe(true);

      const occurredAt = new Date(Date.now() - 60_000).toISOString();
      const event = ok(
        await gql<{ recordEvent: { occurredAt: string; patient: { id: string; latestEventAt: string } } }>(
          B,
          op('RecordEvent'),
          { input: { patientId: subject.id, kind: 'observation', occurredAt } },
          clinician,
        ),
      ).recordEvent;
      expect(Date.parse(event.occurredAt)).toBe(Date.parse(occurredAt));

      const after = await patient(A, subject.id);
      expect(after.cache?.hit).toBe(false);
      expect(Date.parse(ok(after).patient.latestEventAt ?? '')).toBe(Date.parse(occurredAt));
      // The same write evicted A's cached Dashboard too (its recent-patients list changed).
      expect((await dashboard(A)).cache?.hit).toBe(false);
    });

    /** The summed `wardcache_cache_events_total{event}` of both processes. */
    async function events(name: string): Promise<number> {
      let total = 0;
      for (const g of [A, B]) {
        const text = await (await fetch(`${g.url}/metrics`)).text();
        const m = new RegExp(`^wardcache_cache_events_total\\{event="${name}"\\} (\\d+)`, 'm').exec(text);
        total += m ? Number(m[1]) : 0;
      }
      return total;
    }

    it('a cold start of 400 identical concurrent requests over both processes computes the answer once', async () => {
      // Evict it (a whole-answer invalidation through an admin, as an operator would).
      const admin = await sign('admin');
      ok(await gql(A, op('InvalidateCache'), { entities: [{ typename: 'WardMapping', id: null }] }, admin));
      const missesBefore = await events('miss');
      const answers = await Promise.all(Array.from({ length: 400 }, (_, i) => wardMapping(i % 2 ? A : B)));
      const bodies = new Set(answers.map((a) => JSON.stringify(ok(a))));
      expect(bodies.size).toBe(1);
      expect((await events('miss')) - missesBefore).toBe(1);
    });

    it('writes that do not feed an answer do not stop misses running meanwhile from being stored', async () => {
      const admin = await sign('admin');
      const subject = ok(await register(B, 'Busy Clinical Record')).registerPatient;
      const refusedBefore = await events('stale_skip');
      // Clinical events land through B without pause (an event feeds the dashboard, not the
      // ward map) while the ward map is evicted and recomputed through A, again and again.
      let writing = true;
      let written = 0;
      const writer = (async () => {
        while (writing) {
          const occurredAt = new Date(Date.now() - 1000 - written).toISOString();
          ok(await gql(B, op('RecordEvent'), { input: { patientId: subject.id, kind: 'vitals', occurredAt } }, clinician));
          written += 1;
        }
      })();
      const stored: boolean[] = [];
      try {
        for (let round = 0; round < 15; round++) {
          ok(await gql(A, op('InvalidateCache'), { entities: [{ typename: 'WardMapping', id: null }] }, admin));
          expect((await wardMapping(A)).cache?.hit).toBe(false);
          stored.push((await wardMapping(B)).cache?.hit === true);
        }
      } finally {
        writing = false;
        await writer;
      }
      expect(written).toBeGreaterThan(15);
      expect(stored).toEqual(Array.from({ length: 15 }, () => true));
      expect((await events('stale_skip')) - refusedBefore).toBe(0);
    });
  });
});
