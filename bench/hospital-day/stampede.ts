/**
 * `npm run bench:stampede`: a cold start. N identical WardMapping requests (one viewer token, one
 * hospital), all issued at once and split evenly over 2 fresh gateway processes (production
 * defaults) on a flushed Redis and the seeded PostgreSQL database (as bench:day). Counts how
 * many times the answer was computed: the gateways' miss counter (a miss is counted per
 * execution, not per waiting request), checked against their SQL statement counter divided by
 * the statements one computation takes. One computation in all would be ideal; without a
 * cross-process lease it is at least one per process.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTokenService } from '../../src/auth/tokens';
import { loadContractOperations } from '../../src/contract/operations';
import { cacheHit, HttpClient, type Reply } from './client';
import { ROOT, SECRET, startGateways } from './gateways';
import { deltaCounters, readCounters } from './metrics';
import { scratchDatabase, startRedis } from './services';
import { quantile } from './stats';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    patients: { type: 'string', default: '20000' },
    wards: { type: 'string', default: '40' },
    events: { type: 'string', default: '25' },
    database: { type: 'string', default: 'wardcache_stampede' },
    'keep-db': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'stampede.md') },
  },
});
const log = (line: string) => process.stderr.write(`${line}\n`);
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');

async function main(): Promise<string> {
  const n = Number(args.requests);
  const pin = cpus().length >= 2;
  if (pin) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const redis = await startRedis(pin ? 1 : null);
  const seed = { hospitals: 2, wards: Number(args.wards), patients: Number(args.patients), events: Number(args.events), seed: 1 };
  const stops: Array<() => Promise<void>> = [() => redis.stop()];
  try {
    log(`redis-server on ${redis.url}; seeding PostgreSQL database ${args.database}…`);
    const db = await scratchDatabase(String(args.database), seed, { keep: Boolean(args['keep-db']), log });
    stops.push(() => db.drop());
    await redis.flush();
    const gateways = await startGateways(2, pin ? 0 : null, { databaseUrl: db.url, redisUrl: redis.url });
    stops.push(async () => void (await Promise.all(gateways.map((g) => g.stop()))));
    const urls = gateways.map((g) => g.url);
    const token = await createTokenService(SECRET).sign({ sub: 'stampede-viewer', hospitalId: '1', role: 'viewer' });
    const body = JSON.stringify({ query: loadContractOperations().get('WardMapping'), variables: {}, operationName: 'WardMapping' });
    const client = new HttpClient(n);

    const before = await readCounters(urls);
    log(`${n} identical WardMapping requests at once, over ${urls.length} cold gateways…`);
    const started = performance.now();
    const replies: Reply[] = await Promise.all(Array.from({ length: n }, (_, i) => client.post(urls[i % urls.length], body, token)));
    const wallMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 1500)); // stores and counters settle
    const after = await readCounters(urls);
    // Statements one computation takes: one lone miss per gateway afterwards, in hospital 2,
    // each on a flushed Redis (the first gateway's answer would be the second one's hit).
    const other = await createTokenService(SECRET).sign({ sub: 'stampede-calibration', hospitalId: '2', role: 'viewer' });
    const perMiss: number[] = [];
    for (const url of urls) {
      await redis.flush();
      const [b] = await readCounters([url]);
      await client.post(url, body, other);
      const [a] = await readCounters([url]);
      perMiss.push(a.misses === b.misses + 1 ? a.sqlStatements - b.sqlStatements : NaN);
    }
    client.close();

    const lat = replies.filter((r) => r.status === 200).map((r) => r.endedAt - r.startedAt);
    const hits = replies.filter((r) => r.status === 200 && cacheHit(r.body) === true).length;
    const failed = replies.filter((r) => r.status !== 200);
    const deltas = urls.map((_, i) => deltaCounters(before[i], after[i]));
    const rows = deltas.map((d, i) => {
      const bySql = d.sqlStatements / perMiss[i];
      return `| ${gateways[i].name} | ${n / urls.length} | ${d.misses} | ${d.sqlStatements} | ${perMiss[i]} | ${ms(bySql)} | ${d.hits} | ${d.stores} | ${d.staleSkips} | ${d.warmOk + d.warmFailed} |`;
    });
    const misses = deltas.reduce((s, d) => s + d.misses, 0);
    const sql = deltas.reduce((s, d) => s + d.sqlStatements, 0);
    const executed = deltas.reduce((s, d) => s + d.sqlRequests, 0);
    return [
      `# Stampede (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
      '',
      `${n} identical WardMapping requests (one viewer token, hospital 1, no filter), issued at once over ${urls.length} fresh gateway processes (production defaults) on a flushed Redis; data as bench:day (2 × ${seed.wards} wards, ${seed.patients} patients). ${cpus().length} × ${cpus()[0]?.model ?? '?'}.`,
      '',
      '| gateway | requests | computations (miss counter) | SQL statements | statements per computation ¹ | computations by SQL | hits | stores | stores refused | warm runs |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `**Computations of the one key: ${misses}** by the miss counters; ${ms(sql / (perMiss.reduce((a, b) => a + b, 0) / perMiss.length))} by SQL (${sql} statements; the gateways' statement histogram counted ${executed} requests).`,
      '¹ measured after the stampede: one lone WardMapping miss per gateway in hospital 2 (/metrics before and after).',
      `Answers: ${lat.length} OK (${hits} cache hits, ${lat.length - hits} computed or shared with an in-process computation), ${failed.length} failed${failed.length ? ` (${[...new Set(failed.map((r) => r.status || r.outcome))].join(', ')})` : ''}.`,
      `Latency of OK answers (ms): p50 ${ms(quantile(lat, 0.5))}, p95 ${ms(quantile(lat, 0.95))}, p99 ${ms(quantile(lat, 0.99))}, max ${ms(quantile(lat, 1))}; all answered after ${ms(wallMs)} ms.`,
      '',
    ].join('\n');
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log(`cleanup: ${String(err)}`));
  }
}

main().then(
  (report) => {
    mkdirSync(dirname(String(args.out)), { recursive: true });
    writeFileSync(String(args.out), `${report}\n`);
    process.stdout.write(`${report}\nWritten to ${args.out}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    log(`bench:stampede failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
