/**
 * Stress test of the Freshness promise, with a model-based checker.
 *
 *   npm run stress -- --seconds 300 --db postgres|sqlite|both --readers R --writers W --processes P --seed N
 *
 * Per database: its own redis-server, a fresh database seeded small, P gateway processes with
 * default cache settings sharing both, plus a cold oracle process (no Redis). R readers and W
 * writers run for the given time; every answer is checked against the model (see model.ts,
 * checker.ts). Then quiescence: every process's answers must equal the oracle's, which must equal
 * the model's final state; and the processes' verify-mismatch metric must be 0.
 * Prints a summary table and exits 1 on any violation (2 on bad usage). The seed is printed at
 * the start and in every failure: `--seed N` replays the same choices.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Checker } from './checker';
import { Client, loadOperations, signToken } from './client';
import { readBaseline } from './baseline';
import { startCluster, type DatabaseKind } from './cluster';
import { sleep, type LoadContext } from './load';
import { Model } from './model';
import { checkQuiescence, readRedisLatency, readVerifyMetric } from './quiesce';
import { Random, freshSeed } from './random';
import { Reader } from './readers';
import { formatExamples, formatSummary, RunStats, type StressReport } from './report';
import { Writer } from './writers';
import { startRedisNoise } from './noise';

export interface StressOptions {
  seconds: number;
  databases: DatabaseKind[];
  readers: number;
  writers: number;
  processes: number;
  seed: number;
  /** The project whose gateway runs (default: this repository). */
  gatewayRoot: string;
  logLevel: string;
  /** Wait after the last write before comparing with the oracle (re-warms run 1 s after a burst). */
  quiesceMs: number;
  examplesPerClass: number;
  /** Where the processes' output goes when a run fails (null: nowhere). */
  logsDir: string | null;
  /** Other traffic on the shared Redis during the load (test/stress/noise.ts). */
  redisNoise: boolean;
  /** Seed command arguments (one hospital). */
  data: { wards: number; patients: number; events: number };
  log: (line: string) => void;
}

export const DEFAULT_OPTIONS: Omit<StressOptions, 'seed'> = {
  seconds: 60,
  databases: ['postgres', 'sqlite'],
  readers: 8,
  writers: 2,
  processes: 2,
  gatewayRoot: join(__dirname, '..', '..'),
  logLevel: 'warn',
  quiesceMs: 3000,
  examplesPerClass: 3,
  logsDir: join(__dirname, '..', '..', 'test-artifacts', 'stress'),
  data: { wards: 4, patients: 60, events: 3 },
  redisNoise: true,
  log: (line) => process.stderr.write(`${line}\n`),
};

export const USAGE = `Usage: npm run stress -- [options]

  --seconds S       load phase per database              (default ${DEFAULT_OPTIONS.seconds})
  --db D            postgres | sqlite | both            (default both)
  --readers R       background readers (viewer)          (default ${DEFAULT_OPTIONS.readers})
  --writers W       writers with a model (clinician)     (default ${DEFAULT_OPTIONS.writers})
  --processes P     gateway processes sharing Redis      (default ${DEFAULT_OPTIONS.processes})
  --seed N          replay a run's random choices        (default: random, printed)
  --gateway-root D  run the gateway of another checkout   (default: this repository)
  --log-level L     the gateways' LOG_LEVEL               (default ${DEFAULT_OPTIONS.logLevel})
  --quiesce-ms M    wait before the quiescence check      (default ${DEFAULT_OPTIONS.quiesceMs})
  --examples N      examples shown per violation class    (default ${DEFAULT_OPTIONS.examplesPerClass})
  --logs-dir D      the processes' output of failed runs  (default test-artifacts/stress)
  --patients N      seeded patients (one hospital)        (default ${DEFAULT_OPTIONS.data.patients})
  --redis-noise X   on | off: other traffic keeping the shared Redis busy in bursts (default on)
  -h, --help
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseStressArgs(argv: readonly string[]): StressOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        seconds: { type: 'string' },
        db: { type: 'string' },
        readers: { type: 'string' },
        writers: { type: 'string' },
        processes: { type: 'string' },
        seed: { type: 'string' },
        'gateway-root': { type: 'string' },
        'log-level': { type: 'string' },
        'quiesce-ms': { type: 'string' },
        examples: { type: 'string' },
        'logs-dir': { type: 'string' },
        patients: { type: 'string' },
        'redis-noise': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return 'help';
  const int = (name: string, fallback: number, min: number): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(String(raw)) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${String(raw)}"`);
    return n;
  };
  const db = values.db === undefined ? 'both' : String(values.db);
  const noise = values['redis-noise'] === undefined ? 'on' : String(values['redis-noise']);
  if (!['on', 'off'].includes(noise)) throw new UsageError(`--redis-noise must be on or off, got "${noise}"`);
  if (!['postgres', 'sqlite', 'both'].includes(db)) throw new UsageError(`--db must be postgres, sqlite or both, got "${db}"`);
  return {
    ...DEFAULT_OPTIONS,
    seconds: int('seconds', DEFAULT_OPTIONS.seconds, 1),
    databases: db === 'both' ? ['postgres', 'sqlite'] : [db as DatabaseKind],
    readers: int('readers', DEFAULT_OPTIONS.readers, 0),
    writers: int('writers', DEFAULT_OPTIONS.writers, 1),
    processes: int('processes', DEFAULT_OPTIONS.processes, 1),
    seed: int('seed', freshSeed(), 0),
    gatewayRoot: values['gateway-root'] === undefined ? DEFAULT_OPTIONS.gatewayRoot : String(values['gateway-root']),
    logLevel: values['log-level'] === undefined ? DEFAULT_OPTIONS.logLevel : String(values['log-level']),
    quiesceMs: int('quiesce-ms', DEFAULT_OPTIONS.quiesceMs, 0),
    examplesPerClass: int('examples', DEFAULT_OPTIONS.examplesPerClass, 0),
    logsDir: values['logs-dir'] === undefined ? DEFAULT_OPTIONS.logsDir : String(values['logs-dir']),
    data: { ...DEFAULT_OPTIONS.data, patients: int('patients', DEFAULT_OPTIONS.data.patients, 1) },
    redisNoise: noise === 'on',
  };
}

/** The command that replays a run. */
export function replayCommand(options: Pick<StressOptions, 'seconds' | 'readers' | 'writers' | 'processes' | 'seed'>, database: string): string {
  return `npm run stress -- --db ${database} --seconds ${options.seconds} --readers ${options.readers} --writers ${options.writers} --processes ${options.processes} --seed ${options.seed}`;
}

/** One database: start the processes, load, check, quiesce, stop. */
export async function runOne(database: DatabaseKind, options: StressOptions): Promise<StressReport> {
  const { log } = options;
  log(`stress ${database}: seed ${options.seed}, ${options.seconds} s, ${options.readers} readers, ${options.writers} writers, ${options.processes} processes (replay: ${replayCommand(options, database)})`);
  const stats = new RunStats(database, options.seed, options.examplesPerClass);
  const cluster = await startCluster({
    database,
    processes: options.processes,
    seed: options.seed,
    gatewayRoot: options.gatewayRoot,
    logLevel: options.logLevel,
    log,
    data: options.data,
  });
  let quiescenceEqual = false;
  let ok = false;
  try {
    const client = new Client(loadOperations(options.gatewayRoot));
    const [viewer, clinician] = await Promise.all([signToken(cluster.secret, 'viewer', 'stress-viewer'), signToken(cluster.secret, 'clinician', 'stress-clinician')]);
    const baseline = await readBaseline(client, cluster.gateways[0], viewer);
    log(`  baseline: ${baseline.wards.length} wards, ${baseline.tags.length} tags, ${baseline.totalPatients} patients (${baseline.inpatients} in, ${baseline.outpatients} out)`);
    const model = new Model(baseline);
    const checker = new Checker(model, stats);
    const rng = new Random(options.seed);
    const runTag = rng.fork('run-tag').int(36 ** 4).toString(36);
    stats.origin = performance.now();
    const ctx: LoadContext = {
      client,
      model,
      checker,
      stats,
      gateways: cluster.gateways,
      viewer,
      clinician,
      writers: options.writers,
      deadline: stats.origin + options.seconds * 1000,
      readKeys: new Set(),
    };
    const writers = Array.from({ length: options.writers }, (_, i) => new Writer(i + 1, ctx, rng.fork(`writer${i + 1}`), runTag));
    const readers = Array.from({ length: options.readers }, (_, i) => new Reader(i + 1, ctx, rng.fork(`reader${i + 1}`)));
    const progress = setInterval(() => {
      log(`  t=${((performance.now() - stats.origin) / 1000).toFixed(0)}s reads ${stats.reads} (after writes ${stats.readsAfterWrite}), writes ${[...stats.writes.values()].reduce((s, c) => s + c.ok + c.failed, 0)}, violations ${stats.totalViolations()}`);
    }, 5000);
    const noise = options.redisNoise ? await startRedisNoise(cluster.redisUrl, rng.fork('noise')) : null;
    try {
      await Promise.all([...writers.map((w) => w.run()), ...readers.map((r) => r.run())]);
    } finally {
      clearInterval(progress);
      const made = await noise?.stop();
      if (made) stats.redisLatency.push(`other traffic on this Redis: ${made.bursts} busy bursts (6–17 reads of a 100,000-item list in one script), the slowest ${made.maxBurstMs.toFixed(0)} ms`);
    }
    stats.loadSeconds = (performance.now() - stats.origin) / 1000;

    await sleep(options.quiesceMs);
    quiescenceEqual = await checkQuiescence(ctx, cluster.oracle, checker, client);
    await readVerifyMetric([...cluster.gateways, cluster.oracle], stats);
    await readRedisLatency(cluster.gateways, stats);
    for (const gone of cluster.exited()) {
      stats.notes.push(`process exited during the run: ${gone}`);
      stats.violations.other += 1;
    }
    ok = stats.totalViolations() === 0 && quiescenceEqual;
  } finally {
    // A failed run (or one that threw) keeps the processes' output for a look at their logs.
    const files = await cluster.stop({ saveLogsTo: ok ? null : options.logsDir });
    if (files.length > 0) stats.notes.push(`the processes' output (LOG_LEVEL=${options.logLevel}): ${files.join(', ')}`);
  }
  return { database, seed: options.seed, stats, quiescenceEqual, ok };
}

/** Every database in turn (in-process entry point of the Jest test). */
export async function runStress(options: Partial<StressOptions> & { seed?: number } = {}): Promise<StressReport[]> {
  const full: StressOptions = { ...DEFAULT_OPTIONS, seed: freshSeed(), ...options };
  const reports: StressReport[] = [];
  for (const db of full.databases) reports.push(await runOne(db, full));
  return reports;
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: StressOptions | 'help';
  try {
    options = parseStressArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`stress: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  process.stdout.write(`stress: seed ${options.seed}\n`);
  const reports = await runStress(options);
  process.stdout.write(`\n${formatSummary(reports)}\n`);
  for (const r of reports) {
    const examples = formatExamples(r);
    if (examples) process.stdout.write(`\n${examples}\n`);
    if (r.stats.redisLatency.length) process.stdout.write(`\nRedis under this load (${r.database}):\n${r.stats.redisLatency.map((l) => `  ${l}`).join('\n')}\n`);
  }
  const failed = reports.filter((r) => !r.ok);
  for (const r of failed) process.stdout.write(`\nFAILED on ${r.database} (seed ${r.seed}); replay: ${replayCommand(options, r.database)}\n`);
  return failed.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`stress: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
