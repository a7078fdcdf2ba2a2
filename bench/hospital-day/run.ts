/**
 * `npm run bench:day -- --users 1000 --scales 1,5,10 --seconds 60`: the hospital day.
 *
 * Two gateway processes (src/main.ts, production defaults) on one redis-server of the bench's own
 * and a scratch PostgreSQL database seeded like `npm run seed -- --hospitals 2 --wards 40
 * --patients 20000 --events 25 --seed 1`; dashboard users refreshing every 10 s and clinicians
 * writing 5/s per hospital, at each scale of the users in turn (the same processes throughout).
 * Gateways on core 0; Redis and this process (the load) on core 1. Writes the report to
 * bench/results/hospital-day.md. See bench/hospital-day/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadContractOperations } from '../../src/contract/operations';
import { runDay } from './day';
import { ROOT, startGateways, type GatewayProc } from './gateways';
import { renderReport, type RunResult } from './report';
import { scratchDatabase, startRedis, type OwnRedis, type ScratchDatabase } from './services';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '1000' },
    scales: { type: 'string', default: '1,5,10' },
    seconds: { type: 'string', default: process.env.BENCH_DAY_SECONDS ?? '60' },
    warmup: { type: 'string', default: '10' },
    'writes-per-second': { type: 'string', default: '5' },
    patients: { type: 'string', default: '20000' },
    wards: { type: 'string', default: '40' },
    events: { type: 'string', default: '25' },
    seed: { type: 'string', default: '1' },
    database: { type: 'string', default: 'wardcache_day' },
    'keep-db': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'hospital-day.md') },
  },
});

const num = (name: keyof typeof args): number => {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number, got ${String(args[name])}`);
  return v;
};
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const scales = String(args.scales).split(',').map(Number);
  if (scales.some((s) => !(s > 0))) throw new Error(`--scales must be positive numbers, got ${args.scales}`);
  const base = num('users');
  const hospitals = ['1', '2'];
  // Gateways on core 0; this process (the load) and Redis on core 1. With one core, no pinning.
  const pin = cpus().length >= 2;
  if (pin) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => log(`cleanup: ${String(err)}`));
    cleanups.length = 0;
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const redis: OwnRedis = await startRedis(pin ? 1 : null);
    cleanups.push(() => redis.stop());
    log(`redis-server on ${redis.url} (pid ${redis.pid}); seeding PostgreSQL database ${args.database}…`);
    const seed = { hospitals: hospitals.length, wards: num('wards'), patients: num('patients'), events: num('events'), seed: num('seed') };
    const db: ScratchDatabase = await scratchDatabase(String(args.database), seed, { keep: Boolean(args['keep-db']), log });
    cleanups.push(() => db.drop());
    const gateways: GatewayProc[] = await startGateways(2, pin ? 0 : null, { databaseUrl: db.url, redisUrl: redis.url });
    cleanups.push(async () => void (await Promise.all(gateways.map((g) => g.stop()))));
    log(`gateways: ${gateways.map((g) => `${g.name} ${g.url} (pid ${g.pid})`).join(', ')}`);

    const ops = loadContractOperations();
    const unknown = new Map<string, Map<string, string>>();
    const runs: RunResult[] = [];
    for (const scale of scales) {
      const users = Math.round(base * scale);
      log(`run ${runs.length + 1}/${scales.length}: ${users} users`);
      runs.push(
        await runDay({ users, seconds: num('seconds'), warmupS: num('warmup'), writesPerS: num('writes-per-second'), seed: num('seed'), hospitals, database: db, gateways, redisPid: redis.pid, ops, unknown, log }),
      );
    }
    const header = [
      `# Hospital day (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
      '',
      `\`npm run bench:day -- --users ${base} --scales ${args.scales} --seconds ${args.seconds}\` on ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.versions.node}${pin ? '; gateways pinned to core 0, Redis and the load to core 1, PostgreSQL unpinned' : '; no pinning (one core)'}.`,
      `Data: ${hospitals.length} hospitals × ${seed.wards} wards, ${seed.patients} patients, ${seed.events} events each (seed ${seed.seed}), PostgreSQL; 2 gateway processes (NODE_ENV=production, LOG_LEVEL=warn, all else default) on one Redis.`,
      `Each user refreshes every 10 s (Dashboard + WardMapping, 30% with a ward or tag filter); clinicians write ${args['writes-per-second']}/s per hospital. ${args.warmup} s warm-up, then ${args.seconds} s measured.`,
      'PostgreSQL counters (pg_stat_database, xact_commit + xact_rollback: one per statement outside a transaction, one per write transaction) cover the measured window.',
    ];
    const report = renderReport(header, runs);
    mkdirSync(dirname(String(args.out)), { recursive: true });
    writeFileSync(String(args.out), `${report}\n`);
    process.stdout.write(`${report}\nWritten to ${args.out}\n`);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`bench:day failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
