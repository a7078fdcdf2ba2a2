import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import Redis from 'ioredis';
import type { DatabaseConfig } from '../src/config/config';
import { initORM, migrate } from '../src/db/orm';
import { seedDatabase } from '../src/seed/seed';
import { op } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';
import { describeWith, REDIS_TEST_URL } from './support/services';

/**
 * `npm run cache -- …` (src/cli/cache.ts) as operators run it: a separate process working on
 * the database and the Redis cache that a running gateway (here, one in this test process)
 * uses. The tests of the Redis suite build on each other, in order: cold cache → warm → hit →
 * invalidate → miss.
 */
const ROOT = resolve(__dirname, '..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((done) => {
    execFile(TSX, ['src/cli/cache.ts', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 45_000 }, (err, stdout, stderr) => {
      // execFile's error carries the exit code (a number) when the process exited non-zero.
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** The environment of a gateway process on this database and cache (no inherited DATABASE_URL etc.). */
function cliEnv(db: DatabaseConfig, extra: Record<string, string>): NodeJS.ProcessEnv {
  if (db.kind !== 'sqlite') throw new Error('sqlite only');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', DATABASE_URL: `file:${db.path}`, ...extra };
  return env;
}

const SEED = { hospitals: 2, wards: 3, patients: 120, events: 3, seed: 5 } as const;

async function seeded(): Promise<DatabaseConfig> {
  const db = sqliteDatabase();
  const orm = await initORM(db);
  try {
    await migrate(orm);
    await seedDatabase(orm, { ...SEED, now: new Date() });
  } finally {
    await orm.close(true);
  }
  return db;
}

type CacheExt = { hit: boolean; ageMs: number };
const cacheOf = (r: { body: { extensions?: Record<string, unknown> } }) => r.body.extensions?.cache as CacheExt;

describe('cache CLI: usage', () => {
  const env = cliEnv(sqliteDatabase(), {});

  it('prints the global and per-command help on stdout with exit code 0', async () => {
    const global = await cli(['--help'], env);
    expect(global.code).toBe(0);
    expect(global.stdout).toMatch(/^Usage: npm run cache -- <command>/);
    for (const name of ['warm', 'invalidate', 'keys', 'evict', 'stats', 'health', 'deps']) expect(global.stdout).toContain(`  ${name} `);

    const warm = await cli(['warm', '--help'], env);
    expect(warm.code).toBe(0);
    expect(warm.stdout).toMatch(/^Usage: npm run cache -- warm \[--hospital H\] \[--target T\]/);
    const health = await cli(['help', 'health'], env);
    expect(health.code).toBe(0);
    expect(health.stdout).toContain('--max-age');
  });

  it.each([
    [[], 'a command is required', 'Usage: npm run cache -- <command>'],
    [['flush'], 'unknown command "flush"', 'Usage: npm run cache -- <command>'],
    [['warm', '--hospital', 'one'], '--hospital must be a positive integer', 'Usage: npm run cache -- warm'],
    [['warm', '--target', 'EVERYTHING'], 'unknown --target EVERYTHING', 'Usage: npm run cache -- warm'],
    [['invalidate'], '--typename is required', 'Usage: npm run cache -- invalidate'],
    [['invalidate', '--typename', 'Nurse'], 'Unknown typename Nurse', 'Usage: npm run cache -- invalidate'],
    [['invalidate', '--typename', 'Patient', '--id', 'x1'], 'x1 is not a valid id', 'Usage: npm run cache -- invalidate'],
    [['health', '--max-age', 'ten'], '--max-age must be a number of seconds', 'Usage: npm run cache -- health'],
    [['stats', '--verbose'], "Unknown option '--verbose'", 'Usage: npm run cache -- stats'],
  ])('bad usage %j: message and usage on stderr, exit code 2', async (args, message, usage) => {
    const run = await cli(args, env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain(usage);
  });
});

describe('cache CLI without REDIS_URL (in-process cache)', () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    env = cliEnv(await seeded(), {});
  });

  it('warns that a running gateway cache cannot be reached, and still runs', async () => {
    const health = await cli(['health', '--hospital', '2'], env);
    expect(health.code).toBe(1);
    expect(health.stderr).toContain('WARNING: REDIS_URL is not set');
    expect(health.stderr).toContain("A running gateway's in-process cache cannot be reached");
    expect(health.stderr).toContain('hospital 2 DASHBOARD: missing');

    const warm = await cli(['warm', '--hospital', '2', '--target', 'WARD_FILTERS'], env);
    expect(warm.code).toBe(0);
    expect(warm.stderr).toContain('WARNING: REDIS_URL is not set');
    expect(warm.stdout).toMatch(/hospital 1\/1 \(id 2\) WARD_FILTERS ok \d+ ms/);
  });

  it('refuses a hospital that does not exist (exit code 2)', async () => {
    const run = await cli(['stats', '--hospital', '9'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('hospital 9 does not exist');
    expect(run.stderr).toContain('known ids: 1, 2');
  });
});

describeWith('Redis')('cache CLI against a shared Redis cache', () => {
  const prefix = `wardcache-cli-test-${process.pid}-${Date.now()}:`;
  let db: DatabaseConfig;
  let env: NodeJS.ProcessEnv;
  let t: TestGateway;
  let viewer: string;

  beforeAll(async () => {
    db = await seeded();
    env = cliEnv(db, { REDIS_URL: REDIS_TEST_URL, CACHE_REDIS_PREFIX: prefix });
    const base = testConfig(db, { redisUrl: REDIS_TEST_URL });
    t = await startTestGateway({ ...base, cache: { ...base.cache, redisPrefix: prefix } });
    viewer = await t.token('viewer', '1');
  });
  afterAll(async () => {
    await t?.close();
    const redis = new Redis(REDIS_TEST_URL);
    try {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });

  it('health: exit code 1 listing every missing hot answer before any warm', async () => {
    const run = await cli(['health'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('6 of 6 hot answers not served from the cache (6 missing; max age 600s)');
    for (const h of [1, 2]) {
      for (const target of ['DASHBOARD', 'WARD_MAPPING', 'WARD_FILTERS']) expect(run.stderr).toContain(`hospital ${h} ${target}: missing`);
    }
    expect(run.stderr).not.toContain('WARNING');
  });

  it('warm --hospital 1: progress per target and a summary, exit code 0', async () => {
    const run = await cli(['warm', '--hospital', '1'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^hospital 1\/1 \(id 1\) DASHBOARD +ok \d+ ms$/);
    expect(lines[1]).toMatch(/^hospital 1\/1 \(id 1\) WARD_MAPPING +ok \d+ ms$/);
    expect(lines[2]).toMatch(/^hospital 1\/1 \(id 1\) WARD_FILTERS +ok \d+ ms$/);
    expect(lines[3]).toMatch(/^warm: 3\/3 hot answers warmed \(1 hospital × 3 targets\) in \d/);
  });

  it('health --hospital 1: exit code 0 once warmed; hospital 2 is still cold', async () => {
    const one = await cli(['health', '--hospital', '1'], env);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^health: all 3 hot answers present, oldest \d+(\.\d)?s /);

    const all = await cli(['health'], env);
    expect(all.code).toBe(1);
    expect(all.stderr).toContain('3 of 6 hot answers not served from the cache (3 missing');
    expect(all.stderr).not.toContain('hospital 1 ');
  });

  it("a running gateway serves the frontend's Dashboard request from the CLI's warm: a hit, no SQL", async () => {
    const before = t.sql.count;
    const res = await t.gql<{ dashboardStats: { totalPatients: number } }>(op('Dashboard'), {}, viewer);
    expect(res.status).toBe(200);
    expect(cacheOf(res).hit).toBe(true);
    expect(res.body.data?.dashboardStats.totalPatients).toBe(SEED.patients);
    expect(t.sql.count).toBe(before);
  });

  it('invalidate --typename WardMapping --hospital 1: 1 removed, and the next ward map read is a miss', async () => {
    const hit = await t.gql(op('WardMapping'), {}, viewer);
    expect(cacheOf(hit).hit).toBe(true);

    const run = await cli(['invalidate', '--typename', 'WardMapping', '--hospital', '1'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('invalidate WardMapping: 1 cached answer removed (hospital 1)\n');

    const before = t.sql.count;
    const miss = await t.gql(op('WardMapping'), {}, viewer);
    expect(cacheOf(miss).hit).toBe(false);
    expect(t.sql.count).toBeGreaterThan(before);
    // The other hot answers were not touched.
    expect(cacheOf(await t.gql(op('WardFilters'), {}, viewer)).hit).toBe(true);
  });

  it("health finds the gateway's own re-stored answer under the same key", async () => {
    // The miss above stored the ward map again, from the gateway: same key as the CLI's lookup.
    const run = await cli(['health', '--hospital', '1'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('all 3 hot answers present');
  });

  it('health --max-age 0: exit code 1, every answer too old', async () => {
    const run = await cli(['health', '--hospital', '1', '--max-age', '0'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('3 of 3 hot answers not served from the cache (3 too old; max age 0s)');
    expect(run.stderr).toMatch(/hospital 1 DASHBOARD: too old: \d+(\.\d)?s \(max 0s\)/);
  });

  it('stats: entries, invalidations, last warm runs and the per-operation table per hospital', async () => {
    const run = await cli(['stats'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^cache: redis redis:\/\/127\.0\.0\.1:6379\/? prefix "wardcache-cli-test-[^"]+", up; memory used: [\d.]+ \w+/);
    // The figures the test gateway published when it started listening (no traffic counted yet then).
    expect(run.stdout).toContain('figures: cluster-wide, from 1 gateway process publishing to this Redis');
    // Dashboard, ward map (stored again by the gateway's miss) and ward filters.
    expect(run.stdout).toMatch(/hospital 1 "[^"]+": 3 entries, \d+ invalidations?/);
    expect(run.stdout).toMatch(/hospital 2 "[^"]+": 0 entries/);
    expect(run.stdout).toMatch(/ {2}DASHBOARD {5}last warm \S+Z \(\d+s ago\) \d+ ms ok/);
    expect(run.stdout).toMatch(/ {2}WARD_FILTERS {2}never warmed/);
    expect(run.stdout).toMatch(/\n {2}operation +hits +misses +hit rate +entries +bytes +mean age at hit +miss p50 +miss p95\n {2}Dashboard +\d+ +\d+ +[\d.]+% +1 /);
    expect(run.stdout).toContain('\n  no traffic and no cached answers yet\n');

    const one = await cli(['stats', '--hospital', '2'], env);
    expect(one.code).toBe(0);
    expect(one.stdout).not.toContain('hospital 1 ');
  });
});
