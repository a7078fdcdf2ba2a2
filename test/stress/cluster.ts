/**
 * The processes of one run: a redis-server of the run's own (append-only, fsync always), a fresh
 * database (a PostgreSQL database or a temporary SQLite file) filled by the seed command with a
 * small data set, P gateway processes sharing both with DEFAULT cache settings, and one oracle
 * gateway on the same database without Redis (an in-process cache nobody else invalidates, so it
 * is only asked once per answer, at quiescence: a cold recomputation).
 */
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { freePort, RedisServer, spawnProcess, waitForUrl, type ManagedProcess } from '../support/processes';
import { freshPostgresDatabase, PG_ADMIN_URL } from '../support/services';
import type { Endpoint } from './client';

export type DatabaseKind = 'postgres' | 'sqlite';

export interface GatewayProcess extends Endpoint {
  process: ManagedProcess;
}

export interface Cluster {
  database: DatabaseKind;
  databaseUrl: string;
  redisUrl: string;
  secret: string;
  gateways: GatewayProcess[];
  oracle: GatewayProcess;
  /** Every process that has exited so far, with its exit (a gateway should not). */
  exited(): string[];
  /**
   * Stops everything and removes what the run made. `saveLogsTo`: first copy every process's
   * whole output there (`<database>-<process>.log`); returns the files written.
   */
  stop(options?: { saveLogsTo?: string | null }): Promise<string[]>;
}

export interface ClusterOptions {
  database: DatabaseKind;
  processes: number;
  seed: number;
  /** The project whose `src/main.ts` and `src/seed/cli.ts` run (default: this repository). */
  gatewayRoot: string;
  logLevel: string;
  log: (line: string) => void;
  /** Seed command arguments. */
  data: { wards: number; patients: number; events: number };
}

/** How long one gateway may take to start (tsx compiles on the fly; 2 cores shared). */
const START_TIMEOUT_MS = 180_000;
const SECRET = 'stress-harness-secret-0123456789-abcdefghijklmnop';

/**
 * The environment of a child: the parent's, minus every setting of the gateway, so that the
 * gateway runs with its defaults whatever the shell exported (also used by bench/hospital-day).
 */
export function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(CACHE_|CHANGE_|LIVE_|WARM_|GRAPHQL_|DB_|MAX_BODY|TRUSTED_|REDIS_URL$|DATABASE_URL$|JWT_SECRET$|DEMO_DATA$|LOG_LEVEL$|PORT$|HOST$|NODE_ENV$)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { log } = options;
  // Checked first: a command that cannot be spawned at all is an 'error' event nobody hears.
  const tsx = join(options.gatewayRoot, 'node_modules', '.bin', 'tsx');
  for (const file of [tsx, join(options.gatewayRoot, 'src', 'main.ts'), join(options.gatewayRoot, 'src', 'seed', 'cli.ts')]) {
    if (!existsSync(file)) throw new Error(`${file} does not exist (gateway root ${options.gatewayRoot})`);
  }
  const cleanups: Array<() => Promise<void> | void> = [];
  const all: GatewayProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'wardcache-stress-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // Every process's whole output, in the run's directory (ManagedProcess keeps only the last MB).
  const logs: Array<{ name: string; file: string; stream: WriteStream }> = [];
  const capture = (name: string, proc: ManagedProcess) => {
    const file = join(dir, `${options.database}-${name}.log`);
    const stream = createWriteStream(file);
    proc.child.stdout?.on('data', (chunk: Buffer) => stream.write(chunk));
    proc.child.stderr?.on('data', (chunk: Buffer) => stream.write(chunk));
    logs.push({ name, file, stream });
  };
  let saved: string[] = [];
  let saveTo: string | null = null;
  const stop = async (opts: { saveLogsTo?: string | null } = {}) => {
    saveTo = opts.saveLogsTo ?? null;
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        log(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    cleanups.length = 0;
    return saved;
  };

  try {
    // Redis of the run's own.
    mkdirSync(join(dir, 'redis'));
    const redis = new RedisServer(await freePort(), join(dir, 'redis'));
    await redis.start();
    cleanups.push(() => redis.destroy());

    // A fresh database.
    let databaseUrl: string;
    if (options.database === 'postgres') {
      const name = `wardcache_stress_${process.pid}_${Date.now().toString(36)}`;
      databaseUrl = await freshPostgresDatabase(name);
      cleanups.push(async () => {
        const admin = new PgClient({ connectionString: PG_ADMIN_URL });
        await admin.connect();
        try {
          await admin.query(`drop database if exists "${name}" with (force)`);
        } finally {
          await admin.end();
        }
      });
    } else {
      databaseUrl = `file:${join(dir, 'wardcache.sqlite')}`;
    }

    const env = baseEnv();

    // Small data, so misses are fast: the seed command (migrates first).
    const { wards, patients, events } = options.data;
    const seedArgs = ['src/seed/cli.ts', '--hospitals', '1', '--wards', String(wards), '--patients', String(patients), '--events', String(events), '--seed', String(1 + (options.seed % 1000))];
    const seeding = spawnProcess('seed', tsx, seedArgs, { cwd: options.gatewayRoot, env: { ...env, DATABASE_URL: databaseUrl }, group: true });
    cleanups.push(() => void seeding.stop(1000));
    let timer: NodeJS.Timeout | undefined;
    const seeded = await Promise.race([seeding.exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), START_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (!seeded || seeded.code !== 0) throw new Error(`seed failed (${JSON.stringify(seeded)}):\n${seeding.output().slice(-3000)}`);
    log(`  ${seeding.output().trim().split('\n').pop() ?? ''}`);

    const start = async (name: string, shared: boolean): Promise<GatewayProcess> => {
      const port = await freePort();
      const gatewayEnv: NodeJS.ProcessEnv = {
        ...env,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        JWT_SECRET: SECRET,
        DEMO_DATA: 'false',
        LOG_LEVEL: options.logLevel,
        // The oracle: no Redis (in-process cache), no warming of its own (nor re-warming after
        // the evictions its change capture makes: it must compute each answer when asked).
        ...(shared ? { REDIS_URL: redis.url } : { WARM_JOBS: 'false', CACHE_REWARM_DELAY_MS: '0' }),
      };
      const proc = spawnProcess(`gateway ${name}`, tsx, ['src/main.ts'], { cwd: options.gatewayRoot, env: gatewayEnv, group: true });
      const gateway: GatewayProcess = { name, url: `http://127.0.0.1:${port}`, process: proc };
      all.push(gateway);
      capture(name, proc);
      // Up when /health answers (the "serving" line is an info log, and LOG_LEVEL may hide it).
      const died = proc.exited.then((exit) => {
        throw new Error(`${proc.name} exited ${JSON.stringify(exit)} while starting:\n${proc.output().slice(-3000)}`);
      });
      died.catch(() => undefined); // it exits at the end of the run too, long after the race below
      await Promise.race([waitForUrl(`${gateway.url}/health`, { timeoutMs: START_TIMEOUT_MS, intervalMs: 250 }), died]);
      return gateway;
    };
    cleanups.push(async () => {
      const exits = await Promise.all(all.map((g) => g.process.stop(5000)));
      for (const [i, exit] of exits.entries()) {
        if (exit.code !== 0) log(`  ${all[i].name} exited ${JSON.stringify(exit)}; last output:\n${all[i].process.output().slice(-2000)}`);
      }
      await Promise.all(logs.map((l) => new Promise<void>((resolve) => l.stream.end(resolve))));
      if (saveTo) {
        mkdirSync(saveTo, { recursive: true });
        saved = logs.map((l) => {
          const to = join(saveTo as string, `${options.database}-${l.name}.log`);
          copyFileSync(l.file, to);
          return to;
        });
      }
    });

    const started = performance.now();
    const names = Array.from({ length: options.processes }, (_, i) => `g${i + 1}`);
    const [oracle, ...gateways] = await Promise.all([start('oracle', false), ...names.map((n) => start(n, true))]);
    log(`  ${gateways.length} gateway processes and the oracle serving after ${((performance.now() - started) / 1000).toFixed(1)} s`);

    return {
      database: options.database,
      databaseUrl,
      redisUrl: redis.url,
      secret: SECRET,
      gateways,
      oracle,
      exited: () => all.filter((g) => g.process.exit() !== null).map((g) => `${g.name} ${JSON.stringify(g.process.exit())}`),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
