/**
 * `npm run bench:capture`: what change capture (src/capture) delivers and what it costs.
 *
 * 1. Capture lag: a plain SQL client commits external writes at a steady rate while readers keep
 *    answers cached; PostgreSQL + Redis with two gateway processes, SQLite with one (lag.ts).
 * 2. Write cost: pgbench on a private cluster without / with the capture triggers / with
 *    logical decoding instead (pgbench.ts), and the same transaction on SQLite (sqlite-cost.ts).
 *
 * Prints the Markdown report and writes it to bench/results/capture.md. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { loadContractOperations } from '../../src/contract/operations';
import { liveClusters } from './cluster';
import { BOUND_MS, LAG_METRIC, loadavg, measureLag, type LagResult } from './lag';
import { measurePgCost, type PgCost } from './pgbench';
import { renderReport } from './report';
import { measureSqliteCost, type SqliteCost } from './sqlite-cost';

const env = process.env;
const num = (name: string, fallback: number): number => {
  const v = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number, got ${env[name]}`);
  return v;
};
const log = (line: string) => process.stderr.write(`${line}\n`);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

const settings = {
  rate: num('CAPTURE_BENCH_RATE', 20),
  seconds: num('CAPTURE_BENCH_SECONDS', 30),
  pgbenchSeconds: num('CAPTURE_BENCH_PGBENCH_SECONDS', 20),
  clients: num('CAPTURE_BENCH_CLIENTS', 8),
  threads: num('CAPTURE_BENCH_THREADS', 2),
  rounds: num('CAPTURE_BENCH_ROUNDS', 2),
  sqliteSeconds: num('CAPTURE_BENCH_SQLITE_SECONDS', 5),
  diagnose: env.CAPTURE_BENCH_DIAGNOSE !== '0',
  parts: new Set((env.CAPTURE_BENCH_PARTS ?? 'lag,cost').split(',')),
  pgAdminUrl: env.CAPTURE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: env.CAPTURE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  out: env.CAPTURE_BENCH_OUT ?? join(__dirname, '..', 'results', 'capture.md'),
  /** `CAPTURE_BENCH_GATEWAY_ENV="CACHE_VERIFY_RATE=0.05 CHANGE_CAPTURE_POLL_MS=50"`: extra gateway settings. */
  gatewayEnv: Object.fromEntries(
    (env.CAPTURE_BENCH_GATEWAY_ENV ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ) as Record<string, string>,
};
/** The cost measurements' data: bigger than the demo data, so 8 clients rarely wait on one row. */
const COST_SEED = { hospitals: 2, wards: 40, patients: 5000, events: 5, seed: 1 };

function removeClusters(): void {
  for (const c of [...liveClusters]) {
    try {
      c.remove();
    } catch (err) {
      log(`could not remove the cluster in ${c.dir}: ${message(err)}`);
    }
  }
}

async function main(): Promise<void> {
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      removeClusters();
      process.exit(130);
    });
  const started = Date.now();
  const lag: LagResult[] = [];
  const lagFailures: string[] = [];
  const costFailures: string[] = [];
  let pg: PgCost | null = null;
  let sqlite: SqliteCost | null = null;
  const pgbenchArgs = `-n -M prepared -c ${settings.clients} -j ${settings.threads} -T ${settings.pgbenchSeconds} -f admission.sql`;
  const load0 = loadavg();

  if (settings.parts.has('lag')) {
    const ops = loadContractOperations();
    for (const kind of ['postgresql', 'sqlite'] as const) {
      log(`capture lag, ${kind}: ${settings.rate} commits/s for ${settings.seconds} s…`);
      try {
        lag.push(await measureLag(kind, { rate: settings.rate, seconds: settings.seconds, readers: 3, pgAdminUrl: settings.pgAdminUrl, redisUrl: settings.redisUrl, ops, gatewayEnv: settings.gatewayEnv, log }));
      } catch (err) {
        lagFailures.push(`${kind}: ${message(err)}`);
        log(`  failed: ${err instanceof Error ? err.stack : String(err)}`);
      }
    }
  }
  if (settings.parts.has('cost')) {
    log(`write cost, PostgreSQL: pgbench ${pgbenchArgs}, ${settings.rounds} rounds…`);
    try {
      pg = await measurePgCost({ clients: settings.clients, threads: settings.threads, seconds: settings.pgbenchSeconds, rounds: settings.rounds, diagnose: settings.diagnose, seed: COST_SEED, log });
    } catch (err) {
      costFailures.push(`PostgreSQL: ${message(err)}`);
      log(`  failed: ${err instanceof Error ? err.stack : String(err)}`);
    }
    log(`write cost, SQLite: ${settings.sqliteSeconds} s slices, ${settings.rounds} rounds…`);
    try {
      sqlite = await measureSqliteCost({ seconds: settings.sqliteSeconds, rounds: settings.rounds, seed: COST_SEED, log });
    } catch (err) {
      costFailures.push(`SQLite: ${message(err)}`);
      log(`  failed: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }

  const header = [
    `${new Date().toISOString()}, ${cpus().length} cores, ${Math.round((Date.now() - started) / 1000)} s; load average ${load0} at the start, ${loadavg()} at the end (another process's load shows in every figure).`,
    ...(Object.keys(settings.gatewayEnv).length ? [`**Gateways not at their defaults:** ${JSON.stringify(settings.gatewayEnv)}.`] : []),
    `**Capture lag**: a plain SQL client (\`pg\` / \`better-sqlite3\`, not the gateway) commits ${settings.rate} transactions/s for ${settings.seconds} s to hospital 1 of the demo data (renames 25%, clinical events 35%, tag/untag 20%, bed moves 20%), ` +
      `while 3 readers keep Dashboard, WardMapping and Patient answers cached through the gateways (\`src/main.ts\`, production defaults, bound ${BOUND_MS} ms).`,
    `"capture lag" is \`${LAG_METRIC}\` (a change's write, by the database clock, to its confirmed eviction; one observation per change-log row), the difference of the gateways' scrapes before and after the writes, summed over gateways; ` +
      `quantiles are interpolated linearly within buckets as Prometheus' \`histogram_quantile\` does, so they are no finer than the buckets (…0.01, 0.025, 0.05, 0.1, 0.25 s…); a histogram knows only the bucket of its max.`,
    `"visible lag": after each rename's COMMIT returns, the client polls Patient(id) every 20 ms through one gateway (alternating) until the new name shows: commit → arrival of the first fresh answer. ` +
      `Each rename's Patient is read through every gateway 0.5 s before, so the old name is cached.`,
    `"stale past 1 s": every patient name, bed, tag set and latest event in every answer (readers, polls, and a final read of everything once the writes stopped) is checked against the commits: a read that started more than 1 s after a commit returned must show it or a later value. Must be 0.`,
    `**Write cost**: the same write transaction (rename a patient, insert a clinical event, move that patient's open admission to another bed) on data migrated and seeded by the gateway's ORM (${JSON.stringify(COST_SEED)}).`,
  ];
  const report = renderReport({ header, lag, lagFailures, pg, sqlite, costFailures, pgbenchArgs, sqliteSeconds: settings.sqliteSeconds });
  mkdirSync(dirname(settings.out), { recursive: true });
  writeFileSync(settings.out, report);
  process.stdout.write(`${report}\n`);
  log(`written to ${settings.out}`);
  if (lagFailures.length + costFailures.length > 0) process.exitCode = 1;
}

main()
  .catch((err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  })
  .finally(() => {
    removeClusters();
    // Keep-alive sockets of fetch and pg pools must not hold the process.
    setTimeout(() => process.exit(), 500).unref();
  });
