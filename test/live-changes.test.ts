import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, subscribe, validate } from 'graphql';
import { createClient } from 'graphql-sse';
import Redis from 'ioredis';
import { SignJWT } from 'jose';
import { loadContractOperations } from '../src/contract/operations';
import { buildSchema, buildTypeSchema } from '../src/graphql/schema';
import type { GraphQLContext } from '../src/graphql/context';
import { createChangeInterpreter } from '../src/live/changes';
import { createHub } from '../src/live/hub';
import { liveResolvers } from '../src/live/resolvers';
import { op } from './support/cache-fixture';
import { externalWriter, type ExternalWriter } from './support/external-writer';
import { freePort, spawnProcess, waitForUrl, type ManagedProcess } from './support/processes';
import { describeWith, freshPostgresDatabase, REDIS_TEST_URL } from './support/services';

/**
 * Live changes (POST /graphql/stream, the contract's DashboardChanges subscription over
 * graphql-sse). Real gateway processes (`src/main.ts`) on one database: on PostgreSQL they share
 * one Redis, and a write through one process, or a plain SQL write by another system, reaches
 * the streams opened through the other; on SQLite each has its in-process cache and hears the
 * others' writes through its own change capture. Streams are confined to the token's hospital,
 * refused without a valid token (401) and past LIVE_MAX_STREAMS (503 + Retry-After).
 */

const ROOT = join(__dirname, '..');
const SECRET = 'live-changes-secret-0123456789-abcdefghijk';
const START_MS = 120_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The subscription exactly as the contract writes it: the repo's copy of the operations (a test
 * in test/trusted-documents.test.ts keeps the ids equal to the shared contract's where it is there).
 */
const SUBSCRIPTION =
  loadContractOperations().get('DashboardChanges') ??
  (() => {
    throw new Error('the contract copy (src/contract/operations.graphql) has no DashboardChanges');
  })();

type Role = 'viewer' | 'clinician' | 'admin';
const sign = (role: Role, hospitalId = '1', expires: string | number = '2h', secret = SECRET) =>
  new SignJWT({ hospitalId, role }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(`live-${role}`).setIssuedAt().setExpirationTime(expires).sign(new TextEncoder().encode(secret));

interface Change {
  operations: string[];
  patientIds: string[];
  at: string;
}
interface Received extends Change {
  receivedAt: number;
}

/** A small SSE client over fetch: every `next` event, comments (heartbeats) counted. */
class Stream {
  readonly events: Received[] = [];
  readonly errors: unknown[] = [];
  comments = 0;
  completed = false;
  readonly openedAt = Date.now();
  private waiters = new Set<() => void>();

  constructor(
    private readonly abort: AbortController,
    body: ReadableStream<Uint8Array>,
  ) {
    void this.read(body);
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          this.block(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // aborted by close()
    } finally {
      this.completed = true;
      this.notify();
    }
  }

  private block(block: string): void {
    const lines = block.split('\n');
    if (lines.every((l) => l.startsWith(':'))) {
      this.comments += 1;
      return;
    }
    const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
    if (event === 'next') {
      const result = JSON.parse(data) as { data?: { dashboardChanges: Change }; errors?: unknown[] };
      if (result.data) this.events.push({ ...result.data.dashboardChanges, receivedAt: Date.now() });
      else this.errors.push(...(result.errors ?? []));
    } else if (event === 'complete') this.completed = true;
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves with the events once there are `n`; rejects after `timeoutMs`. */
  until(n: number, timeoutMs: number): Promise<Received[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.events.length >= n) return done(() => resolve(this.events.slice()));
        if (this.completed) return done(() => reject(new Error(`stream ended with ${this.events.length} events, waiting for ${n}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${this.events.length} events after ${timeoutMs} ms, waiting for ${n}: ${JSON.stringify(this.events)}`))), timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.abort.abort();
  }
}

interface Opened {
  status: number;
  headers: Headers;
  /** The refusal's body (JSON), when it is no stream. */
  json: { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } | null;
  stream: Stream | null;
}

async function openStream(base: string, authorization: string | null, query = SUBSCRIPTION, operationName: string | undefined = 'DashboardChanges'): Promise<Opened> {
  const abort = new AbortController();
  const res = await fetch(`${base}/graphql/stream`, {
    method: 'POST',
    headers: { accept: 'text/event-stream', 'content-type': 'application/json', ...(authorization === null ? {} : { authorization }) },
    body: JSON.stringify({ query, operationName }),
    signal: abort.signal,
  });
  if (res.status === 200 && res.body && (res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const stream = new Stream(abort, res.body);
    return { status: res.status, headers: res.headers, json: null, stream };
  }
  return { status: res.status, headers: res.headers, json: (await res.json()) as Opened['json'], stream: null };
}

const bearer = async (role: Role, hospitalId = '1') => `Bearer ${await sign(role, hospitalId)}`;

describe('what an invalidation means for the contract operations', () => {
  const interpret = createChangeInterpreter(buildTypeSchema(), loadContractOperations());

  it("the schema serves the contract's DashboardChanges exactly", () => {
    const schema = buildSchema();
    expect(validate(schema, parse(SUBSCRIPTION))).toEqual([]);
    const fields = schema.getType('DashboardChange')?.toConfig() as { fields: Record<string, { type: unknown }> };
    expect(Object.fromEntries(Object.entries(fields.fields).map(([name, f]) => [name, String(f.type)]))).toEqual({
      operations: '[String!]!',
      patientIds: '[ID!]!',
      at: 'DateTime!',
    });
    expect(String(schema.getSubscriptionType()?.getFields().dashboardChanges.type)).toBe('DashboardChange!');
  });

  it.each<[string, string[], { operations: string[]; patientIds: string[] } | null]>([
    // AdmitPatient: the admission (patient's currentAdmission, the ward map) and the status (counts).
    ['an admission', ['Patient:7#currentAdmission', 'Q:wardMapping', 'Patient:7#core', 'Q:dashboardStats'], { operations: ['Dashboard', 'WardMapping', 'Patient'], patientIds: ['7'] }],
    // A clinical event: the patient's latest event and the recent list; the ward map does not show it.
    ['a clinical event', ['Patient:7#latestEventAt', 'Q:recentPatients'], { operations: ['Dashboard', 'Patient'], patientIds: ['7'] }],
    ['a tag on a patient', ['Patient:12#tags', 'Q:wardMapping'], { operations: ['WardMapping', 'Patient'], patientIds: ['12'] }],
    // A transfer: the admission's own tag is named through its patient's.
    ['a transfer', ['Admission:3', 'Patient:7#currentAdmission', 'Q:wardMapping'], { operations: ['WardMapping', 'Patient'], patientIds: ['7'] }],
    ['an admission without its patient (never produced by FEEDS)', ['Admission:3'], { operations: ['Patient'], patientIds: [] }],
    // A ward renamed: shown in the Patient answers of every patient in it, whom no tag names.
    ['a ward renamed', ['Ward:2', 'Q:wardMapping', 'Q:wardFilters'], { operations: ['WardMapping', 'WardFilters', 'Patient'], patientIds: [] }],
    ['a tag renamed', ['Tag:4', 'Q:wardMapping', 'Q:wardFilters'], { operations: ['WardMapping', 'WardFilters', 'Patient'], patientIds: [] }],
    // A registration: the counts and recent list; an unknown id's null answer may now be a patient.
    ['a registration', ['Q:dashboardStats', 'Q:recentPatients', 'Q:patient:null'], { operations: ['Dashboard', 'Patient'], patientIds: [] }],
    ['two patients renamed, ids in order', ['Patient:10#core', 'Patient:9#core', 'Q:wardMapping'], { operations: ['Dashboard', 'WardMapping', 'Patient'], patientIds: ['9', '10'] }],
    ['a tag no operation shows', ['ClinicalEvent:5'], null],
  ])('%s', (_label, tags, expected) => {
    expect(interpret({ kind: 'tags', tags })).toEqual(expected);
  });

  it('a purge or a type invalidation: every operation, any patient', () => {
    const all = { operations: ['Dashboard', 'WardMapping', 'WardFilters', 'Patient'], patientIds: [] };
    expect(interpret({ kind: 'purge' })).toEqual(all);
    expect(interpret({ kind: 'type', typename: 'Ward' })).toEqual(all);
  });
});

describe('Subscription.dashboardChanges', () => {
  const principal = (hospitalId: number) => ({ auth: { ok: true, principal: { userId: 'u', hospitalId, role: 'viewer' } } }) as unknown as GraphQLContext;

  it('is guarded by the policy: no valid token, no subscription', async () => {
    const schema = buildSchema([liveResolvers(createHub())]);
    const result = await subscribe({ schema, document: parse(SUBSCRIPTION), contextValue: { auth: { ok: false, reason: 'missing Authorization header' } } });
    expect(JSON.parse(JSON.stringify(result))).toEqual({ errors: [expect.objectContaining({ message: 'missing Authorization header', extensions: { code: 'UNAUTHENTICATED' } })] });
  });

  it("hands over its hospital's changes only, and lets go of the hub when the client leaves", async () => {
    const hub = createHub();
    const schema = buildSchema([liveResolvers(hub)]);
    const result = await subscribe({ schema, document: parse(SUBSCRIPTION), contextValue: principal(1) });
    if (!(Symbol.asyncIterator in result)) throw new Error(`no stream: ${JSON.stringify(result)}`);
    expect(hub.hospitals()).toEqual([1]);
    const next = result.next();
    hub.deliver({ hospitalId: 2, operations: ['Dashboard'], patientIds: [], at: 1_700_000_000_000 });
    hub.deliver({ hospitalId: 1, operations: ['WardMapping', 'Patient'], patientIds: ['7'], at: 1_700_000_000_000 });
    expect(await next).toEqual({ done: false, value: { data: { dashboardChanges: { operations: ['WardMapping', 'Patient'], patientIds: ['7'], at: '2023-11-14T22:13:20.000Z' } } } });
    // Waiting for the next change when the client leaves: it ends at once, not at the next change.
    const pending = result.next();
    await result.return?.();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(hub.hospitals()).toEqual([]);
  });
});

interface Gateway {
  name: string;
  url: string;
  process: ManagedProcess;
}

function processes(kind: 'sqlite' | 'postgresql') {
  const gateways: Gateway[] = [];
  const prefix = `wardcache-live-${kind}-${process.pid}-${Date.now()}:`;
  const state = { databaseUrl: '' };

  async function start(name: string, demoData: boolean, extraEnv: NodeJS.ProcessEnv = {}): Promise<Gateway> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: state.databaseUrl,
      JWT_SECRET: SECRET,
      DEMO_DATA: String(demoData),
      WARM_JOBS: 'false',
      LOG_LEVEL: 'warn',
      ...(kind === 'postgresql' ? { REDIS_URL: REDIS_TEST_URL, CACHE_REDIS_PREFIX: prefix } : { REDIS_URL: '' }),
      ...extraEnv,
    };
    const proc = spawnProcess(`gateway ${name}`, join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], { cwd: ROOT, env, group: true });
    const gateway = { name, url: `http://127.0.0.1:${port}`, process: proc };
    gateways.push(gateway);
    await waitForUrl(`${gateway.url}/health`, { timeoutMs: START_MS });
    return gateway;
  }

  async function gql<T>(through: Gateway, name: string, variables: Record<string, unknown>, role: Role = 'clinician'): Promise<T> {
    const res = await fetch(`${through.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: await bearer(role) },
      body: JSON.stringify({ query: op(name), variables }),
    });
    const body = (await res.json()) as { data: T; errors?: unknown };
    if (res.status !== 200 || body.errors) throw new Error(`${name} through ${through.name}: ${res.status} ${JSON.stringify(body.errors)}`);
    return body.data;
  }

  async function metric(through: Gateway, line: RegExp): Promise<number> {
    const text = await (await fetch(`${through.url}/metrics`)).text();
    const found = text.split('\n').find((l) => line.test(l));
    return found ? Number(found.split(' ').pop()) : NaN;
  }

  const stopAll = () => Promise.all(gateways.map((g) => g.process.stop(5000)));
  return { state, prefix, start, gql, metric, stopAll };
}

/** A hospital-1 outpatient without an open admission, and a ward with a free bed. */
async function admissionTarget(writer: ExternalWriter): Promise<{ patientId: string; wardId: string }> {
  const [patient] = await writer.rows<{ id: number }>(
    "select id from patient where hospital_id = 1 and status = 'OUTPATIENT' and id not in (select patient_id from admission where discharged_at is null) order by id limit 1",
  );
  const [ward] = await writer.rows<{ id: number }>(
    'select w.id from ward w where w.hospital_id = 1 and (select count(*) from admission a where a.ward_id = w.id and a.discharged_at is null) < w.capacity order by w.id limit 1',
  );
  return { patientId: String(patient.id), wardId: String(ward.id) };
}

const within = (event: Received, from: number) => {
  const at = Date.parse(event.at);
  return at >= from - 5 && at <= event.receivedAt + 5;
};

describeWith('PostgreSQL')('live changes across processes (PostgreSQL, one Redis)', () => {
  describeWith('Redis')('two gateway processes', () => {
    const p = processes('postgresql');
    let A: Gateway;
    let B: Gateway;
    let writer: ExternalWriter;
    /** Hospital 2's stream through B, open for the whole suite. */
    let h2: Stream;
    const open: Stream[] = [];
    const track = (o: Opened) => {
      if (o.stream) open.push(o.stream);
      return o;
    };

    beforeAll(async () => {
      p.state.databaseUrl = await freshPostgresDatabase('wardcache_live');
      A = await p.start('A', true);
      B = await p.start('B', false);
      writer = await externalWriter({ kind: 'postgresql', url: p.state.databaseUrl });
      const opened = track(await openStream(B.url, await bearer('viewer', '2')));
      if (!opened.stream) throw new Error(`hospital 2's stream was refused: ${opened.status}`);
      h2 = opened.stream;
    }, 2 * START_MS + 30_000);

    afterAll(async () => {
      for (const s of open) s.close();
      await writer?.close();
      await p.stopAll();
    }, 30_000);

    it("a write through A reaches a stream opened through B within 2 s, and A's own stream (graphql-sse's client)", async () => {
      const { patientId, wardId } = await admissionTarget(writer);
      const onB = track(await openStream(B.url, await bearer('viewer')));
      expect(onB.status).toBe(200);
      expect(onB.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      // The standard client, distinct connections mode, on process A.
      const client = createClient({ url: `${A.url}/graphql/stream`, singleConnection: false, retryAttempts: 0, headers: { authorization: await bearer('viewer') } });
      const viaClient: Change[] = [];
      const clientErrors: unknown[] = [];
      const dispose = client.subscribe<{ dashboardChanges: Change }>(
        { query: SUBSCRIPTION, operationName: 'DashboardChanges' },
        { next: (r) => r.data && viaClient.push(r.data.dashboardChanges), error: (e) => clientErrors.push(e), complete: () => undefined },
      );
      await sleep(300); // the client's request is on its way
      const sent = Date.now();
      const admitted = await p.gql<{ admitPatient: { patient: { id: string; status: string } } }>(A, 'AdmitPatient', { input: { patientId, wardId, bed: 'LIVE-1' } });
      expect(admitted.admitPatient.patient).toEqual({ id: patientId, status: 'INPATIENT' });

      const stream = onB.stream as Stream;
      const [event] = await stream.until(1, 2000);
      expect(event.receivedAt - sent).toBeLessThan(2000);
      expect({ operations: event.operations, patientIds: event.patientIds }).toEqual({ operations: ['Dashboard', 'WardMapping', 'Patient'], patientIds: [patientId] });
      expect(within(event, sent)).toBe(true);
      await sleep(500);
      expect(stream.events).toHaveLength(1); // one commit, one event
      expect(viaClient.map((c) => ({ operations: c.operations, patientIds: c.patientIds }))).toEqual([{ operations: ['Dashboard', 'WardMapping', 'Patient'], patientIds: [patientId] }]);
      expect(viaClient[0].at).toBe(event.at); // one published event, heard by both processes
      expect(clientErrors).toEqual([]);
      dispose();
    }, 30_000);

    it('an external write (plain SQL) reaches the streams within 1 s of its commit', async () => {
      const onB = track(await openStream(B.url, await bearer('viewer')));
      const onA = track(await openStream(A.url, await bearer('clinician')));
      const [patient] = await writer.rows<{ id: number }>('select id from patient where hospital_id = 1 order by id limit 1');
      const sent = Date.now();
      await writer.run("update patient set name = 'Renamed Live' where id = ?", [patient.id]);
      const committed = Date.now();
      for (const o of [onB, onA]) {
        const [event] = await (o.stream as Stream).until(1, 1000);
        expect(event.receivedAt - committed).toBeLessThan(1000);
        expect({ operations: event.operations, patientIds: event.patientIds }).toEqual({ operations: ['Dashboard', 'WardMapping', 'Patient'], patientIds: [String(patient.id)] });
        // `at` is the change's commit (its write, by the database clock), not when it was evicted.
        const at = Date.parse(event.at);
        expect(at).toBeGreaterThanOrEqual(sent - 50);
        expect(at).toBeLessThanOrEqual(committed + 50);
      }
      // A ward renamed: its Patient answers cannot be named one by one, so "any patient".
      const [ward] = await writer.rows<{ id: number }>('select id from ward where hospital_id = 1 order by id limit 1');
      await writer.run("update ward set name = 'Zz Live Ward' where id = ?", [ward.id]);
      const [, renamed] = await (onB.stream as Stream).until(2, 1000);
      expect({ operations: renamed.operations, patientIds: renamed.patientIds }).toEqual({ operations: ['WardMapping', 'WardFilters', 'Patient'], patientIds: [] });
    }, 30_000);

    it("a stream of hospital 2 hears nothing of hospital 1's writes, and its own", async () => {
      const onB = track(await openStream(B.url, await bearer('viewer')));
      expect(h2.events).toEqual([]); // through both writes above
      const [other] = await writer.rows<{ id: number }>('select id from patient where hospital_id = 2 order by id limit 1');
      await writer.run("update patient set name = 'Hospital Two Live' where id = ?", [other.id]);
      const [event] = await h2.until(1, 1000);
      expect({ operations: event.operations, patientIds: event.patientIds }).toEqual({ operations: ['Dashboard', 'WardMapping', 'Patient'], patientIds: [String(other.id)] });
      await sleep(1000);
      expect(onB.stream?.events).toEqual([]);
      expect(h2.events).toHaveLength(1);
    }, 30_000);

    it.each<[string, () => Promise<string | null>]>([
      ['no token', async () => null],
      ['a malformed token', async () => 'Bearer not-a-jwt'],
      ['a token signed with another secret', async () => `Bearer ${await sign('viewer', '1', '1h', 'another-secret-another-secret-another-secret')}`],
      ['an expired token', async () => `Bearer ${await sign('viewer', '1', Math.floor(Date.now() / 1000) - 60)}`],
      ['a token with an unknown role', async () => `Bearer ${await new SignJWT({ hospitalId: '1', role: 'visitor' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET))}`],
    ])('%s: 401 with UNAUTHENTICATED, no stream', async (_label, header) => {
      const refused = await openStream(B.url, await header());
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect(refused.stream).toBeNull();
      expect(refused.json?.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    });

    it('refuses what is not the live stream: GET, no event-stream Accept, queries (served at /graphql)', async () => {
      expect((await fetch(`${B.url}/graphql/stream`, { headers: { accept: 'text/event-stream', authorization: await bearer('viewer') } })).status).toBe(405);
      const json = await fetch(`${B.url}/graphql/stream`, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json', authorization: await bearer('viewer') },
        body: JSON.stringify({ query: SUBSCRIPTION }),
      });
      expect(json.status).toBe(406);
      const query = await openStream(B.url, await bearer('viewer'), op('WardFilters'), 'WardFilters');
      expect(query.status).toBe(400);
      expect(query.json?.errors?.[0].message).toMatch(/served at \/graphql/);
    });

    it('a subscription sent to /graphql is refused and never cached', async () => {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${B.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: await bearer('viewer') },
          body: JSON.stringify({ query: SUBSCRIPTION }),
        });
        const body = (await res.json()) as { data: unknown; errors: Array<{ extensions: { code: string } }>; extensions?: { cache?: { hit: boolean } } };
        expect(body.errors.map((e) => e.extensions.code)).toEqual(['BAD_REQUEST']);
        expect(body.data).toBeNull();
        expect(body.extensions?.cache?.hit).not.toBe(true);
      }
    });

    it('LIVE_MAX_STREAMS=2: the third stream is refused with 503 and Retry-After; a closed one frees its place', async () => {
      const C = await p.start('C', false, { LIVE_MAX_STREAMS: '2' });
      const first = track(await openStream(C.url, await bearer('viewer')));
      const second = track(await openStream(C.url, await bearer('viewer', '2')));
      expect([first.status, second.status]).toEqual([200, 200]);
      const third = await openStream(C.url, await bearer('viewer'));
      expect(third.status).toBe(503);
      expect(third.headers.get('retry-after')).toBe('5');
      expect(third.json?.errors?.map((e) => e.extensions)).toEqual([{ code: 'SERVICE_UNAVAILABLE', retryable: true }]);
      expect(await p.metric(C, /^wardcache_live_streams /)).toBe(2);
      expect(await p.metric(C, /^wardcache_live_streams_refused_total\{reason="limit"\}/)).toBe(1);
      // The two open streams still work: a write through A reaches C's hospital-1 stream.
      const [patient] = await writer.rows<{ id: number }>('select id from patient where hospital_id = 1 order by id desc limit 1');
      await p.gql(A, 'RecordEvent', { input: { patientId: String(patient.id), kind: 'note' } });
      const [event] = await (first.stream as Stream).until(1, 2000);
      expect({ operations: event.operations, patientIds: event.patientIds }).toEqual({ operations: ['Dashboard', 'Patient'], patientIds: [String(patient.id)] });
      first.stream?.close();
      for (let i = 0; i < 50 && (await p.metric(C, /^wardcache_live_streams /)) !== 1; i++) await sleep(50);
      const again = track(await openStream(C.url, await bearer('viewer')));
      expect(again.status).toBe(200);
    }, START_MS + 30_000);

    it('metrics count what B sent, and graphql-sse keeps an idle stream alive with a comment every 12 s', async () => {
      expect(await p.metric(B, /^wardcache_live_events_sent_total /)).toBeGreaterThanOrEqual(5);
      expect(await p.metric(B, /^wardcache_live_streams_refused_total\{reason="unauthenticated"\}/)).toBe(5);
      await sleep(Math.max(0, h2.openedAt + 12_500 - Date.now()));
      expect(h2.comments).toBeGreaterThanOrEqual(2); // the first at once, then the heartbeat
      expect(h2.completed).toBe(false);
    }, 30_000);

    it('when a process loses its Redis subscription, its streams are told that anything may have changed', async () => {
      const onB = track(await openStream(B.url, await bearer('viewer')));
      const redis = new Redis(REDIS_TEST_URL);
      try {
        const list = String(await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
        const ours = list.split('\n').filter((l) => l.includes(` name=${p.prefix}live-subscriber-`)).map((l) => /\bid=(\d+)/.exec(l)?.[1]);
        expect(ours.length).toBeGreaterThanOrEqual(2); // A, B (and C)
        for (const id of ours) await redis.call('CLIENT', 'KILL', 'ID', String(id));
      } finally {
        redis.disconnect();
      }
      const [event] = await (onB.stream as Stream).until(1, 5000);
      expect({ operations: event.operations, patientIds: event.patientIds }).toEqual({ operations: ['Dashboard', 'WardMapping', 'WardFilters', 'Patient'], patientIds: [] });
      // Listening again: a write through A reaches B's stream as before.
      const [patient] = await writer.rows<{ id: number }>('select id from patient where hospital_id = 1 order by id desc limit 1');
      await p.gql(A, 'RecordEvent', { input: { patientId: String(patient.id), kind: 'note' } });
      const [, next] = await (onB.stream as Stream).until(2, 2000);
      expect({ operations: next.operations, patientIds: next.patientIds }).toEqual({ operations: ['Dashboard', 'Patient'], patientIds: [String(patient.id)] });
    }, 30_000);
  });
});

describe('live changes across processes (SQLite, in-process caches)', () => {
  const p = processes('sqlite');
  let A: Gateway;
  let B: Gateway;
  let writer: ExternalWriter;
  const open: Stream[] = [];

  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'wardcache-live-')), 'live.sqlite');
    p.state.databaseUrl = `file:${path}`;
    A = await p.start('A', true);
    B = await p.start('B', false);
    writer = await externalWriter({ kind: 'sqlite', path });
  }, 2 * START_MS + 30_000);

  afterAll(async () => {
    for (const s of open) s.close();
    await writer?.close();
    await p.stopAll();
  }, 30_000);

  it("a write through A reaches A's streams (its own eviction) and B's (B's change capture), and so does an external one", async () => {
    const streams = await Promise.all([openStream(A.url, await bearer('viewer')), openStream(B.url, await bearer('viewer'))]);
    for (const s of streams) if (s.stream) open.push(s.stream);
    const [onA, onB] = streams.map((s) => s.stream as Stream);
    const { patientId, wardId } = await admissionTarget(writer);
    const sent = Date.now();
    await p.gql(A, 'AdmitPatient', { input: { patientId, wardId, bed: 'LIVE-S' } });
    for (const s of [onA, onB]) {
      const [event] = await s.until(1, 2000);
      expect(event.receivedAt - sent).toBeLessThan(2000);
      expect({ operations: event.operations, patientIds: event.patientIds }).toEqual({ operations: ['Dashboard', 'WardMapping', 'Patient'], patientIds: [patientId] });
    }
    await writer.run("update patient set name = 'Renamed Sqlite' where id = ?", [Number(patientId)]);
    const committed = Date.now();
    for (const s of [onA, onB]) {
      const [, event] = await s.until(2, 1000);
      expect(event.receivedAt - committed).toBeLessThan(1000);
      expect({ operations: event.operations, patientIds: event.patientIds }).toEqual({ operations: ['Dashboard', 'WardMapping', 'Patient'], patientIds: [patientId] });
    }
    await sleep(300);
    expect([onA.events.length, onB.events.length]).toEqual([2, 2]);
  }, 30_000);
});
