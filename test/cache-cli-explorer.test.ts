import Redis from 'ioredis';
import { dependencyMap, type EntryInfo } from '../src/cache';
import { main } from '../src/cli/cache';
import type { Output } from '../src/cli/output';
import type { DatabaseConfig } from '../src/config/config';
import { loadContractOperations } from '../src/contract/operations';
import { initORM, migrate } from '../src/db/orm';
import { buildTypeSchema } from '../src/graphql/schema';
import { seedDatabase } from '../src/seed/seed';
import { op } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type GqlResult, type TestGateway } from './support/gateway';
import { describeWith, REDIS_TEST_URL } from './support/services';

/**
 * The cache CLI's operator tools (src/cli/commands/{keys,evict,warm,invalidate,stats,deps}.ts),
 * run in-process through `main(argv, env, io)` as `npm run cache -- …` runs it, against the
 * database and the Redis cache of a running gateway (here, one in this test process). The key
 * explorer lists exactly what the gateway cached; every dry run leaves the store byte for byte
 * as it was; warm skips fresh answers unless forced; --json prints one document with exact values.
 * The tests of the Redis suite build on each other, in order.
 */

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Output = { out: (l) => void out.push(l), err: (l) => void err.push(l) };
  const code = await main(args, env, io);
  return { code, stdout: out.map((l) => `${l}\n`).join(''), stderr: err.map((l) => `${l}\n`).join('') };
}

/** --json: exactly one JSON document on stdout, nothing on stderr. */
async function cliJson<T>(args: string[], env: NodeJS.ProcessEnv, code = 0): Promise<T> {
  const run = await cli([...args, '--json'], env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(code);
  return JSON.parse(run.stdout) as T;
}

const SEED = { hospitals: 2, wards: 3, patients: 120, events: 3, seed: 5 } as const;

async function seeded(): Promise<Extract<DatabaseConfig, { kind: 'sqlite' }>> {
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

const hitOf = (r: GqlResult) => (r.body.extensions?.cache as { hit: boolean } | undefined)?.hit;
/** The stored body of an answer: `{"data":…}` exactly as the gateway serialised it. */
const storedBytes = (r: GqlResult) => Buffer.byteLength(JSON.stringify({ data: r.body.data }));

interface KeysDoc {
  operationName: string | null;
  limit: number;
  hospitals: Array<{
    id: number;
    name: string;
    totalCount: number;
    entries: Array<{ id: string; operationName: string; variables: string; bytes: number; ageMs: number; expiresInMs: number; tags: string[] }>;
  }>;
}
type WarmDoc = {
  dryRun: boolean;
  force: boolean;
  clear: boolean;
  hospitals: Array<{ id: number; cleared: number | null; targets: Array<{ target: string; state: string; action: string; error: string | null }> }>;
  warmed: number;
  skipped: number;
  failed: number;
  wouldWarm: number;
  wouldSkip: number;
  cleared: number | null;
};
type CountDoc = { what: string; dryRun: boolean; hospitals: Array<{ id: number; removed?: number; wouldRemove?: number }>; removed?: number; wouldRemove?: number };

const TTL_MS = 300_000;

describe('cache CLI: the new commands\' usage', () => {
  const env = { NODE_ENV: 'test', DATABASE_URL: `file:${sqliteDatabase().path}` };

  it('lists keys, evict and deps in the global help', async () => {
    const run = await cli(['--help'], env);
    expect(run.code).toBe(0);
    for (const name of ['warm', 'invalidate', 'keys', 'evict', 'stats', 'health', 'deps']) expect(run.stdout).toContain(`\n  ${name} `);
  });

  it.each([
    [['keys', '--limit', '0'], '--limit must be a whole number from 1 to 500, got "0"', 'Usage: npm run cache -- keys'],
    [['keys', '--limit', '501'], '--limit must be a whole number from 1 to 500, got "501"', 'Usage: npm run cache -- keys'],
    [['keys', '--limit', 'ten'], '--limit must be a whole number from 1 to 500, got "ten"', 'Usage: npm run cache -- keys'],
    [['keys', '--operation', ''], '--operation needs an operation name', 'Usage: npm run cache -- keys'],
    [['keys', 'Dashboard'], "Unexpected argument 'Dashboard'", 'Usage: npm run cache -- keys'],
    [['evict'], '--id is required', 'Usage: npm run cache -- evict'],
    [['evict', '--id', 'abc'], '"abc" is not a cached answer\'s id', 'Usage: npm run cache -- evict'],
    [['invalidate', '--all'], '--all removes every cached answer of the selected hospitals: add --yes to confirm', 'Usage: npm run cache -- invalidate'],
    [['invalidate', '--all', '--yes', '--typename', 'Patient'], '--all removes every cached answer: it takes no --typename nor --id', 'Usage: npm run cache -- invalidate'],
    [['invalidate', '--typename', 'Patient', '--yes'], '--yes confirms --all only', 'Usage: npm run cache -- invalidate'],
    [['warm', '--dry-run=yes'], "Option '--dry-run' does not take an argument", 'Usage: npm run cache -- warm'],
    [['deps', '--entity', 'Nurse'], 'unknown --entity Nurse; use Patient, Ward, Tag, Admission, ClinicalEvent, Hospital', 'Usage: npm run cache -- deps'],
    [['health', '--json', '--max-age=-1'], '--max-age must be a number of seconds', 'Usage: npm run cache -- health'],
    [['stats', '--json=1'], "Option '--json' does not take an argument", 'Usage: npm run cache -- stats'],
  ])('bad usage %j: the message and the command\'s usage on stderr, exit code 2', async (args, message, usage) => {
    const run = await cli(args, env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain(usage);
  });
});

describe('cache CLI deps: the dependency map, with neither database nor Redis', () => {
  // Nothing to connect to: deps reads declarations only.
  const env = { NODE_ENV: 'test', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' };
  const MAP = dependencyMap(buildTypeSchema(), loadContractOperations());

  it('--json holds the declarations\' map exactly', async () => {
    expect(await cliJson(['deps'], env)).toEqual({ dependencies: MAP });
    expect(await cliJson(['deps', '--entity', 'admission'], env)).toEqual({ dependencies: MAP.filter((r) => r.entity === 'Admission') });
  });

  it('prints, per entity, each change, the operations it can change and what it evicts', async () => {
    const run = await cli(['deps', '--entity', 'Patient'], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('Patient');
    const at = lines.findIndex((l) => /^ {2}update name +→/.test(l));
    expect(lines[at]).toMatch(/^ {2}update name +→ Dashboard, WardMapping, Patient$/);
    expect(lines[at + 1].trim()).toBe('evicts Patient (itself, facet core); wardMapping (every answer)');
    // One change line and one evicts line per row.
    expect(lines.filter((l) => l.includes('→'))).toHaveLength(MAP.filter((r) => r.entity === 'Patient').length);
  });
});

describeWith('Redis')('cache CLI explorer, dry runs and --json against a shared Redis cache', () => {
  const prefix = `wardcache-cli-explorer-${process.pid}-${Date.now()}:`;
  let env: NodeJS.ProcessEnv;
  let t: TestGateway;
  let redis: Redis;
  const viewer: Record<number, string> = {};
  let admin: string;
  /** Two patients of hospital 1, their answers cached in this order. */
  let patients: [string, string];
  const responses = new Map<string, GqlResult>();

  /** Every key under the prefix and its exact value (DUMP), but the figures the gateway publishes on its own timer. */
  async function snapshot(): Promise<Map<string, string>> {
    const keys = (await redis.keys(`${prefix}*`)).filter((k) => !k.startsWith(`${prefix}{figures}:`)).sort();
    const dumps = await Promise.all(keys.map((k) => redis.dumpBuffer(k)));
    return new Map(keys.map((k, i) => [k, dumps[i]?.toString('hex') ?? 'gone']));
  }
  const listed = async (hospital: number): Promise<EntryInfo[]> => (await t.gateway.cache.store.list(hospital, { first: 500 })).entries;
  const keyOf = async (hospital: number, operationName: string): Promise<string> => {
    const found = (await listed(hospital)).filter((e) => e.operationName === operationName);
    expect(found).toHaveLength(1);
    return found[0].key;
  };

  beforeAll(async () => {
    const db = await seeded();
    env = { NODE_ENV: 'test', DATABASE_URL: `file:${db.path}`, REDIS_URL: REDIS_TEST_URL, CACHE_REDIS_PREFIX: prefix, CACHE_TTL_SECONDS: String(TTL_MS / 1000) };
    const base = testConfig(db, { redisUrl: REDIS_TEST_URL });
    // Figures are published by hand below (stats): no timer writes to Redis between two snapshots.
    t = await startTestGateway({ ...base, cache: { ...base.cache, redisPrefix: prefix, ttlMs: TTL_MS }, figures: { publishMs: 3_600_000, retainMs: 3_600_000 } });
    redis = new Redis(REDIS_TEST_URL);
    [viewer[1], viewer[2], admin] = await Promise.all([t.token('viewer', '1'), t.token('viewer', '2'), t.token('admin', '1')]);
    const recent = await t.gql<{ recentPatients: Array<{ id: string }> }>(op('Dashboard'), {}, viewer[1]);
    responses.set('Dashboard', recent);
    patients = [recent.body.data!.recentPatients[0].id, recent.body.data!.recentPatients[1].id];
  });
  afterAll(async () => {
    await t?.close();
    if (redis) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('keys lists exactly what the gateway cached, newest first, per hospital', async () => {
    responses.set('WardFilters', await t.gql(op('WardFilters'), {}, viewer[1]));
    for (const id of patients) responses.set(`Patient ${id}`, await t.gql(op('Patient'), { id }, viewer[1]));
    responses.set('WardMapping h2', await t.gql(op('WardMapping'), {}, viewer[2], 'WardMapping'));

    const doc = await cliJson<KeysDoc>(['keys'], env);
    expect(doc.operationName).toBeNull();
    expect(doc.limit).toBe(50);
    expect(doc.hospitals.map((h) => [h.id, h.name, h.totalCount])).toEqual([
      [1, 'Hospital 1', 4],
      [2, 'Hospital 2', 1],
    ]);
    const [one, two] = doc.hospitals;
    expect(one.entries.map((e) => [e.operationName, JSON.parse(e.variables)])).toEqual([
      ['Patient', { id: patients[1] }],
      ['Patient', { id: patients[0] }],
      ['WardFilters', {}],
      ['Dashboard', { recentLimit: 30 }],
    ]);
    expect(two.entries.map((e) => e.operationName)).toEqual(['WardMapping']);
    // Sizes are the stored bodies', tags and keys the store's; ids name hospital and key.
    const store1 = await listed(1);
    expect(one.entries.map((e) => e.bytes)).toEqual([
      storedBytes(responses.get(`Patient ${patients[1]}`)!),
      storedBytes(responses.get(`Patient ${patients[0]}`)!),
      storedBytes(responses.get('WardFilters')!),
      storedBytes(responses.get('Dashboard')!),
    ]);
    expect(one.entries.map((e) => [e.id, e.tags])).toEqual(store1.map((e) => [`h1.${e.key}`, e.tags]));
    expect(one.entries[0].tags).toEqual(expect.arrayContaining([`Patient:${patients[1]}#core`, `Patient:${patients[1]}#tags`]));
    for (const e of [...one.entries, ...two.entries]) {
      expect(e.ageMs).toBeGreaterThanOrEqual(0);
      expect(e.expiresInMs).toBeLessThanOrEqual(TTL_MS);
      expect(e.expiresInMs + e.ageMs).toBeGreaterThanOrEqual(TTL_MS - 1000);
    }
  });

  it('keys gives the ids GraphQL cacheEntries gives', async () => {
    const res = await t.gql<{ cacheEntries: { totalCount: number; entries: Array<{ id: string; operationName: string; tags: string[] }> } }>(op('CacheEntries'), {}, admin);
    expect(res.body.errors).toBeUndefined();
    const doc = await cliJson<KeysDoc>(['keys', '--hospital', '1'], env);
    expect(doc.hospitals[0].entries.map((e) => [e.id, e.operationName, e.tags])).toEqual(res.body.data!.cacheEntries.entries.map((e) => [e.id, e.operationName, e.tags]));
  });

  it('keys filters by hospital and operation, honours --limit, and prints the same in text', async () => {
    const patientsOnly = await cliJson<KeysDoc>(['keys', '--hospital', '1', '--operation', 'Patient'], env);
    expect(patientsOnly.hospitals.map((h) => [h.id, h.totalCount, h.entries.map((e) => JSON.parse(e.variables).id)])).toEqual([[1, 2, [patients[1], patients[0]]]]);
    const limited = await cliJson<KeysDoc>(['keys', '--limit', '1'], env);
    expect(limited.hospitals.map((h) => [h.id, h.totalCount, h.entries.map((e) => e.operationName)])).toEqual([
      [1, 4, ['Patient']],
      [2, 1, ['WardMapping']],
    ]);
    const none = await cliJson<KeysDoc>(['keys', '--hospital', '2', '--operation', 'Dashboard'], env);
    expect(none.hospitals).toEqual([{ id: 2, name: 'Hospital 2', totalCount: 0, entries: [] }]);

    const text = await cli(['keys', '--hospital', '1', '--limit', '2'], env);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('hospital 1 "Hospital 1": 2 of 4 cached answers, newest first');
    expect(lines[1]).toMatch(new RegExp(`^ {2}Patient \\{"id":"${patients[1]}"\\} {2}[\\d.]+ (B|KiB) {2}age \\d+s {2}expires in 4m\\d\\ds$`));
    expect(lines[2]).toBe(`    id    ${limited.hospitals[0].entries[0].id}`);
    expect(lines[3]).toMatch(/^ {4}tags {2}\d+: Q:patient|^ {4}tags {2}\d+: \S/);
    expect(lines).toHaveLength(7);
    const other = await cli(['keys', '--hospital', '2', '--operation', 'Dashboard'], env);
    expect(other.stdout).toBe('hospital 2 "Hospital 2": 0 cached Dashboard answers\n');
  });

  it('each dry run changes nothing (the Redis keys and values under the prefix, and the listing) and reports exact counts', async () => {
    const before = await snapshot();
    const listedBefore = [await listed(1), await listed(2)];
    expect(before.size).toBeGreaterThan(5);

    // Hospital 1: Dashboard and WardFilters fresh, WardMapping never cached.
    const warm = await cliJson<WarmDoc>(['warm', '--hospital', '1', '--dry-run'], env);
    expect(warm).toMatchObject({ dryRun: true, force: false, clear: false, warmed: 0, skipped: 0, failed: 0, wouldWarm: 1, wouldSkip: 2, cleared: null });
    expect(warm.hospitals[0].targets.map((x) => [x.target, x.state, x.action])).toEqual([
      ['DASHBOARD', 'fresh', 'would skip'],
      ['WARD_MAPPING', 'missing', 'would warm'],
      ['WARD_FILTERS', 'fresh', 'would skip'],
    ]);
    const clear = await cliJson<WarmDoc>(['warm', '--dry-run', '--clear'], env);
    expect(clear).toMatchObject({ dryRun: true, clear: true, wouldWarm: 6, wouldSkip: 0, cleared: 5 });
    expect(clear.hospitals.map((h) => [h.id, h.cleared])).toEqual([
      [1, 4],
      [2, 1],
    ]);
    const force = await cli(['warm', '--dry-run', '--force', '--hospital', '1', '--target', 'DASHBOARD'], env);
    expect(force.stdout).toMatch(/^hospital 1\/1 \(id 1\) DASHBOARD would warm: present and fresh \(age \d+s, expires in 4m\d\ds\), forced\n/);
    expect(force.stdout).toContain('warm --dry-run: 1/1 hot answers would be warmed, 0 skipped (1 hospital × 1 target); nothing changed');

    // Answers showing a patient in hospital 1: the dashboard's recent patients and both Patient answers.
    const showing = listedBefore[0].filter((e) => e.tags.some((tag) => tag.startsWith('Patient:'))).length;
    expect(showing).toBe(3);
    expect(await cliJson<CountDoc>(['invalidate', '--typename', 'Patient', '--hospital', '1', '--dry-run'], env)).toEqual({
      what: 'Patient',
      dryRun: true,
      hospitals: [{ id: 1, wouldRemove: showing }],
      wouldRemove: showing,
    });
    expect(await cliJson<CountDoc>(['invalidate', '--typename', 'Patient', '--id', patients[0], '--dry-run'], env)).toEqual({
      what: `Patient ${patients[0]}`,
      dryRun: true,
      hospitals: [
        { id: 1, wouldRemove: 2 }, // the dashboard (a recent patient) and its own answer
        { id: 2, wouldRemove: 0 },
      ],
      wouldRemove: 2,
    });
    expect(await cliJson<CountDoc>(['invalidate', '--all', '--dry-run'], env)).toEqual({
      what: '--all',
      dryRun: true,
      hospitals: [
        { id: 1, wouldRemove: 4 },
        { id: 2, wouldRemove: 1 },
      ],
      wouldRemove: 5,
    });
    const text = await cli(['invalidate', '--typename', 'WardFilters', '--dry-run'], env);
    expect(text.stdout).toBe(
      'hospital 1: 1 cached answer would be removed\nhospital 2: 0 cached answers would be removed\n' +
        'invalidate WardFilters --dry-run: 1 cached answer would be removed (2 hospitals); nothing removed\n',
    );
    const id = `h1.${await keyOf(1, 'WardFilters')}`;
    const evict = await cliJson<{ hospitalId: number; dryRun: boolean; evicted: boolean; entry: { id: string; operationName: string } }>(['evict', '--id', id, '--dry-run'], env);
    expect(evict).toMatchObject({ hospitalId: 1, dryRun: true, evicted: false, entry: { id, operationName: 'WardFilters' } });

    // Refused: --all without --yes.
    const refused = await cli(['invalidate', '--all', '--hospital', '1'], env);
    expect(refused.code).toBe(2);

    expect(await snapshot()).toEqual(before);
    expect([await listed(1), await listed(2)]).toEqual(listedBefore);
    // And the gateway still serves them as hits.
    expect(hitOf(await t.gql(op('WardFilters'), {}, viewer[1]))).toBe(true);
  });

  it('warm skips present and fresh answers (their storedAt unchanged) and warms the missing one', async () => {
    const [dashboard, filters] = [await keyOf(1, 'Dashboard'), await keyOf(1, 'WardFilters')];
    const storedAt = async (key: string) => (await t.gateway.cache.store.describe(1, key))?.storedAt;
    const [d0, f0] = [await storedAt(dashboard), await storedAt(filters)];
    const doc = await cliJson<WarmDoc>(['warm', '--hospital', '1'], env);
    expect(doc).toMatchObject({ dryRun: false, warmed: 1, skipped: 2, failed: 0, cleared: null });
    expect(doc.hospitals[0].targets.map((x) => [x.target, x.state, x.action, x.error])).toEqual([
      ['DASHBOARD', 'fresh', 'skipped', null],
      ['WARD_MAPPING', 'missing', 'warmed', null],
      ['WARD_FILTERS', 'fresh', 'skipped', null],
    ]);
    expect([await storedAt(dashboard), await storedAt(filters)]).toEqual([d0, f0]);
    expect((await listed(1)).map((e) => e.operationName).sort()).toEqual(['Dashboard', 'Patient', 'Patient', 'WardFilters', 'WardMapping']);
    expect(hitOf(await t.gql(op('WardMapping'), {}, viewer[1]))).toBe(true);

    const text = await cli(['warm', '--hospital', '1', '--target', 'WARD_FILTERS'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^hospital 1\/1 \(id 1\) WARD_FILTERS skipped: present and fresh \(age \d+s, expires in 4m\d\ds\) \(--force warms it\)\n/);
    expect(text.stdout).toMatch(/\nwarm: 0\/1 hot answers warmed, 1 skipped \(present and fresh; --force warms them\) \(1 hospital × 1 target\) in \d/);
  });

  it('warm --force warms a fresh answer anyway: a new storedAt', async () => {
    const key = await keyOf(1, 'Dashboard');
    const before = (await t.gateway.cache.store.describe(1, key))!.storedAt;
    await new Promise((r) => setTimeout(r, 5)); // storedAt is in ms: let one pass
    const doc = await cliJson<WarmDoc>(['warm', '--hospital', '1', '--target', 'DASHBOARD', '--force'], env);
    expect(doc.hospitals[0].targets.map((x) => [x.target, x.state, x.action])).toEqual([['DASHBOARD', 'fresh', 'warmed']]);
    expect(doc).toMatchObject({ force: true, warmed: 1, skipped: 0 });
    const after = (await t.gateway.cache.store.describe(1, key))!.storedAt;
    expect(after).toBeGreaterThan(before);
  });

  it('warm --clear purges the hospital first (the Patient answers go), then warms every target', async () => {
    const listed2 = await listed(2);
    const doc = await cliJson<WarmDoc>(['warm', '--hospital', '1', '--clear'], env);
    expect(doc).toMatchObject({ clear: true, cleared: 5, warmed: 3, skipped: 0, failed: 0 });
    expect(doc.hospitals[0].targets.map((x) => [x.target, x.state, x.action])).toEqual([
      ['DASHBOARD', 'fresh', 'warmed'],
      ['WARD_MAPPING', 'fresh', 'warmed'],
      ['WARD_FILTERS', 'fresh', 'warmed'],
    ]);
    expect((await listed(1)).map((e) => e.operationName).sort()).toEqual(['Dashboard', 'WardFilters', 'WardMapping']);
    expect(await listed(2)).toEqual(listed2);
  });

  it('evict removes one answer by its explorer id: gone from keys, the next read is a miss; again: exit 1', async () => {
    const before = await cliJson<KeysDoc>(['keys', '--hospital', '1', '--operation', 'WardFilters'], env);
    const { id } = before.hospitals[0].entries[0];
    const doc = await cliJson<{ hospitalId: number; dryRun: boolean; evicted: boolean; entry: { id: string; operationName: string } }>(['evict', '--id', id, '--hospital', '1'], env);
    expect(doc).toMatchObject({ hospitalId: 1, dryRun: false, evicted: true, entry: { id, operationName: 'WardFilters' } });
    expect((await cliJson<KeysDoc>(['keys', '--hospital', '1'], env)).hospitals[0].entries.map((e) => e.operationName)).toEqual(['WardMapping', 'Dashboard']);
    expect(hitOf(await t.gql(op('WardFilters'), {}, viewer[1]))).toBe(false);

    const wrongHospital = await cli(['evict', '--id', id, '--hospital', '2'], env);
    expect(wrongHospital.code).toBe(1);
    expect(wrongHospital.stderr).toBe(`cache evict: ${id} names an answer of hospital 1, not of hospital 2; nothing removed\n`);
    // The read above stored it again under the same key: evict it once more, then it is gone.
    expect((await cli(['evict', '--id', id], env)).code).toBe(0);
    const again = await cli(['evict', '--id', id], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(`cache evict: no cached answer has id ${id} in hospital 1 (it expired, or was already evicted or invalidated)\n`);
  });

  it('invalidate --all: without --yes exit 2 and nothing removed; with --yes every answer of the hospital, the exact count', async () => {
    const before = await snapshot();
    const refused = await cli(['invalidate', '--all', '--hospital', '1', '--json'], env);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('add --yes to confirm');
    expect(await snapshot()).toEqual(before);

    const n1 = (await listed(1)).length;
    expect(n1).toBe(2);
    expect(await cliJson<CountDoc>(['invalidate', '--all', '--yes', '--hospital', '1'], env)).toEqual({ what: '--all', dryRun: false, hospitals: [{ id: 1, removed: 2 }], removed: 2 });
    expect(await listed(1)).toEqual([]);
    expect((await listed(2)).length).toBe(1);
    const all = await cli(['invalidate', '--all', '--yes'], env);
    expect(all.code).toBe(0);
    expect(all.stdout).toBe('hospital 1: 0 cached answers removed\nhospital 2: 1 cached answer removed\ninvalidate --all: 1 cached answer removed (2 hospitals)\n');
    expect(await listed(2)).toEqual([]);
  });

  it('health --json: exact states per hospital and target', async () => {
    await cli(['warm', '--hospital', '2', '--target', 'WARD_FILTERS'], env);
    const doc = await cliJson<{ healthy: boolean; maxAgeSeconds: number; checks: Array<{ hospitalId: number; target: string; state: string; ageMs: number | null }> }>(['health', '--hospital', '2'], env, 1);
    expect(doc.healthy).toBe(false);
    expect(doc.maxAgeSeconds).toBe(600);
    expect(doc.checks.map((c) => [c.hospitalId, c.target, c.state, c.ageMs === null])).toEqual([
      [2, 'DASHBOARD', 'missing', true],
      [2, 'WARD_MAPPING', 'missing', true],
      [2, 'WARD_FILTERS', 'present', false],
    ]);
  });

  it('stats: per operation, hits and misses (the figures the gateways publish), entries and bytes (the store)', async () => {
    await cli(['invalidate', '--all', '--yes'], env);
    // Hospital 2: Dashboard one miss then two hits; WardFilters one miss (named as the frontend names them).
    const read = (name: string) => t.gql(op(name), {}, viewer[2], name);
    const first = await read('Dashboard');
    expect(hitOf(first)).toBe(false);
    expect(hitOf(await read('Dashboard'))).toBe(true);
    expect(hitOf(await read('Dashboard'))).toBe(true);
    const filters = await read('WardFilters');
    expect(hitOf(filters)).toBe(false);
    expect(await t.gateway.figures.publish()).toBe(true);

    type Row = { operationName: string; hits: number; misses: number; hitRate: number; entries: number; bytes: number; meanAgeAtHitMs: number | null; missP50Ms: number | null; missP95Ms: number | null };
    const doc = await cliJson<{
      cache: { backend: string; state: string };
      figuresScope: string;
      processes: Array<{ pid: number; version: string }>;
      hospitals: Array<{ id: number; entries: number; operations: Row[] }>;
    }>(['stats', '--hospital', '2'], env);
    expect(doc.cache).toMatchObject({ backend: 'redis', state: 'up' });
    expect(doc.figuresScope).toBe('cluster');
    expect(doc.processes.map((p) => p.pid)).toEqual([process.pid]);
    expect(doc.hospitals.map((h) => [h.id, h.entries])).toEqual([[2, 2]]);
    const rows = doc.hospitals[0].operations;
    expect(rows.map((r) => [r.operationName, r.hits, r.misses, r.hitRate, r.entries, r.bytes])).toEqual([
      ['Dashboard', 2, 1, 2 / 3, 1, storedBytes(first)],
      // The first test's read of hospital 2 (its answer since removed by invalidate --all).
      ['WardMapping', 0, 1, 0, 0, 0],
      ['WardFilters', 0, 1, 0, 1, storedBytes(filters)],
    ]);
    const dashboard = rows[0];
    expect(dashboard.meanAgeAtHitMs).toBeGreaterThanOrEqual(0);
    expect(dashboard.missP50Ms).toBeGreaterThan(0);
    expect(dashboard.missP95Ms).toBeGreaterThanOrEqual(dashboard.missP50Ms!);
    expect(rows[2].meanAgeAtHitMs).toBeNull();

    const text = await cli(['stats', '--hospital', '2'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('figures: cluster-wide, from 1 gateway process publishing to this Redis');
    expect(text.stdout).toMatch(/\n {2}operation +hits +misses +hit rate +entries +bytes +mean age at hit +miss p50 +miss p95\n/);
    expect(text.stdout).toMatch(/\n {2}Dashboard +2 +1 +66\.7% +1 +[\d.]+ (B|KiB)( +[\d.]+ m?s){3}\n/);
  });
});

describeWith('Redis')('cache CLI when Redis does not answer', () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const db = await seeded();
    // A port nothing listens on.
    env = { NODE_ENV: 'test', DATABASE_URL: `file:${db.path}`, REDIS_URL: 'redis://127.0.0.1:1', CACHE_REDIS_PREFIX: 'nowhere:' };
  });

  it.each([[['keys']], [['keys', '--json']], [['invalidate', '--all', '--yes']], [['invalidate', '--typename', 'Patient', '--dry-run', '--json']], [['warm', '--dry-run']], [['stats', '--json']]])(
    '%j: exit code 1 with the reason, nothing on stdout',
    async (args) => {
      const run = await cli(args, env);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('the cache store (redis redis://127.0.0.1:1');
      expect(run.stderr).toContain('does not answer');
    },
  );
});
