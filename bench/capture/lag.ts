/**
 * Capture lag under a steady stream of external writes. PostgreSQL: a scratch database on the
 * machine's server, two gateway processes sharing one Redis (a key prefix of the run's own), as
 * in production. SQLite: a file, one gateway process (its in-process cache). The gateways are
 * `src/main.ts` with production defaults (bench/hospital-day/gateways.ts), the data is the demo
 * data (src/gateway.ts DEMO_DATA, seeded here before they start).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { SignJWT } from 'jose';
import { Client } from 'pg';
import { initORM, migrate } from '../../src/db/orm';
import { DEMO_DATA } from '../../src/gateway';
import { seedDatabase } from '../../src/seed/seed';
import { SECRET, startGateway, type GatewayProc } from './gateway';
import { prepareDatabase } from '../lib/seed';
import { Freshness, type Violation } from './freshness';
import { combine, parseHistogram, sumHistograms, type Histogram } from './histogram';
import { checkedRead, gqlClient, newReadStats, pollUntilVisible, startReaders, warmPatient, type ReadStats, type Visible } from './readers';
import { loadWorld, plan, runWriter, sqlClient, type Db, type WriterStats } from './writer';

export const LAG_METRIC = 'wardcache_change_capture_lag_seconds';
export const BOUND_MS = 1000;

export interface LagSettings {
  rate: number;
  seconds: number;
  readers: number;
  pgAdminUrl: string;
  redisUrl: string;
  ops: Map<string, string>;
  /** Extra gateway settings (diagnosis only: the report is about the defaults). */
  gatewayEnv: Record<string, string>;
  log: (line: string) => void;
}

export interface LagResult {
  kind: Db['kind'];
  gateways: number;
  writer: WriterStats;
  /** Lag observations during the write phase (after − before), summed over gateways. */
  lag: Histogram;
  /** Observations per gateway (who read the log). */
  perGateway: number[];
  /** `wardcache_cache_verify_mismatches_total` during the write phase, summed over gateways. */
  verifyMismatches: number;
  visible: Visible[];
  /** Renames whose Patient was a cached hit through every gateway just before the commit. */
  warmedHits: number;
  fresh: { checked: number; violations: number; examples: Violation[] };
  /** The readers that keep answers cached (their hit ratio shows how much the writes evict). */
  reads: ReadStats;
  /** Failed reads of the warming, polling and final checks. */
  otherErrors: ReadStats;
  /** Each gateway's warn-or-worse log lines by message (filled until it has stopped). */
  logs: Array<{ name: string; problems: GatewayProc['problems'] }>;
  loadavg: [string, string];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Each gateway's lag histogram and its count of self-check mismatches (src/cache/verify). */
async function scrape(urls: string[]): Promise<Array<{ lag: Histogram; mismatches: number }>> {
  return Promise.all(
    urls.map(async (u) => {
      const text = await (await fetch(`${u}/metrics`, { signal: AbortSignal.timeout(60_000) })).text();
      const mismatches = /^wardcache_cache_verify_mismatches_total(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
      return { lag: parseHistogram(text, LAG_METRIC), mismatches: Number(mismatches ?? 0) };
    }),
  );
}

/** Scratch database (PostgreSQL) or file (SQLite), migrated and seeded with the demo data. */
async function prepare(kind: Db['kind'], s: LagSettings): Promise<{ db: Db; url: string; drop: () => Promise<void> }> {
  const seed = { ...DEMO_DATA, now: new Date() };
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'wardcache-capture-bench-'));
    const path = join(dir, 'capture.sqlite');
    await prepareDatabase(path, seed);
    return { db: { kind, path }, url: `file:${path}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `wardcache_capbench_${process.pid}`;
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: s.pgAdminUrl });
    await c.connect();
    await c.query(sql).finally(() => c.end());
  };
  await admin(`drop database if exists "${name}" with (force)`);
  await admin(`create database "${name}"`);
  const u = new URL(s.pgAdminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const orm = await initORM({ kind: 'postgresql', url }, { logger: () => undefined });
  try {
    await migrate(orm);
    await seedDatabase(orm, seed);
  } finally {
    await orm.close(true);
  }
  return { db: { kind, url }, url, drop: () => admin(`drop database if exists "${name}" with (force)`) };
}

async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    for await (const keys of r.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) if (keys.length) await r.unlink(...keys);
  } finally {
    r.disconnect();
  }
}

export async function measureLag(kind: Db['kind'], s: LagSettings): Promise<LagResult> {
  const load0 = loadavg();
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const { db, url, drop } = await prepare(kind, s);
    cleanups.push(drop);
    const prefix = `wardcache-capbench-${process.pid}-${Date.now()}:`;
    if (kind === 'postgresql') cleanups.push(() => dropRedisPrefix(s.redisUrl, prefix));
    const count = kind === 'postgresql' ? 2 : 1;
    const env = { DATABASE_URL: url, DEMO_DATA: 'false', ...(kind === 'postgresql' ? { REDIS_URL: s.redisUrl, CACHE_REDIS_PREFIX: prefix } : {}), ...s.gatewayEnv };
    const gateways: GatewayProc[] = [];
    cleanups.push(async () => void (await Promise.all(gateways.map((g) => g.stop()))));
    gateways.push(...(await Promise.all(Array.from({ length: count }, (_, i) => startGateway(`${kind}-g${i + 1}`, env)))));
    s.log(`  ${kind}: ${count} gateway(s) up: ${gateways.map((g) => `${g.url} (pid ${g.pid})`).join(', ')}`);

    const token = await new SignJWT({ hospitalId: '1', role: 'viewer' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject('capture-bench').setExpirationTime('2h').sign(new TextEncoder().encode(SECRET));
    const gql = gqlClient(gateways.map((g) => g.url), s.ops, token);
    const client = await sqlClient(db);
    cleanups.push(() => client.close());
    const world = await loadWorld(client);
    const fresh = new Freshness(BOUND_MS);
    fresh.seed(world);

    const side = newReadStats();
    for (let g = 0; g < count; g++) for (const op of ['Dashboard', 'WardMapping']) await checkedRead(gql, fresh, side, g, op);
    const readers = startReaders(gql, fresh, world.hot, s.readers);
    await sleep(3000);
    const before = await scrape(gateways.map((g) => g.url));

    const steps = plan(world, Math.round(s.rate * s.seconds));
    const startAt = Date.now() + 800;
    const slot = (i: number) => startAt + (i * 1000) / s.rate;
    let warmedHits = 0;
    const warming = (async () => {
      const pending: Array<Promise<void>> = [];
      for (let i = 0; i < steps.length; i++) {
        const target = steps[i].target;
        if (target === null) continue;
        await sleep(slot(i) - 500 - Date.now());
        pending.push(warmPatient(gql, fresh, side, target).then((all) => void (all && warmedHits++)));
      }
      await Promise.all(pending);
    })();
    const polls: Array<Promise<Visible>> = [];
    let renames = 0;
    s.log(`  ${kind}: writing ${steps.length} commits at ${s.rate}/s`);
    const writer = await runWriter(client, world, steps, s.rate, fresh, (c) => {
      if (c.kind === 'rename') polls.push(pollUntilVisible(gql, fresh, side, renames++ % count, c.patientId, c.name, c.at));
    }, startAt);
    const visible = await Promise.all(polls);
    await warming;
    await sleep(1500);
    await readers.stop();
    const after = await scrape(gateways.map((g) => g.url));
    // Every read now starts more than the bound after the last commit: all must be fresh.
    for (let g = 0; g < count; g++) {
      for (const op of ['Dashboard', 'WardMapping']) await checkedRead(gql, fresh, side, g, op);
      for (const id of world.hot) await checkedRead(gql, fresh, side, g, 'Patient', { id: String(id) });
    }
    const perGateway = before.map((b, i) => combine(b.lag, after[i].lag, -1));
    return {
      kind,
      gateways: count,
      writer,
      lag: sumHistograms(perGateway),
      perGateway: perGateway.map((h) => h.count),
      verifyMismatches: after.reduce((a, x, i) => a + x.mismatches - before[i].mismatches, 0),
      visible,
      warmedHits,
      fresh: { checked: fresh.checked, violations: fresh.violations, examples: fresh.examples },
      reads: readers.stats,
      otherErrors: side,
      logs: gateways.map((g) => ({ name: g.name, problems: g.problems })),
      loadavg: [load0, loadavg()],
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => s.log(`  cleanup: ${err instanceof Error ? err.message : String(err)}`));
  }
}
