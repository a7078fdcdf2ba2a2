import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnProcess, waitForUrl, type ManagedProcess } from './support/processes';
import { describeWith, REDIS_TEST_URL } from './support/services';

/**
 * Two real gateway processes on one Redis run the dashboard warm job every second: each tick is
 * warmed by exactly one of them (the per-tick lock), never by both, and the other one skips it.
 */
const ROOT = join(__dirname, '..');

interface LogLine {
  msg: string;
  tick?: number;
  job?: string;
  ran?: boolean;
}

const logLines = (p: ManagedProcess): LogLine[] =>
  p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

describeWith('Redis')('scheduled warming across gateway processes', () => {
  const procs: ManagedProcess[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop(5000)));
  });

  it('warms each tick once in total, not once per process', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'wardcache-lock-')), 'shared.sqlite');
    const prefix = `wardcache-lock-test-${process.pid}-${Date.now()}:`;
    const start = async (name: string, demoData: boolean) => {
      const port = await freePort();
      const p = spawnProcess(name, join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], {
        cwd: ROOT,
        group: true,
        env: {
          ...process.env,
          NODE_ENV: 'test',
          PORT: String(port),
          DATABASE_URL: `file:${db}`,
          REDIS_URL: REDIS_TEST_URL,
          CACHE_REDIS_PREFIX: prefix,
          CACHE_REDIS_TIMEOUT_MS: '1000',
          JWT_SECRET: 'warm-lock-secret-0123456789-abcdefghijkl',
          DEMO_DATA: String(demoData),
          LOG_LEVEL: 'debug',
          WARM_JOBS: 'true',
          WARM_DASHBOARD_CRON: '* * * * * *',
          WARM_WARDS_CRON: '0 0 0 1 1 *',
          CACHE_REWARM_DELAY_MS: '0',
        },
      });
      procs.push(p);
      await p.waitForLine('wardcache is serving', 120_000);
      await waitForUrl(`http://127.0.0.1:${port}/health`, { timeoutMs: 10_000 });
      return p;
    };
    const a = await start('gateway A', true);
    const b = await start('gateway B', false);

    // Both now tick every second; wait until each has seen several ticks of the other.
    const ticksOf = (p: ManagedProcess, ran: boolean) =>
      logLines(p)
        .filter((l) => (ran ? l.msg === 'warm job finished' && l.ran : l.msg === 'another process took this warm tick'))
        .map((l) => l.tick as number);
    const bothStarted = Math.floor(Date.now() / 1000) + 1;
    const deadline = Date.now() + 20_000;
    const shared = () => [...new Set([...ticksOf(a, true), ...ticksOf(b, true)])].filter((t) => t >= bothStarted);
    while (shared().length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await Promise.all(procs.map((p) => p.stop(5000)));

    const ranA = ticksOf(a, true).filter((t) => t >= bothStarted);
    const ranB = ticksOf(b, true).filter((t) => t >= bothStarted);
    const skippedA = new Set(ticksOf(a, false));
    const skippedB = new Set(ticksOf(b, false));
    expect(ranA.length + ranB.length).toBeGreaterThanOrEqual(4);
    // No tick warmed twice, in one process or across both…
    expect(new Set([...ranA, ...ranB]).size).toBe(ranA.length + ranB.length);
    // …and every tick one process warmed, the other saw and skipped.
    for (const t of ranA) expect({ tick: t, skippedByB: skippedB.has(t) }).toEqual({ tick: t, skippedByB: true });
    for (const t of ranB) expect({ tick: t, skippedByA: skippedA.has(t) }).toEqual({ tick: t, skippedByA: true });
  });
});
