import cron, { type ScheduledTask } from 'node-cron';
import type { Orm } from '../db/orm';
import { Hospital } from '../modules/hospital/hospital.entity';
import type { Logger } from '../observability/logger';
import type { WarmTarget } from './hot-operations';
import type { JobLedger } from './ledger';
import type { Warmer } from './warmer';

export interface JobSettings {
  enabled: boolean;
  /** Six-field cron (with seconds). Default every 5 minutes at :00. */
  dashboardCron: string;
  /** Default every 5 minutes, 2.5 minutes after the dashboard job. */
  wardCron: string;
}

export const DEFAULT_JOBS: JobSettings = { enabled: true, dashboardCron: '0 */5 * * * *', wardCron: '30 2-59/5 * * * *' };

export interface JobRun {
  job: string;
  startedAt: Date;
  durationMs: number;
  hospitals: number;
  failures: number;
  /** False when another process held this tick's lock, or this job was still running. */
  ran: boolean;
  /** The scheduled tick (epoch seconds): the same in every process. */
  tick: number;
}

/**
 * The two warm jobs. A job never overlaps itself (`noOverlap`), and across processes sharing
 * Redis each tick runs once in total: the first process to take the tick's lock warms.
 */
export function createScheduler(deps: { orm: Orm; warmer: Warmer; ledger: JobLedger; logger: Logger }, settings: JobSettings) {
  const runs: JobRun[] = [];
  const running = new Set<string>();

  const remember = (run: JobRun): JobRun => {
    runs.push(run);
    if (runs.length > 100) runs.shift();
    return run;
  };

  async function runJob(job: string, targets: WarmTarget[], tickAt: Date): Promise<JobRun> {
    const startedAt = new Date();
    const tick = Math.floor(tickAt.getTime() / 1000);
    const skipped = { job, startedAt, durationMs: 0, hospitals: 0, failures: 0, ran: false, tick };
    // node-cron's noOverlap covers scheduled ticks; this also covers manual and invoked runs.
    if (running.has(job)) return remember(skipped);
    running.add(job);
    try {
      // One lock per job and scheduled second (cron ticks carry the slot time, the same in
      // every process); it expires long after the tick.
      if (!(await deps.ledger.acquire(`${job}:${tick}`, 10 * 60_000))) {
        deps.logger.debug({ job, tick }, 'another process took this warm tick');
        return remember(skipped);
      }
      const run = remember({ ...(await warmAll(job, targets, startedAt)), tick });
      deps.logger.info(run, 'warm job finished');
      return run;
    } finally {
      running.delete(job);
    }
  }

  async function warmAll(job: string, targets: WarmTarget[], startedAt: Date): Promise<Omit<JobRun, 'tick'>> {
    const hospitals = await deps.orm.em.fork().find(Hospital, {}, { fields: ['id'], orderBy: { id: 'asc' } });
    let failures = 0;
    for (const { id } of hospitals) {
      try {
        failures += (await deps.warmer.warm(id, targets)).filter((r) => !r.ok).length;
      } catch (err) {
        failures += targets.length;
        deps.logger.error({ err, job, hospitalId: id }, 'warm job failed for a hospital');
      }
    }
    const run = { job, startedAt, durationMs: Math.round(Date.now() - startedAt.getTime()), hospitals: hospitals.length, failures, ran: true };
    return run;
  }

  const tasks: ScheduledTask[] = [];
  const define = (job: string, expression: string, targets: WarmTarget[]) => {
    // node-cron checks `instanceof Function`, so the callback is a plain function.
    const task = cron.schedule(expression, (ctx) => runJob(job, targets, ctx.date), { noOverlap: true });
    if (!settings.enabled) void task.stop();
    tasks.push(task);
    return task;
  };
  const dashboard = define('warm-dashboard', settings.dashboardCron, ['DASHBOARD']);
  const wards = define('warm-wards', settings.wardCron, ['WARD_MAPPING', 'WARD_FILTERS']);

  return {
    tasks: { dashboard, wards },
    runs,
    runJob,
    async stop() {
      await Promise.all(tasks.map((t) => t.destroy()));
    },
  };
}
