/**
 * One measured run of the hospital day: fresh models of both hospitals from the database, the
 * users and the writers started together, a warm-up, then the measured window (client counters,
 * pg_stat_database and CPU taken at its start and end), then the load stops and every request
 * still in flight is awaited (each ends within its 30 s timeout). The gateways' /metrics and logs
 * are read while they are idle, before the warm-up and after the drain.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createTokenService } from '../../src/auth/tokens';
import { Random } from '../../test/stress/random';
import { cpuMeter } from '../lib/cpu';
import { ReadChecker } from './check';
import { HttpClient } from './client';
import { SECRET, type GatewayProc } from './gateways';
import { between, readEach } from './metrics';
import type { RunResult } from './report';
import { pgBackendsMeter, pgCounters, pgDelta } from './services';
import { RunStats } from './stats';
import { makeUsers, UserLoad } from './users';
import { HospitalWriter } from './writers';
import { loadHospitals } from './world';

export interface DayOptions {
  users: number;
  seconds: number;
  warmupS: number;
  writesPerS: number;
  seed: number;
  hospitals: string[];
  database: { name: string; url: string };
  gateways: GatewayProc[];
  redisPid: number;
  ops: Map<string, string>;
  /**
   * Per hospital, patients whose write in an earlier run stayed ambiguous (it may still commit):
   * never written again, and the kind of that write (admissions and discharges move the counts).
   */
  unknown: Map<string, Map<string, string>>;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDay(o: DayOptions): Promise<RunResult> {
  const models = await loadHospitals(o.database.url, o.hospitals);
  for (const m of models) {
    for (const [id, kind] of o.unknown.get(m.hospitalId) ?? []) {
      m.busy.add(id);
      if (kind === 'AdmitPatient' || kind === 'DischargePatient') m.statusUnknown += 1;
    }
  }
  const tokens = createTokenService(SECRET);
  const rng = new Random(o.seed, `users-${o.users}`);
  const viewerTokens = await Promise.all(Array.from({ length: o.users }, (_, i) => tokens.sign({ sub: `viewer-${i}`, hospitalId: o.hospitals[i % o.hospitals.length], role: 'viewer' })));
  const users = makeUsers(o.users, models, (i) => viewerTokens[i], o.ops, rng);

  let current = new RunStats();
  const client = new HttpClient(512);
  const gateways = o.gateways.map((g) => g.url);
  const load = new UserLoad(users, { client, gateways, ops: o.ops, checker: new ReadChecker(), stats: () => current, rng: rng.fork('reads') });
  const writers = await Promise.all(
    models.map(async (m) => {
      const token = await tokens.sign({ sub: `clinician-${m.hospitalId}`, hospitalId: m.hospitalId, role: 'clinician' });
      return new HospitalWriter(m, token, rng.fork(`writer-${m.hospitalId}`), { client, gateways, ops: o.ops, stats: () => current });
    }),
  );

  // Gateway-side counters and logs are read while nothing runs (before the warm-up, after the
  // drain): a saturated gateway answers /metrics only after everything queued before it.
  const gwStart = await readEach(gateways);
  const logsStart = o.gateways.map((g) => ({ ...g.logs }));
  const sendingStarted = performance.now();
  load.start();
  for (const w of writers) w.start(o.writesPerS);
  o.log(`  ${o.users} users, ${o.writesPerS} writes/s per hospital: warming up ${o.warmupS} s`);
  await sleep(o.warmupS * 1000);

  const measured = new RunStats();
  current = measured;
  const meter = cpuMeter([...o.gateways.map((g) => g.pid), o.redisPid, process.pid], [0, 1]);
  const pgCpu = await pgBackendsMeter(o.database.name);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const pgBefore = await pgCounters(o.database.name);
  o.log(`  measuring ${o.seconds} s`);
  const progress = setInterval(() => o.log(`  … ${progressLine(measured)}`), 5000);
  await sleep(o.seconds * 1000);
  clearInterval(progress);
  const cpu = meter();
  delay.disable();
  const [pgAfter, pgSeconds] = await Promise.all([pgCounters(o.database.name), pgCpu()]);
  current = new RunStats(); // anything sent from now on is not measured
  const sendingS = (performance.now() - sendingStarted) / 1000;

  load.stop();
  for (const w of writers) w.stop();
  o.log('  stopped; waiting for the requests in flight');
  await Promise.all([load.drain(), ...writers.map((w) => w.drain())]);
  client.close();
  await sleep(3000); // re-warms run 1 s after the last write
  const gwEnd = await readEach(gateways);
  const gw = between(gwStart, gwEnd);
  for (const m of models) {
    const known = o.unknown.get(m.hospitalId) ?? new Map<string, string>();
    for (const [id, t] of m.tracked) if (t.retired) known.set(id, t.versions.find((v) => !v.definite)?.kind ?? '?');
    o.unknown.set(m.hospitalId, known);
  }
  const logs = { warmFailed: 0, warnOrWorse: 0, examples: [] as string[] };
  o.gateways.forEach((g, i) => {
    logs.warmFailed += g.logs.warmFailed - logsStart[i].warmFailed;
    logs.warnOrWorse += g.logs.warnOrWorse - logsStart[i].warnOrWorse;
    logs.examples.push(...g.logs.examples.slice(logsStart[i].examples.length));
  });
  return {
    users: o.users,
    wallS: cpu.wallS,
    stats: measured,
    gw: gw?.counters ?? null,
    gwSendingS: sendingS,
    gwSeconds: gw?.seconds ?? NaN,
    pgCpuS: pgSeconds,
    pg: pgDelta(pgBefore, pgAfter),
    cpu,
    logs,
    loopDelay: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
  };
}

function progressLine(s: RunStats): string {
  let sent = 0;
  let ok = 0;
  let settled = 0;
  for (const [name, o] of s.ops) {
    if (!['Dashboard', 'WardMapping', 'WardMappingFiltered'].includes(name)) continue;
    sent += o.sent;
    ok += o.ok;
    settled += o.answered + o.timeouts + o.errorCount();
  }
  return `reads sent ${sent}, OK ${ok}, in flight ${sent - settled}; writes done ${s.writes.done}; stale ${s.stale.staleHits + s.stale.staleExecuted}`;
}
