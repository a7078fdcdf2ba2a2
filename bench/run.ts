/**
 * `npm run bench`: hit throughput and latency of the gateway with each store against two limits
 * (bench/bare-server.ts: bare node:http serving the same bytes from memory, `limit`, or from one
 * Redis GET, `limit-redis`), miss latency against a peer (bench/peer-server.ts, when present) on
 * the same data, and type invalidation with 100,000 unrelated answers in Redis. Prints the
 * issue's acceptance figures and the detail tables, also written to bench/results/latest.md.
 *
 * On a 2-core machine: the servers under test (gateways, limits, peer) on core 0; the load
 * generator (autocannon), Redis (our own instance, no persistence) and this driver on core 1.
 * Env: BENCH_SLICE (s, default 3) × BENCH_SLICES (default 2) per hit measurement after
 * BENCH_WARMUP (s, default 1), BENCH_PROFILE=1 (servers write CPU profiles into
 * bench/results/profiles/), BENCH_HITS_ONLY=1, BENCH_STORES=memory,redis,redis-local,
 * BENCH_OPS=Dashboard,WardMapping,WardMappingFiltered,WardFilters, BENCH_REDIS_PORT (6391),
 * BENCH_REDIS_TIMEOUT_MS (the default gateways' Redis read budget; unset: the gateway's own),
 * BENCH_PEER (the peer's script, default bench/peer-server.ts; `none`: no peer), BENCH_HTTP_ONLY=1
 * (only the HTTP-caching cases: plain, gzip, br and 304 GET hits of Dashboard and WardMapping on
 * the memory and redis-local gateways, bench/lib/encodings.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Redis from 'ioredis';
import { createTokenService } from '../src/auth/tokens';
import { loadContractOperations } from '../src/contract/operations';
import { initORM } from '../src/db/orm';
import type { LoadSpec } from './load';
import { cpuPerResponse, cpuSummary, interleave, LOAD_CORE, SERVER_CORE, type Contender, type Measured } from './lib/hits';
import { cacheOutcome, canonicalData, closeAgent, describe, firstDifference, post, type Answer } from './lib/http';
import { encodingLine, measureEncodings, renderEncodings, type EncodingRow } from './lib/encodings';
import { benchInvalidation } from './lib/invalidation';
import { spawnPinned, type Pinned } from './lib/proc';
import { renderReport, type GatewayHit, type GatewayStore, type MissRow, type PeerRow, type Report, type Stall } from './lib/report';
import { prepareDatabase } from './lib/seed';

const SECRET = 'wardcache-bench-secret-0123456789abcdef';
const CONNECTIONS = 32;
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const TIMING = { warmupS: num('BENCH_WARMUP', 1), sliceS: num('BENCH_SLICE', 3), slices: num('BENCH_SLICES', 2) };
/** Misses timed per case and server, one at a time, each after WARM_MISSES untimed ones. */
const MISSES = 15;
const WARM_MISSES = 3;
/** A peer that does not answer within this is given up on (the run goes on without it). */
const PEER_TIMEOUT_MS = 30_000;
const REDIS_PORT = num('BENCH_REDIS_PORT', 6391);
const HITS_ONLY = Boolean(process.env.BENCH_HITS_ONLY);
/** Only the HTTP-caching cases (compressed hits, 304s), on the memory and redis-local gateways unless BENCH_STORES says. */
const HTTP_ONLY = Boolean(process.env.BENCH_HTTP_ONLY);
const ALL_STORES: GatewayStore[] = ['memory', 'redis', 'redis-local'];
const STORES = (process.env.BENCH_STORES ?? (HTTP_ONLY ? 'memory,redis-local' : ALL_STORES.join(','))).split(',') as GatewayStore[];
/** The HTTP-caching cases: a large answer and a small one. */
const HTTP_CASES = ['WardMapping', 'Dashboard'];
/** Misses: the in-process store and the tiered Redis store (the plain Redis one adds nothing a miss shows). */
const MISS_STORES = STORES.filter((s) => s !== 'redis');
// The filtered map before the whole one: primed after it, its first request would already be a
// hit derived from the cached whole map (src/modules/ward/ward-mapping.derive.ts).
const CASES = ['Dashboard', 'WardMappingFiltered', 'WardMapping', 'WardFilters'];
const OPS = (process.env.BENCH_OPS ?? CASES.join(',')).split(',');
/** 1 hospital, 47 wards of 20–40 beds (~1,400 beds, ~1,200 admitted): WardMapping ≈ 190 KB. */
const SEED = { hospitals: 1, wards: 47, patients: 2000, events: 4, seed: 7 };
const RESULTS = join(__dirname, 'results');
/** The peer for misses; BENCH_PEER names another script, or `none` to leave it out. */
const PEER_SCRIPT = process.env.BENCH_PEER ?? join(__dirname, 'peer-server.ts');

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

/**
 * WardMappingFiltered's filter: the hospital's first ward and the first tag carried by a patient
 * admitted there, so the filtered map lists someone.
 */
async function pickFilter(dbPath: string): Promise<{ wardIds: string[]; tagIds: string[] }> {
  const orm = await initORM({ kind: 'sqlite', path: dbPath });
  try {
    const conn = orm.em.fork().getConnection();
    const [ward] = await conn.execute<Array<{ id: number | null }>>('select min(id) as id from ward where hospital_id = 1');
    const [tag] = await conn.execute<Array<{ id: number | null }>>(
      'select min(pt.tag_id) as id from admission a join patient_tags pt on pt.patient_id = a.patient_id where a.ward_id = ? and a.discharged_at is null',
      [ward?.id ?? 0],
    );
    if (ward?.id == null || tag?.id == null) throw new Error('the seeded data has no ward with a tagged admitted patient');
    return { wardIds: [String(ward.id)], tagIds: [String(tag.id)] };
  } finally {
    await orm.close(true);
  }
}

async function main(): Promise<void> {
  if (cpus().length < 2) throw new Error('needs 2 cores: server on core 0, load on core 1');
  for (const store of STORES) if (!ALL_STORES.includes(store)) throw new Error(`BENCH_STORES: unknown store ${store} (${ALL_STORES.join(', ')})`);
  for (const op of OPS) if (!CASES.includes(op)) throw new Error(`BENCH_OPS: unknown case ${op} (${CASES.join(', ')})`);
  // This process and all its threads onto the load core: nothing of ours but the servers on core 0.
  execFileSync('taskset', ['-a', '-cp', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
  mkdirSync(RESULTS, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'wardcache-bench-'));
  const dbPath = join(work, 'bench.sqlite');
  const seeded = await prepareDatabase(dbPath, SEED);
  const filter = await pickFilter(dbPath);
  log(`seeded ${JSON.stringify(seeded)}; WardMappingFiltered filter ${JSON.stringify(filter)}`);
  const redis = await startRedis();
  const children: Pinned[] = [];
  const report: Report = { header: [], warnings: [], hits: [], misses: [], peer: { rows: null, note: 'misses not measured' }, invalidation: [] };
  const started = Date.now();
  try {
    await measureAll({ dbPath, work, redis, children, report, filter });
  } catch (err) {
    report.failure = err instanceof Error ? err.message : String(err);
    log(`failed: ${err instanceof Error ? err.stack : String(err)}`);
  } finally {
    for (const child of children) await child.stop().catch(() => undefined);
    redis.stop();
    closeAgent();
    rmSync(work, { recursive: true, force: true });
  }
  const budget = process.env.BENCH_REDIS_TIMEOUT_MS;
  report.header = [
    `# wardcache bench, ${new Date().toISOString()} (${Math.round((Date.now() - started) / 1000)} s)`,
    '',
    `Node ${process.version} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}. Servers under test on core ${SERVER_CORE}; autocannon, Redis and the driver on core ${LOAD_CORE}.`,
    `Hits: ${CONNECTIONS} connections, the same POST (one viewer JWT, HS256, verified on every request). For each case, every server (the gateways of each store and the two limits) gets ${TIMING.warmupS} s of warm-up, then ${TIMING.slices} × ${TIMING.sliceS} s slices, all servers of the case alternating slice by slice (interleaved), so every ratio compares servers measured in the same stretch of time.`,
    `Gateway stores: memory (no REDIS_URL); redis (REDIS_URL, CACHE_LOCAL_MAX_MB=0: every hit reads its body from Redis); redis-local (REDIS_URL, default CACHE_LOCAL_MAX_MB: the in-process tier over Redis). Limits: bench/bare-server.ts, node:http with the same token check and the same bytes, from memory (limit) or one Redis GET (limit-redis).`,
    `Misses: one at a time after a purge, ${WARM_MISSES} untimed then ${MISSES} timed per case and server, alternating with the peer's requests. The peer is ${process.env.BENCH_PEER ? `BENCH_PEER=${process.env.BENCH_PEER}` : 'the in-repo bench/peer-server.ts'} on the same SQLite file; its p50 is the baseline of each miss ratio.`,
    `Data: ${SEED.hospitals} hospital, ${seeded.wards} wards, ${seeded.admissions} admitted of ${seeded.patients} patients; SQLite; NODE_ENV=production. WardMappingFiltered: WardMapping with filter ${JSON.stringify(filter)}.`,
    ...(budget ? [`**BENCH_REDIS_TIMEOUT_MS=${budget}**: the redis and redis-local gateways run with that read budget, not the default one.`] : []),
  ];
  const text = renderReport(report);
  writeFileSync(join(RESULTS, 'latest.md'), text);
  process.stdout.write(text);
  if (report.failure) process.exitCode = 1;
}

interface Bench {
  dbPath: string;
  work: string;
  redis: { url: string; pid: number };
  children: Pinned[];
  report: Report;
  filter: { wardIds: string[]; tagIds: string[] };
}

interface Server {
  label: string;
  child: Pinned;
  url: string;
}

interface Case {
  name: string;
  body: string;
  /** The same request as a GET's path and query. */
  get: string;
  /** The request as the report shows it. */
  request: string;
}

async function start(b: Bench, label: string, script: string, env: Record<string, string>): Promise<Server> {
  const child = spawnPinned(SERVER_CORE, join(__dirname, script), env, profileArgs(label));
  b.children.push(child);
  const url = (await child.ready).url as string;
  log(`${label} at ${url}`);
  return { label, child, url };
}

async function stop(b: Bench, server: Server | null | undefined): Promise<void> {
  if (!server) return;
  await server.child.stop();
  const i = b.children.indexOf(server.child);
  if (i >= 0) b.children.splice(i, 1);
}

async function measureAll(b: Bench): Promise<void> {
  const token = await createTokenService(SECRET).sign({ sub: 'bench-viewer', hospitalId: '1', role: 'viewer' });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const contract = loadContractOperations();
  const cases: Case[] = OPS.map((name) => {
    const operationName = name === 'WardMappingFiltered' ? 'WardMapping' : name;
    const variables = name === 'WardMappingFiltered' ? { filter: b.filter } : {};
    const query = contract.get(operationName);
    if (!query) throw new Error(`${operationName} is not in src/contract/operations.graphql`);
    const get = `/graphql?${new URLSearchParams({ query, operationName, variables: JSON.stringify(variables) }).toString()}`;
    return { name, body: JSON.stringify({ operationName, query, variables }), get, request: `${operationName}(${JSON.stringify(variables)})` };
  });
  const load = spawnPinned(LOAD_CORE, join(__dirname, 'load.ts'), {});
  b.children.push(load);
  await load.ready;

  // The gateways: one per store, and the extras measured beside them.
  const baseEnv: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    JWT_SECRET: SECRET,
    DATABASE_URL: `file:${b.dbPath}`,
    PORT: '0',
    DEMO_DATA: 'false',
    // No background warming: it would answer the misses measured below and add SQL.
    WARM_JOBS: 'false',
    CACHE_REWARM_DELAY_MS: '0',
  };
  const budget: Record<string, string> = process.env.BENCH_REDIS_TIMEOUT_MS ? { CACHE_REDIS_TIMEOUT_MS: process.env.BENCH_REDIS_TIMEOUT_MS } : {};
  // Each Redis gateway has a key prefix of its own: none may answer from another's entries.
  const storeEnv = (store: GatewayStore, label: string): Record<string, string> => ({
    ...baseEnv,
    ...(store === 'memory' ? {} : { REDIS_URL: b.redis.url, CACHE_REDIS_PREFIX: `wardcache-bench-${label}:`, ...budget }),
    ...(store === 'redis' ? { CACHE_LOCAL_MAX_MB: '0' } : {}),
  });
  const gateways = new Map<GatewayStore, Server>();
  for (const store of STORES) gateways.set(store, await start(b, `gateway-${store}`, 'gateway-server.ts', storeEnv(store, store)));
  // The cost of the self-check at its default rate (CACHE_VERIFY_RATE, 0.1%): the memory gateway with it off.
  const noVerify = gateways.has('memory') && !HITS_ONLY && !HTTP_ONLY ? await start(b, 'gateway-noverify', 'gateway-server.ts', { ...storeEnv('memory', 'noverify'), CACHE_VERIFY_RATE: '0' }) : null;
  // Default settings against a raised read budget: redis-local with CACHE_REDIS_TIMEOUT_MS=1000.
  const wardMapping = cases.find((c) => c.name === 'WardMapping');
  const budget1s =
    gateways.has('redis-local') && wardMapping && !HTTP_ONLY
      ? await start(b, 'gateway-redis-local-1s', 'gateway-server.ts', { ...storeEnv('redis-local', 'redis-local-1s'), CACHE_REDIS_TIMEOUT_MS: '1000' })
      : null;

  // Prime: each gateway's first request must be a miss and its second a hit. The first store's
  // hit bytes are what the limits serve; every gateway must answer the same data.
  const answers = new Map<string, Buffer>();
  const primed = async (server: Server, c: Case) => {
    const first = await post(`${server.url}/graphql`, c.body, headers);
    const second = await post(`${server.url}/graphql`, c.body, headers);
    if (first.status !== 200 || cacheOutcome(first)?.hit !== false || cacheOutcome(second)?.hit !== true) {
      throw new Error(`${c.name} on ${server.label}: expected a miss, then a hit; got ${describe(first)}, then ${describe(second)}`);
    }
    const reference = answers.get(c.name);
    if (!reference) {
      answers.set(c.name, second.body);
      return;
    }
    // Not fatal: admissionDays can step over midnight between two gateways' misses.
    const difference = firstDifference(canonicalData({ ...second, body: reference }) as string, canonicalData(second) as string);
    if (difference) b.report.warnings.push(`${c.name}: ${server.label}'s answer differs from ${[...gateways.values()][0].label}'s at ${difference}`);
  };
  for (const c of cases) {
    for (const server of gateways.values()) await primed(server, c);
    if (noVerify) await primed(noVerify, c);
    if (budget1s && c === wardMapping) await primed(budget1s, c);
  }

  const http = async () => {
    const rows: EncodingRow[] = [];
    for (const c of cases.filter((x) => HTTP_CASES.includes(x.name))) {
      // The plain Redis store (every hit a fresh Buffer: copies found by ETag) only when asked for by BENCH_HTTP_ONLY + BENCH_STORES.
      for (const server of [gateways.get('memory'), gateways.get('redis-local'), HTTP_ONLY ? gateways.get('redis') : undefined]) {
        if (!server) continue;
        log(`HTTP caching: ${c.name} on ${server.label}, plain / gzip / br / 304`);
        const measured = await measureEncodings(load, server, c.name, c.get, { authorization: headers.authorization }, { ...TIMING, redisPid: b.redis.pid });
        for (const row of measured) log(`  ${encodingLine(row)}`);
        rows.push(...measured);
        b.report.http = renderEncodings(rows);
      }
    }
  };
  if (HTTP_ONLY) return http();

  // The limits: every case's bytes by request body, in memory and in Redis.
  const routes = cases.map((c) => ({ request: c.body, key: `bench:bare:${c.name}`, file: join(b.work, `${c.name}.json`) }));
  for (const [i, c] of cases.entries()) writeFileSync(routes[i].file, answers.get(c.name) as Buffer);
  const client = new Redis(b.redis.url);
  for (const [i, c] of cases.entries()) await client.set(routes[i].key, answers.get(c.name) as Buffer);
  client.disconnect();
  const routesFile = join(b.work, 'routes.json');
  writeFileSync(routesFile, JSON.stringify(routes));
  const bareEnv = { JWT_SECRET: SECRET, BARE_ROUTES: routesFile, REDIS_URL: b.redis.url };
  const limit = await start(b, 'limit', 'bare-server.ts', { ...bareEnv, BARE_STORE: 'memory' });
  const limitRedis = await start(b, 'limit-redis', 'bare-server.ts', { ...bareEnv, BARE_STORE: 'redis' });
  // For reference: the limit with jose's HMAC check on every request.
  const limitJose = HITS_ONLY ? null : await start(b, 'limit-jose', 'bare-server.ts', { ...bareEnv, BARE_STORE: 'memory', BARE_VERIFY_CACHE: '0' });

  type Stats = { statements: number; misses: number; verifications: number };
  for (const c of cases) {
    for (const server of [limit, limitRedis, limitJose]) {
      if (!server) continue;
      const check = await post(`${server.url}/graphql`, c.body, headers);
      if (check.status !== 200 || !check.body.equals(answers.get(c.name) as Buffer)) throw new Error(`${server.label} ${c.name}: not the gateway's bytes`);
    }
    const measuredGateways: Array<{ store: GatewayStore; server: Server; variant?: string }> = [
      ...[...gateways].map(([store, server]) => ({ store, server })),
      ...(budget1s && c === wardMapping ? [{ store: 'redis-local' as const, server: budget1s, variant: 'CACHE_REDIS_TIMEOUT_MS=1000' }] : []),
    ];
    const contenders: Contender[] = [
      { label: 'limit', server: limit.child, url: limit.url },
      ...measuredGateways.map((g) => ({ label: g.server.label, server: g.server.child, url: g.server.url })),
      { label: 'limit-redis', server: limitRedis.child, url: limitRedis.url },
      ...(noVerify ? [{ label: noVerify.label, server: noVerify.child, url: noVerify.url }] : []),
      ...(limitJose ? [{ label: limitJose.label, server: limitJose.child, url: limitJose.url }] : []),
    ];
    const spec = (url: string, durationS: number): LoadSpec => ({ url: `${url}/graphql`, body: c.body, headers, connections: CONNECTIONS, durationS });
    const before = new Map<string, Stats>();
    for (const g of measuredGateways) {
      before.set(g.server.label, await g.server.child.call<Stats>('stats'));
      await g.server.child.call('loopDelay');
    }
    await limitRedis.child.call('redisTimes');
    log(`${c.name}: ${contenders.length} servers, ${TIMING.slices} × ${TIMING.sliceS} s each`);
    const measured = await interleave(load, contenders, spec, { ...TIMING, redisPid: b.redis.pid });
    const byLabel = new Map(contenders.map((ct, i) => [ct.label, measured[i]]));
    const redisGet = await limitRedis.child.call<Stall>('redisTimes');
    const line = (m: Measured) => `${Math.round(m.rps)} req/s p50 ${m.p50.toFixed(2)} p99 ${m.p99.toFixed(2)} ms ${Math.round(cpuPerResponse(m))} µs/req (${cpuSummary(m)})`;
    for (const [label, m] of byLabel) log(`  ${c.name} ${label}: ${line(m)}`);

    const hits: GatewayHit[] = [];
    for (const g of measuredGateways) {
      const loopDelay = await g.server.child.call<Stall>('loopDelay');
      const after = await g.server.child.call<Stats>('stats');
      const prior = before.get(g.server.label) as Stats;
      // Every request under load must be a hit: a miss, or SQL beyond the sampled background
      // checks, means the run is not what it claims.
      const checks = after.verifications - prior.verifications;
      const misses = Math.max(after.misses - prior.misses, after.statements > prior.statements && checks === 0 ? 1 : 0);
      const isMemory = g.store === 'memory' && !g.variant;
      hits.push({
        store: g.store,
        variant: g.variant,
        gateway: byLabel.get(g.server.label) as Measured,
        gatewayMisses: misses,
        statements: after.statements - prior.statements,
        loopDelay,
        noVerify: isMemory && noVerify ? byLabel.get(noVerify.label) : undefined,
        verifications: checks,
      });
    }
    b.report.hits.push({
      name: c.name,
      request: c.request,
      answerBytes: (answers.get(c.name) as Buffer).length,
      limit: byLabel.get('limit') as Measured,
      limitRedis: byLabel.get('limit-redis') as Measured,
      redisGet,
      limitJose: limitJose ? byLabel.get(limitJose.label) : undefined,
      gateways: hits.filter((h) => !h.variant),
      budget1s: hits.find((h) => h.variant),
    });
  }
  await http();
  for (const server of [limit, limitRedis, limitJose, noVerify, budget1s, gateways.get('redis')]) await stop(b, server);

  if (!HITS_ONLY) {
    await measureMisses(b, cases, headers, answers, MISS_STORES.map((s) => ({ store: s, server: gateways.get(s) as Server })));
    for (const server of gateways.values()) await stop(b, server);
    log('type invalidation with 100,000 unrelated answers in Redis');
    b.report.invalidation = await benchInvalidation(b.redis.url, { unrelated: 100_000, tagged: 1_000, reps: 5 });
  }
}

/** The peer, if bench/peer-server.ts exists and comes up; otherwise why not. */
async function startPeer(b: Bench): Promise<Server | string> {
  if (PEER_SCRIPT === 'none') return 'peer not available (BENCH_PEER=none)';
  if (!existsSync(PEER_SCRIPT)) return `peer not available (${relative(process.cwd(), PEER_SCRIPT)} does not exist)`;
  try {
    const child = spawnPinned(SERVER_CORE, PEER_SCRIPT, { JWT_SECRET: SECRET, DATABASE_URL: `file:${b.dbPath}` }, profileArgs('peer'));
    b.children.push(child);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('not ready within 60 s')), 60_000)));
    const ready = await Promise.race([child.ready, timeout]).finally(() => clearTimeout(timer));
    if (typeof ready.url !== 'string') throw new Error('its ready message has no url');
    log(`peer at ${ready.url}`);
    return { label: 'peer', child, url: ready.url };
  } catch (err) {
    return `peer not available (${relative(process.cwd(), PEER_SCRIPT)} did not start: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

/** The peer's SQL statement count, if it answers `stats` with one (bench/peer-server.ts does). */
async function peerStatements(peer: Server): Promise<number | undefined> {
  const stats = await peer.child.call<{ statements?: unknown }>('stats').catch(() => undefined);
  return typeof stats?.statements === 'number' ? stats.statements : undefined;
}

/**
 * Misses one at a time: purge the scope, then time the request and count its SQL statements;
 * the peer's requests alternate with them, so the machine's other load falls on both alike.
 */
async function measureMisses(b: Bench, cases: Case[], headers: Record<string, string>, answers: Map<string, Buffer>, gateways: Array<{ store: GatewayStore; server: Server }>): Promise<void> {
  const started = await startPeer(b);
  const peer = typeof started === 'string' ? null : started;
  b.report.peer = { rows: peer ? [] : null, note: typeof started === 'string' ? started : '' };
  if (!peer) log(b.report.peer.note);

  const gatewayMiss = async (g: { store: GatewayStore; server: Server }, c: Case) => {
    await g.server.child.call('purge', { scope: 1 });
    const before = await g.server.child.call<{ statements: number }>('stats');
    const answer = await post(`${g.server.url}/graphql`, c.body, headers);
    const after = await g.server.child.call<{ statements: number }>('stats');
    if (answer.status !== 200 || cacheOutcome(answer)?.hit !== false) throw new Error(`${c.name} (${g.store}): expected a miss, got ${describe(answer)}`);
    return { answer, sql: after.statements - before.statements };
  };

  for (const c of cases) {
    log(`misses ${c.name}`);
    const rows: MissRow[] = gateways.map((g) => ({ name: c.name, store: g.store, samples: [], sqlPerMiss: [] }));
    const peerRow: PeerRow | null = peer ? { name: c.name, samples: [], sqlPerRequest: [], difference: null, notes: [] } : null;
    let peerUp = peerRow !== null;
    // The peer's data is compared with a gateway answer computed just before it, not the one
    // cached minutes ago: admissionDays moves at each admission's anniversary of the hour.
    let fresh = answers.get(c.name) as Buffer;
    const peerRequest = async (timed: boolean) => {
      if (!peer || !peerRow || !peerUp) return;
      let answer: Answer;
      let sql: number | undefined;
      try {
        const before = await peerStatements(peer);
        answer = await post(`${peer.url}/graphql`, c.body, headers, PEER_TIMEOUT_MS);
        const after = await peerStatements(peer);
        if (before !== undefined && after !== undefined) sql = after - before;
      } catch (err) {
        peerUp = false;
        peerRow.notes.push(`**peer failed: ${err instanceof Error ? err.message : String(err)}**`);
        return;
      }
      const data = canonicalData(answer);
      if (answer.status !== 200 || data === null) {
        peerUp = false;
        peerRow.notes.push(`**peer answered ${describe(answer)}**`);
        return;
      }
      peerRow.difference ??= firstDifference(canonicalData({ ...answer, body: fresh }) as string, data);
      if (cacheOutcome(answer)?.hit === true && !peerRow.notes.includes('the peer says it answered from a cache')) peerRow.notes.push('the peer says it answered from a cache');
      if (timed) {
        peerRow.samples.push(answer.ms);
        if (sql !== undefined) peerRow.sqlPerRequest.push(sql);
      }
    };
    for (let i = 0; i < WARM_MISSES + MISSES; i++) {
      const timed = i >= WARM_MISSES;
      for (const [j, g] of gateways.entries()) {
        const miss = await gatewayMiss(g, c);
        fresh = miss.answer.body;
        if (timed) {
          rows[j].samples.push(miss.answer.ms);
          rows[j].sqlPerMiss.push(miss.sql);
        }
      }
      await peerRequest(timed);
    }
    b.report.misses.push(...rows);
    if (peerRow) b.report.peer.rows?.push(peerRow);
  }
  if (peer) await stop(b, peer);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
