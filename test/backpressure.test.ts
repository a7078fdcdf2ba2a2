/**
 * The bound on concurrent database work (src/backpressure): the limiter on its own, then a real
 * gateway on PostgreSQL with small limits whose reads are made slow for real — another
 * connection holds `LOCK TABLE patient IN ACCESS EXCLUSIVE MODE`, so every read of patients
 * blocks in the database until the test lets go.
 */
import { Client } from 'pg';
import { createDatabaseGate, createLimiter, LimiterRefusal, type Limiter, type Priority, type RefusalReason, type Slot } from '../src/backpressure';
import { ConfigError, loadConfig } from '../src/config/config';
import { POSTGRES_POOL_MAX } from '../src/db/pool';
import { op, seedForCache } from './support/cache-fixture';
import { startTestGateway, testConfig, type TestGateway } from './support/gateway';
import { describeWith, freshPostgresDatabase } from './support/services';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A task the test finishes by hand; it logs its name when the limiter lets it run. */
function task(log: string[], name: string) {
  let finish: (fail?: Error) => void = () => undefined;
  const done = new Promise<string>((resolve, reject) => (finish = (fail) => (fail ? reject(fail) : resolve(name))));
  return {
    work: () => {
      log.push(name);
      return done;
    },
    finish,
  };
}

const refusalOf = async (p: Promise<unknown>): Promise<RefusalReason | 'served'> => {
  try {
    await p;
    return 'served';
  } catch (err) {
    if (err instanceof LimiterRefusal) return err.reason;
    throw err;
  }
};

describe('createLimiter', () => {
  const fill = (limiter: Limiter, log: string[], names: string[], priority?: Priority) =>
    names.map((name) => {
      const t = task(log, name);
      return { ...t, result: limiter.run(t.work, priority) };
    });

  it('runs at most maxConcurrent at once and passes each freed slot to the oldest waiter', async () => {
    const limiter = createLimiter({ maxConcurrent: 2, maxQueue: 10, maxWaitMs: 5000 });
    const log: string[] = [];
    const tasks = fill(limiter, log, ['a', 'b', 'c', 'd', 'e']);
    await sleep(0);
    expect(log).toEqual(['a', 'b']);
    expect([limiter.inflight, limiter.queued]).toEqual([2, 3]);
    tasks[1].finish();
    await tasks[1].result;
    await sleep(0);
    expect(log).toEqual(['a', 'b', 'c']);
    expect([limiter.inflight, limiter.queued]).toEqual([2, 2]);
    for (const t of tasks) t.finish();
    await Promise.all(tasks.map((t) => t.result));
    expect(log).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect([limiter.inflight, limiter.queued]).toEqual([0, 0]);
  });

  it('serves high before normal before low, first come first served within each', async () => {
    const limiter = createLimiter({ maxConcurrent: 1, maxQueue: 10, maxWaitMs: 5000 });
    const log: string[] = [];
    const [first] = fill(limiter, log, ['first']);
    // Each logs its name when it is let in, so `log` is the order of service.
    const waiting = (
      [
        ['low1', 'low'],
        ['read1', 'normal'],
        ['read2', 'normal'],
        ['low2', 'low'],
        ['write1', 'high'],
        ['write2', 'high'],
      ] as Array<[string, Priority]>
    ).map(([name, priority]) => limiter.run(async () => void log.push(name), priority));
    expect([limiter.inflight, limiter.queued]).toEqual([1, 6]);
    first.finish();
    await Promise.all([first.result, ...waiting]);
    expect(log).toEqual(['first', 'write1', 'write2', 'read1', 'read2', 'low1', 'low2']);
    expect([limiter.inflight, limiter.queued]).toEqual([0, 0]);
  });

  it('refuses at once when the queue is full, unless a lower priority waiter can give up its place', async () => {
    const limiter = createLimiter({ maxConcurrent: 1, maxQueue: 2, maxWaitMs: 5000 });
    const log: string[] = [];
    const [running] = fill(limiter, log, ['running']);
    const [low] = fill(limiter, log, ['low'], 'low');
    const [read1] = fill(limiter, log, ['read1']);
    const t0 = performance.now();
    // A read into a full queue: the newest low-priority waiter makes room.
    const [read2] = fill(limiter, log, ['read2']);
    expect(await refusalOf(low.result)).toBe('displaced');
    // Reads only now: a read is refused, a write displaces the newest read.
    const [read3] = fill(limiter, log, ['read3']);
    expect(await refusalOf(read3.result)).toBe('queue_full');
    const [write] = fill(limiter, log, ['write'], 'high');
    expect(await refusalOf(read2.result)).toBe('displaced');
    // Writes only behind a write: a second write finds nothing lower to displace.
    const [write2] = fill(limiter, log, ['write2'], 'high');
    expect(await refusalOf(read1.result)).toBe('displaced');
    const [write3] = fill(limiter, log, ['write3'], 'high');
    expect(await refusalOf(write3.result)).toBe('queue_full');
    expect(performance.now() - t0).toBeLessThan(100); // refusals are immediate, not timeouts
    expect([limiter.inflight, limiter.queued]).toEqual([1, 2]);
    for (const t of [running, write, write2]) t.finish();
    await Promise.all([running.result, write.result, write2.result]);
    expect(log).toEqual(['running', 'write', 'write2']);
    expect([limiter.inflight, limiter.queued]).toEqual([0, 0]);
  });

  it('refuses a waiter after maxWaitMs and leaves the others in order', async () => {
    const limiter = createLimiter({ maxConcurrent: 1, maxQueue: 5, maxWaitMs: 80 });
    const log: string[] = [];
    const [running] = fill(limiter, log, ['running']);
    const t0 = performance.now();
    const [late] = fill(limiter, log, ['late']);
    expect(await refusalOf(late.result)).toBe('timeout');
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(70);
    expect(waited).toBeLessThan(1000);
    expect([limiter.inflight, limiter.queued]).toEqual([1, 0]);
    const [next] = fill(limiter, log, ['next']);
    running.finish();
    next.finish();
    await expect(next.result).resolves.toBe('next');
    expect(log).toEqual(['running', 'next']);
    expect([limiter.inflight, limiter.queued]).toEqual([0, 0]);
  });

  it('frees the slot however the work ends: rejection, synchronous throw, double release', async () => {
    const limiter = createLimiter({ maxConcurrent: 1, maxQueue: 0, maxWaitMs: 1000 });
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limiter.inflight).toBe(0);
    await expect(
      limiter.run(() => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    expect(limiter.inflight).toBe(0);
    const release = await limiter.acquire();
    expect(await refusalOf(limiter.acquire())).toBe('queue_full'); // maxQueue 0: no waiting at all
    release();
    release(); // a second call must not free a slot someone else holds
    const again = await limiter.acquire();
    expect(limiter.inflight).toBe(1);
    expect(await refusalOf(limiter.acquire())).toBe('queue_full');
    again();
    expect(limiter.inflight).toBe(0);
  });
});

describe('createDatabaseGate', () => {
  it('keeps background work to its share and behind every request', async () => {
    const shed: RefusalReason[] = [];
    const gate = createDatabaseGate({ maxConcurrent: 4, maxQueue: 4, maxWaitMs: 5000 }, (reason) => shed.push(reason));
    expect(gate.backgroundSlots).toBe(1);
    const log: string[] = [];
    const jobs = ['job1', 'job2', 'job3'].map((name) => {
      const t = task(log, name);
      return { ...t, result: gate.background(t.work) };
    });
    await sleep(0);
    // One of four slots, however much background work there is.
    expect(log).toEqual(['job1']);
    expect([gate.inflight, gate.queued]).toEqual([1, 0]);
    const reads = await Promise.all([gate.enter('read'), gate.enter('read'), gate.enter('read')]);
    expect(reads.map((r) => r.refused)).toEqual([undefined, undefined, undefined]);
    const release = (slot: Slot) => {
      if (!slot.refused) slot.release();
    };
    expect(gate.inflight).toBe(4);
    // A read waits; job1's slot goes to it, and job2 queues behind it.
    const queuedRead = gate.enter('read');
    expect(gate.queued).toBe(1);
    jobs[0].finish();
    expect((await queuedRead).refused).toBeUndefined();
    await until('job2 to queue', () => gate.queued === 1);
    expect(log).toEqual(['job1']);
    // A read that comes after job2 is still served before it.
    const lateRead = gate.enter('read');
    expect(gate.queued).toBe(2);
    release(reads[0]);
    expect((await lateRead).refused).toBeUndefined();
    expect(log).toEqual(['job1']);
    release(reads[1]);
    await until('job2 to run', () => log.length === 2);
    jobs[1].finish();
    await until('job3 to run', () => log.length === 3);
    jobs[2].finish();
    await Promise.all(jobs.map((j) => j.result));
    for (const slot of [reads[2], await queuedRead, await lateRead]) release(slot);
    expect([gate.inflight, gate.queued]).toEqual([0, 0]);
    expect(shed).toEqual([]);
  });

  it('reports each refused request once, and not the background work it displaced', async () => {
    const shed: RefusalReason[] = [];
    const gate = createDatabaseGate({ maxConcurrent: 2, maxQueue: 1, maxWaitMs: 5000 }, (reason) => shed.push(reason));
    const a = await gate.enter('read');
    const b = await gate.enter('read');
    const job = gate.background(async () => 'never');
    await until('the job to queue', () => gate.queued === 1);
    const queuedRead = gate.enter('read'); // displaces the job
    expect(await refusalOf(job)).toBe('displaced');
    expect((await gate.enter('read')).refused).toBe('queue_full');
    const write = gate.enter('write'); // displaces the queued read
    expect((await queuedRead).refused).toBe('displaced');
    expect(shed).toEqual(['queue_full', 'displaced']);
    for (const s of [a, b]) if (!s.refused) s.release();
    const w = await write;
    expect(w.refused).toBeUndefined();
    if (!w.refused) w.release();
    expect([gate.inflight, gate.queued]).toEqual([0, 0]);
  });
});

describe('DB_MAX_CONCURRENT, DB_QUEUE_MAX, DB_QUEUE_WAIT_MS', () => {
  it('default to the pool size, a queue of 200 and a 2 s wait, and refuse nonsense at start', () => {
    expect(loadConfig({}).backpressure).toEqual({ maxConcurrent: POSTGRES_POOL_MAX, maxQueue: 200, maxWaitMs: 2000 });
    expect(loadConfig({ DB_MAX_CONCURRENT: '4', DB_QUEUE_MAX: '0', DB_QUEUE_WAIT_MS: '500' }).backpressure).toEqual({ maxConcurrent: 4, maxQueue: 0, maxWaitMs: 500 });
    let error: unknown;
    try {
      loadConfig({ DB_MAX_CONCURRENT: '0', DB_QUEUE_MAX: '-1', DB_QUEUE_WAIT_MS: 'soon' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const name of ['DB_MAX_CONCURRENT', 'DB_QUEUE_MAX', 'DB_QUEUE_WAIT_MS']) expect((error as ConfigError).problems.join('\n')).toContain(name);
  });
});

interface Answer {
  status: number;
  retryAfter: string | null;
  requestId: string | null;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; extensions?: Record<string, unknown> };
  /** Milliseconds from when the request was sent. */
  ms: number;
}

describeWith('PostgreSQL')('bounded database work (a real gateway on PostgreSQL)', () => {
  // The wait bound leaves room for a loaded machine: queued requests must outlast the checks below.
  const LIMITS = { maxConcurrent: 2, maxQueue: 3, maxWaitMs: 3000 };
  let t: TestGateway;
  let databaseUrl: string;
  let viewer: string;
  let clinician: string;
  let observer: Client;

  beforeAll(async () => {
    databaseUrl = await freshPostgresDatabase('wardcache_backpressure');
    t = await startTestGateway(testConfig({ kind: 'postgresql', url: databaseUrl }, { backpressure: LIMITS }));
    await seedForCache(t);
    [viewer, clinician] = await Promise.all([t.token('viewer'), t.token('clinician')]);
    observer = new Client({ connectionString: databaseUrl });
    await observer.connect();
  }, 120_000);
  afterAll(async () => {
    await observer?.end().catch(() => undefined);
    await t?.close();
  });

  /** A GraphQL POST that cannot hang the suite: it gives up after 10 s. */
  async function post(query: string, variables: Record<string, unknown>, token: string): Promise<Answer> {
    const sent = performance.now();
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as Answer['body'];
    return { status: res.status, retryAfter: res.headers.get('retry-after'), requestId: res.headers.get('x-request-id'), body, ms: performance.now() - sent };
  }

  /** Requests fired together, with the answers that have arrived so far. */
  function fire(requests: Array<() => Promise<Answer>>) {
    const arrived: Answer[] = [];
    const all = Promise.all(requests.map((r) => r().then((a) => (arrived.push(a), a))));
    return { arrived, all };
  }

  // One root field, so one statement per request: each blocked statement is one executing request.
  const RECENT = 'query Recent($limit: Int!) { recentPatients(limit: $limit) { id name status } }';
  const recent = (limit: number) => () => post(RECENT, { limit }, viewer);

  /** Another connection takes the patient table: every read of patients blocks until `let go`. */
  async function lockPatients(): Promise<() => Promise<void>> {
    const locker = new Client({ connectionString: databaseUrl });
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table patient in access exclusive mode');
    return async () => {
      await locker.query('rollback');
      await locker.end();
    };
  }

  /** Gateway statements blocked on that lock right now: the requests actually executing. */
  async function blockedInDatabase(): Promise<number> {
    const r = await observer.query<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`);
    return Number(r.rows[0].n);
  }

  async function metric(name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
    if (!line) throw new Error(`no ${name}${labels} in /metrics`);
    return Number(line.split(' ').pop());
  }

  const gauges = async () => [await metric('wardcache_db_inflight'), await metric('wardcache_db_queue_length')];

  /** The bound reached for real: two statements blocked in PostgreSQL, three requests queued. */
  async function saturated(): Promise<void> {
    await until('2 executing and 3 queued', async () => (await blockedInDatabase()) === 2 && (await metric('wardcache_db_queue_length')) === 3);
  }

  function expectRefused(a: Answer): void {
    expect(a.status).toBe(503);
    expect(a.retryAfter).toBe('1');
    expect(a.requestId).toBeTruthy();
    expect(a.body.data).toBeUndefined();
    expect(a.body.errors).toEqual([{ message: expect.stringMatching(/at capacity/), extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true } }]);
  }

  function expectServed(a: Answer): void {
    expect(a.status).toBe(200);
    expect(a.body.errors).toBeUndefined();
    expect(a.body.data).toBeTruthy();
  }

  it('runs exactly the bound, queues the queue, refuses the rest at once, and serves the queue once the database answers', async () => {
    const shedBefore = await metric('wardcache_requests_shed_total', '{reason="queue_full"}');
    const letGo = await lockPatients();
    let released = false;
    try {
      const burst = fire(Array.from({ length: 10 }, (_, i) => recent(i + 1)));
      await saturated();
      await until('5 refusals', () => burst.arrived.length === 5);
      for (const a of burst.arrived) expectRefused(a);
      // Promptly: well before the wait bound, while the database is still blocked.
      expect(Math.max(...burst.arrived.map((a) => a.ms))).toBeLessThan(LIMITS.maxWaitMs / 2);
      await sleep(100);
      expect(burst.arrived).toHaveLength(5);
      expect(await blockedInDatabase()).toBe(2); // never more than the bound reached the database
      expect(await gauges()).toEqual([2, 3]);
      // Shedding is the process working as designed: it stays ready.
      expect((await fetch(`${t.url}/ready`)).status).toBe(200);

      await letGo();
      released = true;
      const answers = await burst.all;
      const served = answers.filter((a) => a.status === 200);
      expect(served).toHaveLength(5);
      for (const a of served) expectServed(a);
      expect(answers.filter((a) => a.status === 503)).toHaveLength(5);
      expect(await metric('wardcache_requests_shed_total', '{reason="queue_full"}')).toBe(shedBefore + 5);
      expect(await gauges()).toEqual([0, 0]);
    } finally {
      if (!released) await letGo();
    }
  });

  it('refuses a queued request once it has waited DB_QUEUE_WAIT_MS, and never later', async () => {
    const shedBefore = await metric('wardcache_requests_shed_total', '{reason="timeout"}');
    const letGo = await lockPatients();
    let released = false;
    try {
      const burst = fire(Array.from({ length: 5 }, (_, i) => recent(20 + i)));
      await saturated();
      await until('3 timeouts', () => burst.arrived.length === 3, LIMITS.maxWaitMs + 3000);
      for (const a of burst.arrived) {
        expectRefused(a);
        expect(a.ms).toBeGreaterThanOrEqual(LIMITS.maxWaitMs - 50);
        expect(a.ms).toBeLessThan(LIMITS.maxWaitMs + 1000);
      }
      expect(await metric('wardcache_requests_shed_total', '{reason="timeout"}')).toBe(shedBefore + 3);
      await letGo();
      released = true;
      const served = (await burst.all).filter((a) => a.status === 200);
      expect(served).toHaveLength(2); // the two that held the slots all along
      for (const a of served) expectServed(a);
      expect(await gauges()).toEqual([0, 0]);
    } finally {
      if (!released) await letGo();
    }
  });

  it('serves a write that arrives behind a full queue of reads: the newest read gives up its place', async () => {
    const displacedBefore = await metric('wardcache_requests_shed_total', '{reason="displaced"}');
    const letGo = await lockPatients();
    let released = false;
    try {
      const reads = fire(Array.from({ length: 5 }, (_, i) => recent(30 + i)));
      await saturated();
      const write = post(op('RegisterPatient'), { input: { name: 'Behind The Queue', status: 'OUTPATIENT' } }, clinician);
      await until('one read displaced', () => reads.arrived.length === 1);
      expectRefused(reads.arrived[0]);
      expect(await metric('wardcache_requests_shed_total', '{reason="displaced"}')).toBe(displacedBefore + 1);
      expect(await gauges()).toEqual([2, 3]); // the write holds the displaced read's place
      // Another read is refused; the write keeps its place.
      expectRefused(await recent(40)());

      await letGo();
      released = true;
      const written = await write;
      expectServed(written);
      expect(written.body.data).toMatchObject({ registerPatient: { name: 'Behind The Queue', status: 'OUTPATIENT' } });
      const answers = await reads.all;
      expect(answers.filter((a) => a.status === 200)).toHaveLength(4);
      expect(await gauges()).toEqual([0, 0]);
    } finally {
      if (!released) await letGo();
    }
  });

  it('answers cache hits, and requests joining an identical miss, without a slot while the database work is saturated', async () => {
    const cached = await post(op('Dashboard'), { recentLimit: 50 }, viewer);
    expectServed(cached);
    const shedBefore = await metric('wardcache_requests_shed_total', '{reason="queue_full"}');
    const letGo = await lockPatients();
    let released = false;
    try {
      const misses = fire(Array.from({ length: 5 }, (_, i) => recent(60 + i)));
      await saturated();
      // Identical to a request already executing or queued: they wait for its answer, not a slot.
      const joiners = fire(Array.from({ length: 4 }, () => recent(60)));
      const hits = await Promise.all(Array.from({ length: 5 }, () => post(op('Dashboard'), { recentLimit: 50 }, viewer)));
      for (const hit of hits) {
        expectServed(hit);
        expect(hit.body.extensions?.cache).toMatchObject({ hit: true });
        expect(hit.body.data).toEqual(cached.body.data);
        expect(hit.ms).toBeLessThan(LIMITS.maxWaitMs / 2);
      }
      expect(misses.arrived).toHaveLength(0);
      expect(joiners.arrived).toHaveLength(0);
      expect(await gauges()).toEqual([2, 3]);

      await letGo();
      released = true;
      for (const a of await misses.all) expectServed(a);
      const joined = await joiners.all;
      for (const a of joined) expectServed(a);
      expect(await metric('wardcache_requests_shed_total', '{reason="queue_full"}')).toBe(shedBefore);
    } finally {
      if (!released) await letGo();
    }
  });

  it('gives every slot back whatever the request did: errors, refusals, invalid documents', async () => {
    const answers = await Promise.all([
      post(op('DischargePatient'), { admissionId: '999999' }, clinician), // a resolver error (NOT_FOUND)
      post(RECENT, {}, viewer), // a missing variable: refused before execution
      post(RECENT, { limit: 0 }, viewer), // BAD_USER_INPUT from the resolver
      post('query { nope }', {}, viewer), // refused by validation
      post(op('AdmitPatient'), { input: { patientId: '999999', wardId: '1', bed: 'x' } }, clinician),
      post(op('RegisterPatient'), { input: { name: 'Viewer Cannot', status: 'OUTPATIENT' } }, viewer), // FORBIDDEN
    ]);
    for (const a of answers) expect(a.body.errors?.length).toBeGreaterThan(0);
    expect(await gauges()).toEqual([0, 0]);
    // And the gateway still runs its full bound.
    const letGo = await lockPatients();
    try {
      const burst = fire(Array.from({ length: 2 }, (_, i) => recent(80 + i)));
      await until('2 executing', async () => (await blockedInDatabase()) === 2);
      await letGo();
      for (const a of await burst.all) expectServed(a);
    } catch (err) {
      await letGo().catch(() => undefined);
      throw err;
    }
    expect(await gauges()).toEqual([0, 0]);
  });
});
