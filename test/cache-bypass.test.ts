import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { op } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';
import { describeWith, REDIS_TEST_URL } from './support/services';

const SRC = join(__dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

// Writes that skip the unit of work, and so the invalidation subscriber.
// (`.delete(` counts only chained onto a builder call, so Map#delete does not match.)
const BYPASS =
  /\b(nativeInsert|nativeUpdate|nativeDelete|insertMany|upsert|upsertMany)\s*\(|\.(insert|update|del|truncate)\s*\(|\)\s*\.delete\s*\(|\b(insert\s+into|delete\s+from|update\s+"?\w+"?\s+set)\b/i;

describe('writes that bypass the ORM unit of work', () => {
  it('are not used by the gateway: only the seed writes around it (and it purges the cache)', () => {
    // Every file that talks to the database (through the ORM or its knex), except the seed.
    const offenders = files(SRC)
      .filter((f) => !f.includes(join('src', 'seed')) && /@mikro-orm|\bem\.|getKnex/.test(readFileSync(f, 'utf8')))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ at: `${relative(SRC, f)}:${i + 1}`, line }))
          .filter(({ line }) => BYPASS.test(line)),
      );
    expect(offenders).toEqual([]);
  });
});

describeWith('Redis')('the seed command on a database a gateway is serving', () => {
  let t: TestGateway;
  let dbPath: string;
  const prefix = `wardcache-bypass-test-${process.pid}-${Date.now()}:`;
  beforeAll(async () => {
    const db = sqliteDatabase();
    dbPath = db.kind === 'sqlite' ? db.path : '';
    const config = testConfig(db, { redisUrl: REDIS_TEST_URL });
    t = await startTestGateway({ ...config, cache: { ...config.cache, redisPrefix: prefix } });
  });
  afterAll(() => t?.close());

  it('drops the cached answers it made stale', async () => {
    const seed = (patients: number) =>
      spawnSync('node_modules/.bin/tsx', ['src/seed/cli.ts', '--hospitals', '1', '--wards', '2', '--patients', String(patients), '--events', '1', '--seed', '3'], {
        cwd: join(__dirname, '..'),
        env: { ...process.env, DATABASE_URL: `file:${dbPath}`, REDIS_URL: REDIS_TEST_URL, CACHE_REDIS_PREFIX: prefix },
        encoding: 'utf8',
      });
    expect(seed(30).status).toBe(0);
    const viewer = await t.token('viewer');
    const total = async () => {
      const r = await t.gql<{ dashboardStats: { totalPatients: number } }>(op('Dashboard'), {}, viewer);
      return { total: r.body.data?.dashboardStats.totalPatients, hit: (r.body.extensions?.cache as { hit: boolean }).hit };
    };
    expect(await total()).toEqual({ total: 30, hit: false });
    expect(await total()).toEqual({ total: 30, hit: true });
    const reseed = seed(50);
    expect(reseed.stderr).not.toContain('WARNING');
    expect(await total()).toEqual({ total: 50, hit: false });
  });
});
