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
  /** False when another process held this tick's lock. */
  ran: boolean;
}

/**
 * The two warm jobs. A job never overlaps itself (`noOverlap`), and across processes sharing
 * Redis each tick runs once in total: the first process to take the tick's lock warms.
 */
export function createScheduler(deps: { orm: Orm; warmer: Warmer; ledger: JobLedger; logger: Logger }, settings: JobSettings) {
  const runs: JobRun[] = [];

  async function runJob(job: string, targets: WarmTarget[], tickAt: Date): Promise<JobRun> {
    const startedAt = new Date();
    // One lock per job and scheduled minute; it outlives the tick, not the next one.
    const tick = Math.floor(tickAt.getTime() / 60_000);
    if (!(await deps.ledger.acquire(`${job}:${tick}`, 120_000))) {
      const run = { job, startedAt, durationMs: 0, hospitals: 0, failures: 0, ran: false };
      runs.push(run);
      return run;
    }
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
    runs.push(run);
    if (runs.length > 100) runs.shift();
    deps.logger.info(run, 'warm job finished');
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
