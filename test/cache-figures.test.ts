import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { SignJWT } from 'jose';
import pino from 'pino';
import { createStore } from '../src/cache';
import { ConfigError, loadConfig } from '../src/config/config';
import { bucketBoundMs, createFigures, historyPoints, latencyBucket, operationRows, processRows, readPublishedFigures, type Figures } from '../src/figures';
import { op, seedForCache } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';
import { freePort, spawnProcess, waitForUrl, type ManagedProcess } from './support/processes';
import { describeWith, REDIS_TEST_URL } from './support/services';

/**
 * Per-operation and cluster-wide figures (src/figures): what one process records, what several
 * processes sharing a Redis publish and read back summed, and what the admin's cacheStats says
 * (figuresScope, operations, processes, history) through real gateway processes.
 */

const silent = pino({ level: 'silent' });
const CONTRACT = ['Dashboard', 'WardMapping', 'WardFilters', 'Patient', 'CacheStats'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `read` until `done(value)` (at most `timeoutMs`); returns the last value read. */
async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await read();
  while (!done(v) && Date.now() < deadline) {
    await sleep(50);
    v = await read();
  }
  return v;
}

function figuresOf(options: { redisUrl?: string | null; prefix?: string; retainMs?: number } = {}): Figures {
  return createFigures({ redisUrl: options.redisUrl ?? null, prefix: options.prefix ?? 'unused:', operations: CONTRACT, publishMs: 60_000, retainMs: options.retainMs ?? 3_600_000, logger: silent });
}

const sum = <T>(items: readonly T[], f: (t: T) => number) => items.reduce((a, t) => a + f(t), 0);

describe('the figures one process records', () => {
  it('counts hits, misses, age at hit and latencies per hospital and operation; anything outside the contract is `other`', async () => {
    const f = figuresOf();
    // Hospital 1: Dashboard 3 hits (ages 100, 200, 600 ms; 0.5, 1, 1 ms) and 2 misses (8, 64 ms).
    f.record('Dashboard', 1, 'hit', 100, 0.5);
    f.record('Dashboard', 1, 'hit', 200, 1);
    f.record('Dashboard', 1, 'hit', 600, 1);
    f.record('Dashboard', 1, 'miss', null, 8);
    f.record('Dashboard', 1, 'miss', null, 64);
    // Misses of WardMapping: 2 ms ×5, 16 ms ×4, 128 ms ×1: p50 is the 5th (2 ms), p95 the 10th (128 ms).
    for (const ms of [2, 2, 2, 2, 2, 16, 16, 16, 16, 128]) f.record('WardMapping', 1, 'miss', null, ms);
    f.record('MyOwnQuery', 1, 'hit', 50, 0.25); // not a contract name: other
    f.record('CacheStats', 1, 'none', null, 3); // uncached: a request, neither hit nor miss
    f.record('Dashboard', 1, 'stale', 9000, 1); // served stale: a request, neither hit nor miss
    f.record('Dashboard', 2, 'hit', 10, 1); // another hospital
    f.record('other', null, 'none', null, 1); // refused before its token: no hospital
    f.invalidated(1);
    f.invalidated(1);

    const figures = await f.read(1);
    expect(figures.scope).toBe('process');
    expect(operationRows(figures, [], f.operations)).toEqual([
      { operationName: 'Dashboard', hits: 3, misses: 2, hitRate: 0.6, entries: 0, bytes: 0, meanAgeAtHitMs: 300, missP50Ms: 8, missP95Ms: 64 },
      { operationName: 'WardMapping', hits: 0, misses: 10, hitRate: 0, entries: 0, bytes: 0, meanAgeAtHitMs: null, missP50Ms: 2, missP95Ms: 128 },
      { operationName: 'other', hits: 1, misses: 0, hitRate: 1, entries: 0, bytes: 0, meanAgeAtHitMs: 50, missP50Ms: null, missP95Ms: null },
    ]);
    const history = historyPoints(figures, 60);
    expect(history).toHaveLength(360);
    expect(history[359].at.getTime()).toBe(Math.floor(figures.at / 10_000) * 10_000);
    expect(history.map((p) => p.at.getTime() - history[0].at.getTime())).toEqual(Array.from({ length: 360 }, (_, i) => i * 10_000));
    expect({ requests: sum(history, (p) => p.requests), hits: sum(history, (p) => p.hits), misses: sum(history, (p) => p.misses), invalidations: sum(history, (p) => p.invalidations) }).toEqual({
      requests: 18,
      hits: 4,
      misses: 12,
      invalidations: 2,
    });
    expect(history.filter((p) => p.requests === 0).every((p) => p.hitRate === null && p.hitP95Ms === null && p.missP95Ms === null)).toBe(true);
    expect(processRows(figures)).toEqual([
      expect.objectContaining({ id: f.id, pid: process.pid, hits: 5, misses: 12, hitRate: 5 / 17, self: true }),
    ]);
    expect(operationRows(await f.read(2), [], f.operations)).toEqual([
      { operationName: 'Dashboard', hits: 1, misses: 0, hitRate: 1, entries: 0, bytes: 0, meanAgeAtHitMs: 10, missP50Ms: null, missP95Ms: null },
    ]);
    await f.close();
  });

  it('reads a percentile as the upper bound of its bucket: never below, at most 19% above', () => {
    for (const ms of [0.001, 0.3, 1, 3, 7.7, 250, 1234.5, 60_000]) {
      const bound = bucketBoundMs(latencyBucket(ms));
      expect(bound).toBeGreaterThanOrEqual(ms);
      expect(bound).toBeLessThanOrEqual(Math.max(ms, 1 / 64) * 2 ** 0.25 * (1 + 1e-12));
    }
    expect([1, 2, 4, 1024].map((ms) => bucketBoundMs(latencyBucket(ms)))).toEqual([1, 2, 4, 1024]);
    expect(bucketBoundMs(latencyBucket(1e9))).toBe(65_536); // past the last bound: "over 65 s"
  });

  it('joins the store census: entries and bytes per operation, names outside the contract (or none) as `other`', async () => {
    const f = figuresOf();
    f.record('Dashboard', 1, 'miss', null, 4);
    const rows = operationRows(await f.read(1), [
      { operationName: '', entries: 1, bytes: 10 },
      { operationName: 'Dashboard', entries: 2, bytes: 300 },
      { operationName: 'Mine', entries: 3, bytes: 40 },
      { operationName: 'WardFilters', entries: 1, bytes: 77 },
    ], f.operations);
    expect(rows).toEqual([
      { operationName: 'Dashboard', hits: 0, misses: 1, hitRate: 0, entries: 2, bytes: 300, meanAgeAtHitMs: null, missP50Ms: 4, missP95Ms: 4 },
      { operationName: 'WardFilters', hits: 0, misses: 0, hitRate: 0, entries: 1, bytes: 77, meanAgeAtHitMs: null, missP50Ms: null, missP95Ms: null },
      { operationName: 'other', hits: 0, misses: 0, hitRate: 0, entries: 4, bytes: 50, meanAgeAtHitMs: null, missP50Ms: null, missP95Ms: null },
    ]);
    await f.close();
  });
});

describe('figures settings', () => {
  it('FIGURES_PUBLISH_MS and FIGURES_RETAIN_SECONDS default to 5 s and an hour, and are checked', () => {
    expect(loadConfig({}).figures).toEqual({ publishMs: 5000, retainMs: 3_600_000 });
    expect(loadConfig({ FIGURES_PUBLISH_MS: '200', FIGURES_RETAIN_SECONDS: '3' }).figures).toEqual({ publishMs: 200, retainMs: 3000 });
    const problems = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problems({ FIGURES_PUBLISH_MS: '10' })).toEqual([expect.stringContaining('FIGURES_PUBLISH_MS')]);
    expect(problems({ FIGURES_PUBLISH_MS: 'soon' })).toEqual([expect.stringContaining('FIGURES_PUBLISH_MS')]);
    expect(problems({ FIGURES_RETAIN_SECONDS: '0' })).toEqual([expect.stringContaining('FIGURES_RETAIN_SECONDS')]);
    expect(problems({ FIGURES_PUBLISH_MS: '5000', FIGURES_RETAIN_SECONDS: '10' })).toEqual([
      'FIGURES_RETAIN_SECONDS: 10 must be at least three FIGURES_PUBLISH_MS (5000 ms)',
    ]);
  });
});

describeWith('Redis')('figures shared through Redis', () => {
  const prefix = `wardcache-figures-unit-${process.pid}-${Date.now()}:`;
  const open: Figures[] = [];
  afterAll(async () => {
    await Promise.all(open.map((f) => f.close()));
    const redis = new Redis(REDIS_TEST_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });
  const shared = async (retainMs = 3_600_000) => {
    const f = figuresOf({ redisUrl: REDIS_TEST_URL, prefix, retainMs });
    open.push(f);
    expect(await f.start()).toBe(true); // connected, and published once
    return f;
  };

  it('each process reads its own live figures plus every other process\'s last published ones, summed exactly', async () => {
    const A = await shared();
    const B = await shared();
    for (const ms of [2, 2, 2, 2, 2]) A.record('WardMapping', 1, 'miss', null, ms);
    A.record('Dashboard', 1, 'hit', 100, 1);
    A.invalidated(1);
    for (const ms of [16, 16, 16, 16, 128]) B.record('WardMapping', 1, 'miss', null, ms);
    B.record('Dashboard', 1, 'hit', 300, 0.5);
    B.record('Dashboard', 3, 'hit', 300, 0.5); // another hospital: not in hospital 1's figures
    expect(await A.publish()).toBe(true);
    expect(await B.publish()).toBe(true);
    A.record('Dashboard', 1, 'miss', null, 32); // after A published: live for A, unknown to B

    const fromA = await A.read(1);
    const fromB = await B.read(1);
    expect(fromA.scope).toBe('cluster');
    expect(operationRows(fromA, [], A.operations)).toEqual([
      { operationName: 'Dashboard', hits: 2, misses: 1, hitRate: 2 / 3, entries: 0, bytes: 0, meanAgeAtHitMs: 200, missP50Ms: 32, missP95Ms: 32 },
      // 2 ms ×5 (A) and 16 ms ×4, 128 ms (B): the merged p50 is the 5th (2), p95 the 10th (128).
      { operationName: 'WardMapping', hits: 0, misses: 10, hitRate: 0, entries: 0, bytes: 0, meanAgeAtHitMs: null, missP50Ms: 2, missP95Ms: 128 },
    ]);
    expect(operationRows(fromB, [], B.operations)).toEqual([
      { operationName: 'Dashboard', hits: 2, misses: 0, hitRate: 1, entries: 0, bytes: 0, meanAgeAtHitMs: 200, missP50Ms: null, missP95Ms: null },
      { operationName: 'WardMapping', hits: 0, misses: 10, hitRate: 0, entries: 0, bytes: 0, meanAgeAtHitMs: null, missP50Ms: 2, missP95Ms: 128 },
    ]);
    expect(processRows(fromA).map((p) => [p.id, p.hits, p.misses, p.self])).toEqual([
      [A.id, 1, 6, true],
      [B.id, 2, 5, false],
    ]);
    const history = historyPoints(fromA, 60);
    expect([sum(history, (p) => p.requests), sum(history, (p) => p.hits), sum(history, (p) => p.misses), sum(history, (p) => p.invalidations)]).toEqual([13, 2, 11, 1]);

    // From outside any gateway (the cache CLI): what both last published.
    const published = (await readPublishedFigures(REDIS_TEST_URL, prefix, [1])).get(1)!;
    expect(published.scope).toBe('cluster');
    expect(published.processes.map((p) => [p.id, p.self]).sort()).toEqual([[A.id, false], [B.id, false]].sort());
    expect(operationRows(published, [], A.operations).map((r) => [r.operationName, r.hits, r.misses])).toEqual([
      ['Dashboard', 2, 0],
      ['WardMapping', 0, 10],
    ]);
  });

  it('a process that stops is counted until its figures expire, then leaves the list and the sums', async () => {
    const stays = await shared();
    const goes = await shared(2000);
    stays.record('WardFilters', 7, 'hit', 10, 1);
    goes.record('WardFilters', 7, 'miss', null, 20);
    await goes.close(); // a last publication, then silence
    const before = await stays.read(7);
    expect(before.processes.map((p) => p.id)).toContain(goes.id);
    expect(operationRows(before, [], stays.operations).map((r) => [r.operationName, r.hits, r.misses])).toEqual([['WardFilters', 1, 1]]);

    const after = await eventually(() => stays.read(7), (f) => !f.processes.some((p) => p.id === goes.id));
    expect(after.processes.map((p) => p.id)).not.toContain(goes.id);
    expect(operationRows(after, [], stays.operations).map((r) => [r.operationName, r.hits, r.misses])).toEqual([['WardFilters', 1, 0]]);
  });

  it('reads this process\'s figures only (`process`) when Redis does not answer, and never fails', async () => {
    const f = figuresOf({ redisUrl: 'redis://127.0.0.1:1', prefix });
    open.push(f);
    expect(await f.start()).toBe(false);
    f.record('Dashboard', 1, 'hit', 5, 1);
    expect(await f.publish()).toBe(false);
    const figures = await f.read(1);
    expect(figures.scope).toBe('process');
    expect(processRows(figures).map((p) => [p.id, p.hits, p.self])).toEqual([[f.id, 1, true]]);
    await expect(readPublishedFigures('redis://127.0.0.1:1', prefix, [1])).rejects.toThrow();
  });
});

const STATS = `query Stats($minutes: Int) {
  cacheStats {
    hits misses figuresScope
    operations { operationName hits misses hitRate entries bytes meanAgeAtHitMs missP50Ms missP95Ms }
    processes { id version host pid startedAt lastHeardAt hits misses hitRate self }
    history(minutes: $minutes) { at requests hits misses hitRate hitP95Ms missP95Ms invalidations }
  }
}`;

interface OperationStats {
  operationName: string;
  hits: number;
  misses: number;
  hitRate: number;
  entries: number;
  bytes: number;
  meanAgeAtHitMs: number | null;
  missP50Ms: number | null;
  missP95Ms: number | null;
}
interface ProcessStats {
  id: string;
  version: string;
  host: string;
  pid: number;
  startedAt: string;
  lastHeardAt: string;
  hits: number;
  misses: number;
  hitRate: number;
  self: boolean;
}
interface HistoryStats {
  at: string;
  requests: number;
  hits: number;
  misses: number;
  hitRate: number | null;
  hitP95Ms: number | null;
  missP95Ms: number | null;
  invalidations: number;
}
interface Stats {
  hits: number;
  misses: number;
  figuresScope: string;
  operations: OperationStats[];
  processes: ProcessStats[];
  history: HistoryStats[];
}

const BOUNDS = new Set(Array.from({ length: 90 }, (_, i) => bucketBoundMs(i)));
const totals = (h: HistoryStats[]) => ({ requests: sum(h, (p) => p.requests), hits: sum(h, (p) => p.hits), misses: sum(h, (p) => p.misses), invalidations: sum(h, (p) => p.invalidations) });
/** What cannot be exact (real latencies and ages): a latency is one of the bucket bounds, p50 ≤ p95. */
function checkLatencies(rows: OperationStats[]): void {
  for (const r of rows) {
    for (const v of [r.missP50Ms, r.missP95Ms]) if (v !== null) expect(BOUNDS.has(v)).toBe(true);
    expect(r.missP50Ms === null).toBe(r.misses === 0);
    if (r.missP50Ms !== null && r.missP95Ms !== null) expect(r.missP50Ms).toBeLessThanOrEqual(r.missP95Ms);
    expect(r.meanAgeAtHitMs === null).toBe(r.hits === 0);
  }
}
const traffic = (rows: OperationStats[]) => rows.map((r) => [r.operationName, r.hits, r.misses]);

describe('cacheStats of a gateway without Redis', () => {
  let t: TestGateway;
  let admin: string;
  let viewer: string;
  beforeAll(async () => {
    t = await startTestGateway(testConfig(sqliteDatabase()));
    await seedForCache(t);
    [admin, viewer] = await Promise.all([t.token('admin'), t.token('viewer')]);
  });
  afterAll(() => t.close());

  it('says `process`, lists this process only, and joins the traffic to the store census', async () => {
    const read = async (name: string, variables: Record<string, unknown> = {}) => (await t.gql(op(name), variables, viewer, name)).body.extensions?.cache as { hit: boolean };
    expect([await read('Dashboard'), await read('Dashboard'), await read('WardFilters'), await read('WardFilters'), await read('WardFilters')].map((c) => c.hit)).toEqual([false, true, false, true, true]);
    const res = await t.gql<{ cacheStats: Stats }>(STATS, { minutes: 1 }, admin);
    expect(res.body.errors).toBeUndefined();
    const stats = res.body.data?.cacheStats as Stats;
    const census = await t.gateway.cache.store.census(1);
    const cached = (name: string) => census.find((c) => c.operationName === name) ?? { entries: 0, bytes: 0 };
    expect(census.map((c) => c.operationName).sort()).toEqual(['Dashboard', 'WardFilters']);
    expect(stats.figuresScope).toBe('process');
    expect(stats.operations.map(({ operationName, hits, misses, hitRate, entries, bytes }) => ({ operationName, hits, misses, hitRate, entries, bytes }))).toEqual([
      { operationName: 'Dashboard', hits: 1, misses: 1, hitRate: 0.5, entries: 1, bytes: cached('Dashboard').bytes },
      { operationName: 'WardFilters', hits: 2, misses: 1, hitRate: 2 / 3, entries: 1, bytes: cached('WardFilters').bytes },
    ]);
    expect(cached('Dashboard').bytes).toBeGreaterThan(0);
    checkLatencies(stats.operations);
    expect(stats.processes).toEqual([
      expect.objectContaining({ id: t.gateway.figures.id, version: '0.1.0', pid: process.pid, hits: 3, misses: 2, hitRate: 0.6, self: true }),
    ]);
    expect(stats.history).toHaveLength(6);
    // Every request of the hospital is in its ten seconds (seedForCache's writes were not requests).
    expect(totals(stats.history)).toEqual({ requests: 5, hits: 3, misses: 2, invalidations: 0 });
  });

  it('names a request sent without operationName by its document, as the store names its answer', async () => {
    const before = await t.gql<{ cacheStats: Stats }>(STATS, { minutes: 1 }, admin);
    const counts = (stats: Stats | undefined) => stats?.operations.find((o) => o.operationName === 'Patient') ?? { hits: 0, misses: 0 };
    const unnamed = async () => (await t.gql(op('Patient'), { id: '2' }, viewer)).body.extensions?.cache as { hit: boolean };
    expect([(await unnamed()).hit, (await unnamed()).hit]).toEqual([false, true]);
    const after = await t.gql<{ cacheStats: Stats }>(STATS, { minutes: 1 }, admin);
    expect(counts(after.body.data?.cacheStats)).toMatchObject({ hits: counts(before.body.data?.cacheStats).hits + 1, misses: counts(before.body.data?.cacheStats).misses + 1, entries: 1 });
    expect(after.body.data?.cacheStats.operations.find((o) => o.operationName === 'other')).toBeUndefined();
  });

  it('refuses minutes outside 1..60 (BAD_USER_INPUT), and a viewer (FORBIDDEN)', async () => {
    for (const minutes of [0, 61, -5]) {
      const res = await t.gql(STATS, { minutes }, admin);
      expect(res.body.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', `minutes must be 1 to 60 (got ${minutes})`]]);
    }
    const whole = await t.gql<{ cacheStats: Stats }>(STATS, {}, admin);
    expect(whole.body.data?.cacheStats.history).toHaveLength(360);
    const refused = await t.gql(STATS, { minutes: 5 }, viewer);
    expect(refused.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(refused.body.data ?? null).toBeNull();
  });
});

const SECRET = 'figures-processes-secret-0123456789-abcdef';
const START_MS = 120_000;
const PUBLISH_MS = 200;

interface Proc {
  name: string;
  url: string;
  process: ManagedProcess;
}

describeWith('Redis')('cluster-wide figures: two gateway processes sharing Redis and SQLite, and one without Redis', () => {
  const prefix = `wardcache-figures-${process.pid}-${Date.now()}:`;
  const procs: Proc[] = [];
  let A: Proc;
  let B: Proc;
  let viewer: string;
  let admin: string;
  let redis: Redis;

  const sign = (role: 'viewer' | 'admin') =>
    new SignJWT({ hospitalId: '1', role }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(`figures-${role}`).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));

  async function start(name: string, databaseUrl: string, env: Record<string, string>): Promise<Proc> {
    const port = await freePort();
    const proc = spawnProcess(`gateway ${name}`, join(__dirname, '..', 'node_modules', '.bin', 'tsx'), ['src/main.ts'], {
      cwd: join(__dirname, '..'),
      group: true,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        JWT_SECRET: SECRET,
        LOG_LEVEL: 'info',
        // Figures count requests and invalidations: nothing runs but the requests below (no
        // warming, no re-warm; no capture, whose replay of the demo data would invalidate).
        WARM_JOBS: 'false',
        CACHE_REWARM_DELAY_MS: '0',
        CHANGE_CAPTURE: 'off',
        CACHE_REDIS_TIMEOUT_MS: '1000',
        FIGURES_PUBLISH_MS: String(PUBLISH_MS),
        ...env,
      },
    });
    const p = { name, url: `http://127.0.0.1:${port}`, process: proc };
    procs.push(p);
    await proc.waitForLine('wardcache is serving', START_MS);
    await waitForUrl(`${p.url}/health`, { timeoutMs: 10_000 });
    return p;
  }

  /** As clients send it: with the operation's name (figures count under the name the client sends). */
  async function gql<T>(through: Proc, query: string, variables: Record<string, unknown>, token: string) {
    const operationName = /^\s*(?:query|mutation)\s+(\w+)/.exec(query)?.[1];
    const res = await fetch(`${through.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables, operationName }),
      signal: AbortSignal.timeout(15_000),
    });
    return (await res.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }>; extensions?: { cache?: { hit: boolean } } };
  }
  const hit = async (through: Proc, query: string, variables: Record<string, unknown> = {}) => {
    const res = await gql(through, query, variables, viewer);
    expect(res.errors).toBeUndefined();
    return res.extensions?.cache?.hit;
  };
  async function stats(through: Proc, minutes?: number): Promise<Stats> {
    const res = await gql<{ cacheStats: Stats }>(through, STATS, minutes === undefined ? {} : { minutes }, admin);
    if (res.errors) throw new Error(`cacheStats through ${through.name}: ${JSON.stringify(res.errors)}\n${through.process.output().slice(-4000)}`);
    return res.data?.cacheStats as Stats;
  }
  /** Until every publishing process has published at least one period after now (so after what came before). */
  async function published(count: number): Promise<void> {
    const after = Date.now() + PUBLISH_MS;
    const scores = await eventually(
      async () => (await redis.zrange(`${prefix}{figures}:processes`, 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number),
      (s) => s.length === count && s.every((score) => score > after),
    );
    expect(scores.every((score) => score > after)).toBe(true);
  }

  beforeAll(async () => {
    redis = new Redis(REDIS_TEST_URL);
    const databaseUrl = `file:${join(mkdtempSync(join(tmpdir(), 'wardcache-figures-')), 'shared.sqlite')}`;
    [viewer, admin] = await Promise.all([sign('viewer'), sign('admin')]);
    A = await start('A', databaseUrl, { REDIS_URL: REDIS_TEST_URL, CACHE_REDIS_PREFIX: prefix, DEMO_DATA: 'true' });
    // B's figures expire 3 s after its last publication (A's after an hour): the last test stops B.
    B = await start('B', databaseUrl, { REDIS_URL: REDIS_TEST_URL, CACHE_REDIS_PREFIX: prefix, DEMO_DATA: 'false', FIGURES_RETAIN_SECONDS: '3' });
  }, 2 * START_MS + 30_000);

  afterAll(async () => {
    const exits = await Promise.all(procs.map((p) => p.process.stop(5000)));
    for (const [i, exit] of exits.entries()) {
      if (exit.code !== 0) process.stderr.write(`gateway ${procs[i].name} exited ${JSON.stringify(exit)}:\n${procs[i].process.output().slice(-3000)}\n`);
    }
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }, 30_000);

  const MINE = 'query MyDashboard { dashboardStats { totalPatients } }';

  it('either process reports the sum of both, per operation, per process and per ten seconds', async () => {
    const started = Date.now();
    // Through A: Dashboard miss + 3 hits, WardFilters miss + hit, then an invalidation of WardFilters.
    expect([await hit(A, op('Dashboard')), await hit(A, op('Dashboard')), await hit(A, op('Dashboard')), await hit(A, op('Dashboard'))]).toEqual([false, true, true, true]);
    expect([await hit(A, op('WardFilters')), await hit(A, op('WardFilters'))]).toEqual([false, true]);
    const invalidated = await gql<{ invalidateCache: { invalidated: number } }>(A, op('InvalidateCache'), { entities: [{ typename: 'WardFilters', id: null }] }, admin);
    expect(invalidated.data?.invalidateCache.invalidated).toBe(1);
    // Through B: Dashboard hits (A's answer, through Redis), WardMapping miss + 2 hits, an operation outside the contract.
    expect([await hit(B, op('Dashboard')), await hit(B, op('Dashboard'))]).toEqual([true, true]);
    expect([await hit(B, op('WardMapping')), await hit(B, op('WardMapping')), await hit(B, op('WardMapping'))]).toEqual([false, true, true]);
    expect([await hit(B, MINE), await hit(B, MINE)]).toEqual([false, true]);
    const ended = Date.now();
    await published(2);

    const store = await createStore(testConfig(sqliteDatabase(), { redisUrl: REDIS_TEST_URL, cache: { ...testConfig(sqliteDatabase()).cache, redisPrefix: prefix } }), silent);
    const census = await store.census(1).finally(() => store.close());
    const cached = (name: string) => census.find((c) => c.operationName === name) ?? { entries: 0, bytes: 0 };
    expect(census.map((c) => [c.operationName, c.entries]).sort()).toEqual([['Dashboard', 1], ['MyDashboard', 1], ['WardMapping', 1]]);

    const fromA = await stats(A);
    await published(2); // A's read is a request of the hospital too: in B's view once A published it
    const fromB = await stats(B, 60);
    for (const [s, self, other, extraRequests] of [[fromA, A, B, 0], [fromB, B, A, 1]] as const) {
      expect(s.figuresScope).toBe('cluster');
      expect(s.operations.map(({ operationName, hits, misses, hitRate, entries, bytes }) => ({ operationName, hits, misses, hitRate, entries, bytes }))).toEqual([
        { operationName: 'Dashboard', hits: 5, misses: 1, hitRate: 5 / 6, entries: 1, bytes: cached('Dashboard').bytes },
        { operationName: 'WardMapping', hits: 2, misses: 1, hitRate: 2 / 3, entries: 1, bytes: cached('WardMapping').bytes },
        { operationName: 'WardFilters', hits: 1, misses: 1, hitRate: 0.5, entries: 0, bytes: 0 },
        { operationName: 'other', hits: 1, misses: 1, hitRate: 0.5, entries: 1, bytes: cached('MyDashboard').bytes },
      ]);
      checkLatencies(s.operations);
      const [me, them] = s.processes;
      expect(s.processes).toHaveLength(2);
      expect({ self: me.self, hits: me.hits, misses: me.misses }).toEqual({ self: true, hits: self === A ? 4 : 5, misses: 2 });
      expect({ self: them.self, hits: them.hits, misses: them.misses }).toEqual({ self: false, hits: other === A ? 4 : 5, misses: 2 });
      for (const p of s.processes) {
        expect({ version: p.version, host: p.host, hitRate: p.hitRate }).toEqual({ version: '0.1.0', host: hostname(), hitRate: p.hits / (p.hits + p.misses) });
        expect(Date.parse(p.startedAt)).toBeLessThan(started);
        expect(Date.parse(p.lastHeardAt)).toBeGreaterThan(ended);
      }
      expect(me.pid).not.toBe(them.pid); // (tsx runs the gateway as its child: not the spawned pid)
      // 14 requests: 12 reads, 1 invalidateCache, and (seen from B) A's cacheStats.
      expect(s.history).toHaveLength(360);
      expect(totals(s.history)).toEqual({ requests: 14 + extraRequests, hits: 9, misses: 4, invalidations: 1 });
      const busy = s.history.filter((p) => p.hits + p.misses > 0);
      for (const p of busy) {
        expect(Date.parse(p.at)).toBeGreaterThanOrEqual(Math.floor(started / 10_000) * 10_000);
        expect(Date.parse(p.at)).toBeLessThanOrEqual(ended);
        expect(p.hitRate).toBe(p.hits / (p.hits + p.misses));
      }
    }
    expect(fromA.processes[0].id).toBe(fromB.processes[1].id);
    expect(fromB.processes[0].id).toBe(fromA.processes[1].id);
  }, 60_000);

  it('a process without Redis reports its own figures only (`process`)', async () => {
    const alone = await start('C', `file:${join(mkdtempSync(join(tmpdir(), 'wardcache-figures-')), 'alone.sqlite')}`, { DEMO_DATA: 'true' });
    expect([await hit(alone, op('WardFilters')), await hit(alone, op('WardFilters'))]).toEqual([false, true]);
    const s = await stats(alone, 1);
    expect(s.figuresScope).toBe('process');
    expect(traffic(s.operations)).toEqual([['WardFilters', 1, 1]]);
    expect(s.operations[0].entries).toBe(1);
    expect(s.processes.map((p) => [p.hits, p.misses, p.self])).toEqual([[1, 1, true]]);
    expect(totals(s.history)).toEqual({ requests: 2, hits: 1, misses: 1, invalidations: 0 });
    await alone.process.stop(5000);
  }, START_MS + 30_000);

  it('a stopped process leaves the list, and the sums, once its figures expire', async () => {
    const exit = await B.process.stop(5000);
    expect(exit.code).toBe(0);
    const s = await eventually(() => stats(A), (x) => x.processes.length === 1);
    expect(s.processes.map((p) => [p.hits, p.misses, p.self])).toEqual([[4, 2, true]]);
    expect(traffic(s.operations)).toEqual([
      ['Dashboard', 3, 1],
      ['WardMapping', 0, 0], // cached by B, still in the shared store
      ['WardFilters', 1, 1],
      ['other', 0, 0],
    ]);
  }, 60_000);

  it('refuses a viewer (FORBIDDEN) and minutes outside 1..60 (BAD_USER_INPUT)', async () => {
    const refused = await gql(A, STATS, {}, viewer);
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const bad = await gql(A, STATS, { minutes: 61 }, admin);
    expect(bad.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});
