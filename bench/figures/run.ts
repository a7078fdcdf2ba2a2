/**
 * `npm run bench:figures`: what recording the per-operation figures (src/figures) costs a cache
 * hit. Two parts:
 *
 * 1. In process (bench/figures/recorder.ts): the request observer with and without the figures
 *    on a stream of hit records → ns and bytes allocated per request, the difference being the
 *    figures' share (no bytes: nothing is allocated per request).
 * 2. Over HTTP, as bench/run.ts measures hits: the same gateway with its requests recorded
 *    (`figures`) and not (`no figures`, GatewayOptions.recordFigures = false), for the memory
 *    store and the tiered Redis store (publishing every FIGURES_PUBLISH_MS, default 5 s), beside
 *    `limit` (bench/bare-server.ts: node:http serving the same bytes after the same token check),
 *    all pinned to core 0 and measured in alternating slices: every figure is a ratio to a
 *    server measured in the same stretch of time, never an absolute number.
 *
 * Env: BENCH_WARMUP (s, 1), BENCH_SLICE (s, 3), BENCH_SLICES (6), BENCH_REDIS_PORT (6392),
 * BENCH_OP (Dashboard). Writes bench/results/figures.md (not committed).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { createTokenService } from '../../src/auth/tokens';
import { loadContractOperations } from '../../src/contract/operations';
import type { LoadSpec } from '../load';
import { cpuPerResponse, interleave, LOAD_CORE, SERVER_CORE, type Contender, type Measured } from '../lib/hits';
import { cacheOutcome, closeAgent, describe, post } from '../lib/http';
import { spawnPinned, type Pinned } from '../lib/proc';
import { prepareDatabase } from '../lib/seed';

const SECRET = 'wardcache-bench-secret-0123456789abcdef';
const CONNECTIONS = 32;
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const TIMING = { warmupS: num('BENCH_WARMUP', 1), sliceS: num('BENCH_SLICE', 3), slices: num('BENCH_SLICES', 6) };
const REDIS_PORT = num('BENCH_REDIS_PORT', 6392);
const OP = process.env.BENCH_OP ?? 'Dashboard';
const SEED = { hospitals: 1, wards: 12, patients: 500, events: 4, seed: 7 };
const RESULTS = join(__dirname, '..', 'results');

const log = (msg: string) => process.stderr.write(`[bench:figures] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ObserverCost {
  calls: number;
  rounds: number;
  withoutNs: number;
  withNs: number;
  withoutBytes: number;
  withBytes: number;
}

/** bench/figures/recorder.ts on the server core, with the flags its allocation count needs. */
function observerCost(): ObserverCost {
  const out = execFileSync('taskset', ['-c', String(SERVER_CORE), process.execPath, '--expose-gc', '--max-semi-space-size=128', '--import', 'tsx', join(__dirname, 'recorder.ts')], { encoding: 'utf8' });
  return JSON.parse(out) as ObserverCost;
}

async function startRedis(): Promise<{ url: string; pid: number; stop: () => void }> {
  const url = `redis://127.0.0.1:${REDIS_PORT}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  if (await client.connect().then(() => true, () => false)) {
    client.disconnect();
    throw new Error(`something already listens on port ${REDIS_PORT}: stop it or set BENCH_REDIS_PORT`);
  }
  const proc = spawn('taskset', ['-c', String(LOAD_CORE), 'redis-server', '--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
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
  client.disconnect();
  return { url, pid: proc.pid as number, stop: () => proc.kill('SIGTERM') };
}

interface Row {
  label: string;
  store: 'memory' | 'redis-local' | null;
  figures: boolean;
  m: Measured;
  recorded: number | null;
}

function render(rows: Row[], micro: ObserverCost, header: string[]): string {
  const limit = rows.find((r) => r.label === 'limit') as Row;
  const pair = (r: Row) => rows.find((o) => o.store === r.store && o.figures !== r.figures && o.store !== null);
  const lines = [
    ...header,
    '',
    `## The request observer with and without the figures, in process`,
    '',
    `${micro.calls.toLocaleString('en')} hit records, median of ${micro.rounds} alternating rounds (bench/figures/recorder.ts):`,
    '',
    '| observer | ns per request | bytes allocated per request |',
    '|---|---:|---:|',
    `| without figures (metrics only) | ${micro.withoutNs.toFixed(1)} | ${micro.withoutBytes.toFixed(2)} |`,
    `| with figures | ${micro.withNs.toFixed(1)} | ${micro.withBytes.toFixed(2)} |`,
    `| **the figures' share** | **${(micro.withNs - micro.withoutNs).toFixed(1)}** | **${(micro.withBytes - micro.withoutBytes).toFixed(2)}** |`,
    '',
    `## ${OP} hits over HTTP`,
    '',
    '| server | req/s | × limit | with ÷ without figures (req/s) | p99 ms | CPU µs/req | with ÷ without figures (CPU) | hits the figures counted |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const other = r.figures ? pair(r) : undefined;
    lines.push(
      `| ${r.label} | ${Math.round(r.m.rps)} | ${(r.m.rps / limit.m.rps).toFixed(3)} | ${other ? (r.m.rps / other.m.rps).toFixed(3) : ''} | ${r.m.p99.toFixed(2)} | ${cpuPerResponse(r.m).toFixed(1)} | ${other ? (cpuPerResponse(r.m) / cpuPerResponse(other.m)).toFixed(3) : ''} | ${r.recorded ?? ''} |`,
    );
  }
  const hit = rows.find((r) => r.store === 'memory' && r.figures);
  const share = micro.withNs - micro.withoutNs;
  if (hit) lines.push('', `The figures' ${share.toFixed(0)} ns per request are ${((100 * share) / 1000 / cpuPerResponse(hit.m)).toFixed(2)}% of the CPU a memory-store hit takes (${cpuPerResponse(hit.m).toFixed(1)} µs).`);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  if (cpus().length < 2) throw new Error('needs 2 cores: servers on core 0, load on core 1');
  execFileSync('taskset', ['-a', '-cp', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
  log('the request observer with and without the figures, in process');
  const micro = observerCost();
  log(`  ${micro.withoutNs.toFixed(1)} → ${micro.withNs.toFixed(1)} ns, ${micro.withoutBytes.toFixed(2)} → ${micro.withBytes.toFixed(2)} bytes per request`);

  const work = mkdtempSync(join(tmpdir(), 'wardcache-bench-figures-'));
  const dbPath = join(work, 'bench.sqlite');
  await prepareDatabase(dbPath, SEED);
  const redis = await startRedis();
  const children: Pinned[] = [];
  const rows: Row[] = [];
  const started = Date.now();
  try {
    const token = await createTokenService(SECRET).sign({ sub: 'bench-viewer', hospitalId: '1', role: 'viewer' });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const query = loadContractOperations().get(OP);
    if (!query) throw new Error(`BENCH_OP: ${OP} is not in the contract`);
    const body = JSON.stringify({ operationName: OP, query, variables: {} });

    const load = spawnPinned(LOAD_CORE, join(__dirname, '..', 'load.ts'), {});
    children.push(load);
    await load.ready;
    const gatewayEnv = (store: 'memory' | 'redis-local', figures: boolean, label: string): Record<string, string> => ({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      JWT_SECRET: SECRET,
      DATABASE_URL: `file:${dbPath}`,
      PORT: '0',
      DEMO_DATA: 'false',
      WARM_JOBS: 'false',
      CACHE_REWARM_DELAY_MS: '0',
      BENCH_RECORD_FIGURES: figures ? '1' : '0',
      ...(store === 'redis-local' ? { REDIS_URL: redis.url, CACHE_REDIS_PREFIX: `wardcache-bench-figures-${label}:` } : {}),
    });
    const servers: Array<{ label: string; store: Row['store']; figures: boolean; child: Pinned; url: string }> = [];
    const startServer = async (label: string, script: string, env: Record<string, string>, store: Row['store'], figures: boolean) => {
      const child = spawnPinned(SERVER_CORE, join(__dirname, script), env);
      children.push(child);
      const url = (await child.ready).url as string;
      log(`${label} at ${url}`);
      servers.push({ label, store, figures, child, url });
      return url;
    };
    for (const store of ['memory', 'redis-local'] as const) {
      for (const figures of [true, false]) {
        const label = `gateway ${store}, ${figures ? 'figures' : 'no figures'}`;
        const url = await startServer(label, 'gateway-server.ts', gatewayEnv(store, figures, label.replace(/\W+/g, '-')), store, figures);
        const first = await post(`${url}/graphql`, body, headers);
        const second = await post(`${url}/graphql`, body, headers);
        if (first.status !== 200 || cacheOutcome(first)?.hit !== false || cacheOutcome(second)?.hit !== true) {
          throw new Error(`${label}: expected a miss, then a hit; got ${describe(first)}, then ${describe(second)}`);
        }
        if (!servers.some((s) => s.label === 'limit')) {
          const routes = [{ request: body, key: 'bench:figures', file: join(work, 'answer.json') }];
          writeFileSync(routes[0].file, second.body);
          writeFileSync(join(work, 'routes.json'), JSON.stringify(routes));
          await startServer('limit', join('..', 'bare-server.ts'), { JWT_SECRET: SECRET, BARE_ROUTES: join(work, 'routes.json'), BARE_STORE: 'memory', REDIS_URL: redis.url }, null, false);
        }
      }
    }
    // limit first, then each store with and without figures, alternating slice by slice.
    const order = [servers.find((s) => s.label === 'limit'), ...servers.filter((s) => s.label !== 'limit')].filter((s) => s !== undefined);
    const contenders: Contender[] = order.map((s) => ({ label: s.label, server: s.child, url: s.url }));
    const spec = (url: string, durationS: number): LoadSpec => ({ url: `${url}/graphql`, body, headers, connections: CONNECTIONS, durationS });
    log(`${OP}: ${contenders.length} servers, ${TIMING.slices} × ${TIMING.sliceS} s each`);
    const measured = await interleave(load, contenders, spec, { ...TIMING, redisPid: redis.pid });
    for (const [i, s] of order.entries()) {
      const recorded = s.store ? (await s.child.call<{ hits: number }>('recorded')).hits : null;
      const m = measured[i];
      if (m.non2xx || m.errors) throw new Error(`${s.label}: ${m.non2xx} non-2xx answers, ${m.errors} errors`);
      // Every hit is counted with figures (warm-ups and priming included), none without.
      if (recorded !== null && (s.figures ? recorded < m.responses : recorded !== 0)) throw new Error(`${s.label}: the figures counted ${recorded} hits of ${m.responses}`);
      rows.push({ label: s.label, store: s.store, figures: s.figures, m, recorded });
      log(`  ${s.label}: ${Math.round(m.rps)} req/s, p99 ${m.p99.toFixed(2)} ms, ${cpuPerResponse(m).toFixed(1)} µs/req`);
    }
  } finally {
    for (const child of children) await child.stop().catch(() => undefined);
    redis.stop();
    closeAgent();
    rmSync(work, { recursive: true, force: true });
  }
  const header = [
    `# wardcache bench:figures, ${new Date().toISOString()} (${Math.round((Date.now() - started) / 1000)} s)`,
    '',
    `Node ${process.version} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}. Servers on core ${SERVER_CORE}; autocannon (${CONNECTIONS} connections, one viewer JWT), Redis and the driver on core ${LOAD_CORE}. ` +
      `${TIMING.warmupS} s warm-up each, then ${TIMING.slices} × ${TIMING.sliceS} s slices, all servers alternating slice by slice. ` +
      `Data: ${SEED.hospitals} hospital, ${SEED.wards} wards, ${SEED.patients} patients; SQLite; NODE_ENV=production; figures published every 5 s (Redis gateways).`,
  ];
  const text = render(rows, micro, header);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'figures.md'), text);
  process.stdout.write(text);
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exitCode = 1;
});
