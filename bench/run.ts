/**
 * `npm run bench`: hit throughput and latency of the gateway against a bare node:http baseline
 * (bench/bare-server.ts), miss latency with SQL statements per miss, and type invalidation with
 * 100,000 unrelated answers in Redis. Prints one markdown table, also written to
 * bench/results/latest.md.
 *
 * On a 2-core machine: the server under test (gateway or baseline) on core 0; the load
 * generator (autocannon), Redis (our own instance, no persistence) and this driver on core 1.
 * Env: BENCH_SLICE (s, default 3) × BENCH_SLICES (default 2) per hit measurement after
 * BENCH_WARMUP (s, default 1), BENCH_PROFILE=1 (servers write CPU profiles into
 * bench/results/profiles/), BENCH_HITS_ONLY=1, BENCH_STORES=memory,redis, BENCH_REDIS_PORT (6391),
 * BENCH_REDIS_TIMEOUT_MS (the Redis store's command budget; default: the gateway's own, 50 ms),
 * BENCH_OPS=Dashboard,WardMapping.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { createTokenService } from '../src/auth/tokens';
import { loadContractOperations } from '../src/contract/operations';
import type { LoadSpec } from './load';
import { cpuPerResponse, cpuSummary, interleave, LOAD_CORE, SERVER_CORE, type Contender, type Measured } from './lib/hits';
import { cacheOutcome, closeAgent, post } from './lib/http';
import { benchInvalidation } from './lib/invalidation';
import { spawnPinned, type Pinned } from './lib/proc';
import { renderReport, type MissRow, type Report, type Stall } from './lib/report';
import { prepareDatabase } from './lib/seed';

type Store = 'memory' | 'redis';
const SECRET = 'wardcache-bench-secret-0123456789abcdef';
const CONNECTIONS = 32;
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const TIMING = { warmupS: num('BENCH_WARMUP', 1), sliceS: num('BENCH_SLICE', 3), slices: num('BENCH_SLICES', 2) };
const MISSES = 15;
const REDIS_PORT = num('BENCH_REDIS_PORT', 6391);
const HITS_ONLY = Boolean(process.env.BENCH_HITS_ONLY);
const STORES = (process.env.BENCH_STORES ?? 'memory,redis').split(',') as Store[];
/** 1 hospital, 47 wards of 20–40 beds (~1,400 beds, ~1,200 admitted): WardMapping ≈ 190 KB. */
const SEED = { hospitals: 1, wards: 47, patients: 2000, events: 4, seed: 7 };
const OPS = (process.env.BENCH_OPS ?? 'Dashboard,WardMapping').split(',');
const RESULTS = join(__dirname, 'results');

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** With BENCH_PROFILE set, a server writes CPU profiles (one per thread; the main thread's is the largest) when it stops. */
const profileArgs = (name: string) => (process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(RESULTS, 'profiles', name)}`] : []);

async function startRedis(): Promise<{ url: string; pid: number; stop: () => void }> {
  const args = ['-c', String(LOAD_CORE), 'redis-server', '--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const url = `redis://127.0.0.1:${REDIS_PORT}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  if (await client.connect().then(() => true, () => false)) {
    client.disconnect();
    throw new Error(`something already listens on port ${REDIS_PORT}: stop it or set BENCH_REDIS_PORT`);
  }
  const proc = spawn('taskset', args, { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (err) {
      if (i > 50 || proc.exitCode !== null) throw new Error(`redis-server on port ${REDIS_PORT} did not start: ${String(err)}`);
      await sleep(100);
    }
  }
  await client.flushall();
  client.disconnect();
  return { url, pid: proc.pid as number, stop: () => proc.kill('SIGTERM') };
}

async function main(): Promise<void> {
  if (cpus().length < 2) throw new Error('needs 2 cores: server on core 0, load on core 1');
  // This process and all its threads onto the load core: nothing of ours but the server on core 0.
  execFileSync('taskset', ['-a', '-cp', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
  mkdirSync(RESULTS, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'wardcache-bench-'));
  const dbPath = join(work, 'bench.sqlite');
  const seeded = await prepareDatabase(dbPath, SEED);
  log(`seeded ${JSON.stringify(seeded)}`);
  const redis = await startRedis();
  const children: Pinned[] = [];
  const report: Report = { header: [], hits: [], misses: [], invalidation: [] };
  try {
    await measureAll(dbPath, work, redis, children, report);
  } finally {
    for (const child of children) await child.stop().catch(() => undefined);
    redis.stop();
    closeAgent();
    rmSync(work, { recursive: true, force: true });
  }
  report.header = [
    `# wardcache bench, ${new Date().toISOString()}`,
    '',
    `Node ${process.version} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}. Server under test on core ${SERVER_CORE}; autocannon, Redis and the driver on core ${LOAD_CORE}.`,
    `Hits: ${CONNECTIONS} connections, the same POST (one viewer JWT, HS256, verified on every request), ${TIMING.warmupS} s warm-up, then ${TIMING.slices} × ${TIMING.sliceS} s slices alternating gateway and baseline.`,
    `Data: ${SEED.hospitals} hospital, ${seeded.wards} wards, ${seeded.admissions} admitted of ${seeded.patients} patients; SQLite; NODE_ENV=production.`,
  ];
  const text = renderReport(report);
  writeFileSync(join(RESULTS, 'latest.md'), text);
  process.stdout.write(text);
}

interface Bench {
  dbPath: string;
  work: string;
  redis: { url: string; pid: number };
  children: Pinned[];
  report: Report;
  load: Pinned;
  headers: Record<string, string>;
  bodies: Record<string, string>;
}

async function measureAll(dbPath: string, work: string, redis: { url: string; pid: number }, children: Pinned[], report: Report): Promise<void> {
  const token = await createTokenService(SECRET).sign({ sub: 'bench-viewer', hospitalId: '1', role: 'viewer' });
  const contract = loadContractOperations();
  const load = spawnPinned(LOAD_CORE, join(__dirname, 'load.ts'), {});
  children.push(load);
  await load.ready;
  const b: Bench = {
    dbPath,
    work,
    redis,
    children,
    report,
    load,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    bodies: Object.fromEntries(OPS.map((op) => [op, JSON.stringify({ operationName: op, query: contract.get(op), variables: {} })])),
  };
  for (const store of STORES) await measureStore(b, store);
  if (!HITS_ONLY) {
    log('type invalidation with 100,000 unrelated answers in Redis');
    report.invalidation = await benchInvalidation(redis.url, { unrelated: 100_000, tagged: 1_000, reps: 5 });
  }
}

async function start(b: Bench, script: string, env: Record<string, string>, profile: string): Promise<{ child: Pinned; url: string }> {
  const child = spawnPinned(SERVER_CORE, join(__dirname, script), env, profileArgs(profile));
  b.children.push(child);
  return { child, url: (await child.ready).url as string };
}

/** One store: the gateway and its baselines under hit load, then the gateway's misses. */
async function measureStore(b: Bench, store: Store): Promise<void> {
  const { bodies, headers, redis } = b;
  const gatewayEnv: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      JWT_SECRET: SECRET,
      DATABASE_URL: `file:${b.dbPath}`,
      PORT: '0',
      DEMO_DATA: 'false',
      // No background warming: it would answer the misses measured below and add SQL.
      WARM_JOBS: 'false',
      CACHE_REWARM_DELAY_MS: '0',
      ...(store === 'redis' ? { REDIS_URL: redis.url, CACHE_REDIS_PREFIX: 'wardcache-bench:' } : {}),
      // The store's Redis budget (default 50 ms, as in production) can be raised to measure hits alone.
      ...(process.env.BENCH_REDIS_TIMEOUT_MS ? { CACHE_REDIS_TIMEOUT_MS: process.env.BENCH_REDIS_TIMEOUT_MS } : {}),
  };
  const gateway = await start(b, 'gateway-server.ts', gatewayEnv, `gateway-${store}`);
  log(`gateway (${store}) at ${gateway.url}`);

  // Prime: the first request must be a miss and the second a hit; the hit's bytes are what the baseline serves.
  const routes: Array<{ request: string; key: string; file: string }> = [];
  const answers = new Map<string, Buffer>();
  for (const op of OPS) {
    const first = await post(`${gateway.url}/graphql`, bodies[op], headers);
    const second = await post(`${gateway.url}/graphql`, bodies[op], headers);
    if (first.status !== 200 || cacheOutcome(first)?.hit !== false || cacheOutcome(second)?.hit !== true) {
      throw new Error(`${op} (${store}): expected a miss, then a hit; got ${first.status} ${first.body.toString().slice(0, 300)}`);
    }
    answers.set(op, second.body);
    routes.push({ request: bodies[op], key: `bench:bare:${op}`, file: join(b.work, `${store}-${op}.json`) });
    writeFileSync(join(b.work, `${store}-${op}.json`), second.body);
  }
  if (store === 'redis') {
    const client = new Redis(redis.url);
    for (const [i, op] of OPS.entries()) await client.set(routes[i].key, answers.get(op) as Buffer);
    client.disconnect();
  }
  const routesFile = join(b.work, `${store}-routes.json`);
  writeFileSync(routesFile, JSON.stringify(routes));
  const bareEnv = { JWT_SECRET: SECRET, BARE_ROUTES: routesFile, BARE_STORE: store, REDIS_URL: redis.url };
  const bare = await start(b, 'bare-server.ts', bareEnv, `bare-${store}`);
  // For reference (memory only): the baseline with jose's HMAC check on every request.
  const uncached = store === 'memory' && !HITS_ONLY ? await start(b, 'bare-server.ts', { ...bareEnv, BARE_VERIFY_CACHE: '0' }, 'bare-uncached') : null;
  // The cost of the self-check at its default rate (CACHE_VERIFY_RATE, 0.1%): the same gateway with it off.
  const noVerify = store === 'memory' && !HITS_ONLY ? await start(b, 'gateway-server.ts', { ...gatewayEnv, CACHE_VERIFY_RATE: '0' }, 'gateway-noverify') : null;
  for (const op of noVerify ? OPS : []) {
    await post(`${noVerify!.url}/graphql`, bodies[op], headers);
    if (cacheOutcome(await post(`${noVerify!.url}/graphql`, bodies[op], headers))?.hit !== true) throw new Error(`${op}: the verify-off gateway did not cache`);
  }

  for (const op of OPS) {
    const check = await post(`${bare.url}/graphql`, bodies[op], headers);
    if (check.status !== 200 || !check.body.equals(answers.get(op) as Buffer)) throw new Error(`bare ${store} ${op}: not the gateway's bytes`);
    const contenders: Contender[] = [
      { label: 'gateway', server: gateway.child, url: gateway.url },
      { label: 'bare', server: bare.child, url: bare.url },
      ...(uncached ? [{ label: 'uncached', server: uncached.child, url: uncached.url }] : []),
      ...(noVerify ? [{ label: 'noverify', server: noVerify.child, url: noVerify.url }] : []),
    ];
    const spec = (url: string, durationS: number): LoadSpec => ({ url: `${url}/graphql`, body: bodies[op], headers, connections: CONNECTIONS, durationS });
    type Stats = { statements: number; misses: number; verifications: number };
    const before = await gateway.child.call<Stats>('stats');
    await gateway.child.call('loopDelay');
    await bare.child.call('redisTimes');
    const measured = await interleave(b.load, contenders, spec, { ...TIMING, redisPid: redis.pid });
    const [g, base] = measured;
    const u = uncached ? measured[2] : undefined;
    const nv = noVerify ? measured[contenders.length - 1] : undefined;
    const loopDelay = await gateway.child.call<Stall>('loopDelay');
    const redisGet = store === 'redis' ? await bare.child.call<Stall>('redisTimes') : undefined;
    const after = await gateway.child.call<Stats>('stats');
    // Every request under load must be a hit: a miss, or SQL beyond the sampled background
    // checks, means the run is not what it claims.
    const checks = after.verifications - before.verifications;
    const misses = Math.max(after.misses - before.misses, after.statements > before.statements && checks === 0 ? 1 : 0);
    const line = (m: Measured) => `${Math.round(m.rps)} req/s p99 ${m.p99.toFixed(2)} ms ${Math.round(cpuPerResponse(m))} µs/req (${cpuSummary(m)})`;
    log(`${op} ${store}: gateway ${line(g)}; bare ${line(base)}${u ? `; bare, jose every time ${line(u)}` : ''}`);
    b.report.hits.push({ op, store, answerBytes: (answers.get(op) as Buffer).length, gateway: g, gatewayMisses: misses, loopDelay, bare: base, bareUncached: u, redisGet, gatewayNoVerify: nv, verifications: checks });
  }
  await bare.child.stop();
  await uncached?.child.stop();
  await noVerify?.child.stop();

  // Misses one at a time: purge the scope, then time the request and count its SQL statements.
  for (const op of HITS_ONLY ? [] : OPS) {
    const row: MissRow = { op, store, samples: [], sqlPerMiss: [] };
    for (let i = 0; i < MISSES; i++) {
      await gateway.child.call('purge', { scope: 1 });
      const before = await gateway.child.call<{ statements: number }>('stats');
      const answer = await post(`${gateway.url}/graphql`, bodies[op], headers);
      const after = await gateway.child.call<{ statements: number }>('stats');
      if (answer.status !== 200 || cacheOutcome(answer)?.hit !== false) throw new Error(`${op} (${store}): expected a miss`);
      row.samples.push(answer.ms);
      row.sqlPerMiss.push(after.statements - before.statements);
    }
    b.report.misses.push(row);
  }
  await gateway.child.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
