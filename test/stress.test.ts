import { describeWithCommand } from './support/processes';
import { describeWith } from './support/services';
import type { DatabaseKind } from './stress/cluster';
import { freshSeed } from './stress/random';
import { formatExamples, formatSummary, type StressReport } from './stress/report';
import { replayCommand, runStress, type StressOptions } from './stress/run';

/**
 * The Freshness promise under load (test/stress/run.ts, `npm run stress` for longer runs): per
 * database, its own redis-server, 2 real gateway processes with DEFAULT cache settings, 8 readers
 * and 2 writers for 15 s, every answer checked against the writers' model; then at quiescence
 * every answer equals a cold recomputation. No stale or wrong answer, no 5xx, no internal or
 * other error, no verify mismatch.
 *
 * STRESS_SEED=N replays a run's choices; STRESS_GATEWAY_ROOT=/path runs another checkout's gateway.
 */

const SECONDS = 15;
/**
 * Three gateway starts (tsx compiles on the fly: 10–30 s each on a 2-core box, in parallel) and
 * the seed command, 15 s of load, quiescence (a few hundred comparisons) and shutdown.
 */
const TIMEOUT_MS = 360_000;

const seed = process.env.STRESS_SEED ? Number(process.env.STRESS_SEED) : freshSeed();
const options: Partial<StressOptions> = {
  seconds: SECONDS,
  readers: 8,
  writers: 2,
  processes: 2,
  seed,
  ...(process.env.STRESS_GATEWAY_ROOT ? { gatewayRoot: process.env.STRESS_GATEWAY_ROOT } : {}),
};

async function stress(database: DatabaseKind): Promise<StressReport> {
  const [report] = await runStress({ ...options, databases: [database] });
  const latency = report.stats.redisLatency.length ? `Redis under this load:\n${report.stats.redisLatency.join('\n')}` : '';
  const text = [formatSummary([report]), formatExamples(report), latency].filter(Boolean).join('\n\n');
  process.stdout.write(`\n${text}\n`);
  const replay = replayCommand({ seconds: SECONDS, readers: 8, writers: 2, processes: 2, seed }, database);
  if (!report.ok) throw new Error(`Freshness violated on ${database} (seed ${seed}; replay: ${replay})\n\n${text}`);
  return report;
}

function expectClean(report: StressReport): void {
  const { stats } = report;
  expect({ seed: report.seed, ...stats.violations, quiescenceEqual: report.quiescenceEqual }).toEqual({
    seed: report.seed,
    stale: 0,
    wrong: 0,
    '5xx': 0,
    internal: 0,
    serviceUnavailable: 0,
    invalidationPending: 0,
    other: 0,
    quiescence: 0,
    finalState: 0,
    verifyMismatches: 0,
    quiescenceEqual: true,
  });
  // Enough happened for the zeros to mean something.
  const writes = [...stats.writes.values()].reduce((s, c) => s + c.ok, 0);
  expect(stats.readsAfterWrite).toBeGreaterThanOrEqual(50);
  expect(writes).toBeGreaterThanOrEqual(20);
  expect(stats.readsChecked).toBeGreaterThanOrEqual(200);
  expect(stats.quiescenceCompared).toBeGreaterThanOrEqual(20);
  // Every write of the contract succeeded at least once.
  const kinds = ['RegisterPatient', 'AdmitPatient', 'TransferPatient', 'DischargePatient', 'TagPatient', 'UntagPatient', 'RecordEvent'];
  expect(kinds.filter((k) => (stats.writes.get(k)?.ok ?? 0) === 0)).toEqual([]);
}

describeWithCommand('redis-server')('stress: fresh after writes, under load, across processes', () => {
  describeWith('PostgreSQL')('PostgreSQL', () => {
    it(
      `${SECONDS} s, 8 readers, 2 writers, 2 gateway processes: no stale, wrong or failed answer`,
      async () => {
        expectClean(await stress('postgres'));
      },
      TIMEOUT_MS,
    );
  });

  describe('SQLite', () => {
    it(
      `${SECONDS} s, 8 readers, 2 writers, 2 gateway processes: no stale, wrong or failed answer`,
      async () => {
        expectClean(await stress('sqlite'));
      },
      TIMEOUT_MS,
    );
  });
});
