/**
 * Change capture: every committed change to the dashboard's tables, whoever made it (the
 * hospital's admission system, a nurse's tool, another gateway), evicts the cached answers it
 * feeds within the bound. The only import path from outside src/capture.
 *
 *   ddl.ts            the change log and its triggers (run by a migration)
 *   log-*.ts          reading the log on PostgreSQL (transaction-id horizon) and SQLite (sequence), polled
 *   ledger.ts         the applied position, the reader's lease and the applied-through time, beside the cache
 *   feed.ts           log rows into evictions, through the cache's dependency declarations
 *   capture.ts        the reader loop
 *   clock.ts          whether cached answers may be served (fail-closed past the bound)
 *   origin.ts         which rows a cache's own gateways wrote (evicted already, skipped)
 */
import type { Orm } from '../db/orm';
import type { GatewayConfig } from '../config/config';
import type { Logger } from '../observability/logger';
import { createChangeCapture, type CaptureTarget, type ChangeCapture } from './capture';
import type { CaptureClock } from './clock';
import { CAPTURED_TABLES } from './ddl';
import type { PropertyNames } from './feed';
import { createMemoryLedger, createRedisLedger } from './ledger';
import type { ChangeLog } from './log';
import { createPostgresLog } from './log-postgres';
import { createSqliteLog } from './log-sqlite';

export { createCaptureClock, type CaptureClock, type CaptureState } from './clock';
export { CAPTURED_TABLES, changeLogDdl } from './ddl';
export { cacheOrigin, sqliteOriginTrigger } from './origin';
export type { ChangeCapture } from './capture';

/** How long another process waits before it takes over from a reader that stopped renewing. */
export const CAPTURE_LEASE_MS = 2000;

/** Column → property names of the captured entities, from the ORM's metadata. */
function propertyNames(orm: Orm): PropertyNames {
  const out = new Map<string, Map<string, string>>();
  for (const meta of Object.values(orm.getMetadata().getAll())) {
    const names = new Map<string, string>();
    for (const prop of Object.values(meta.properties)) for (const field of prop.fieldNames ?? []) names.set(field, prop.name);
    out.set(meta.className, names);
  }
  return out;
}

/**
 * The triggers list each captured table's columns (on SQLite, one by one): a column added to a
 * table without a migration that recreates its triggers would go unseen, so the start fails.
 */
async function checkCapturedColumns(log: ChangeLog, properties: PropertyNames): Promise<void> {
  const problems: string[] = [];
  for (const [table, t] of Object.entries(CAPTURED_TABLES)) {
    const actual = new Set(await log.columns(table));
    const declared = new Set(t.columns);
    // A column the ORM does not know would reach FEEDS under its column name, never declared.
    const names = properties.get(t.entity);
    if (!names) problems.push(`CAPTURED_TABLES maps ${table} to ${t.entity}, which is no entity`);
    else if (t.kind !== 'patientTags') for (const c of t.columns) if (!names.has(c)) problems.push(`${table}.${c} is no property of ${t.entity}`);
    for (const c of actual) if (!declared.has(c)) problems.push(`${table}.${c} is not in CAPTURED_TABLES (src/capture/ddl.ts)`);
    for (const c of declared) if (!actual.has(c)) problems.push(`CAPTURED_TABLES names ${table}.${c}, which the database does not have`);
  }
  if (problems.length) throw new Error(`Change capture declarations are out of date:\n  - ${problems.join('\n  - ')}`);
}

export interface CaptureHooks {
  onLag?: (seconds: number) => void;
  onBacklog?: (rows: number) => void;
}

/** Builds and starts the capture for this gateway's database and cache; null when CHANGE_CAPTURE=off. */
export async function startChangeCapture(
  config: GatewayConfig,
  deps: { orm: Orm; target: CaptureTarget; clock: CaptureClock; logger: Logger; origin: string } & CaptureHooks,
): Promise<ChangeCapture | null> {
  if (config.changeCapture.mode === 'off') return null;
  const db = config.database;
  const log = db.kind === 'postgresql' ? createPostgresLog(db.url) : createSqliteLog(db.path);
  try {
    const properties = propertyNames(deps.orm);
    await checkCapturedColumns(log, properties);
    const ledger = config.redisUrl ? await createRedisLedger(config.redisUrl, config.cache.redisPrefix, await log.logId()) : createMemoryLedger();
    const capture = createChangeCapture({
      log,
      ledger,
      target: deps.target,
      properties,
      origin: deps.origin,
      clock: deps.clock,
      settings: { pollMs: config.changeCapture.pollMs, retentionMs: config.changeCapture.retentionMs, leaseMs: CAPTURE_LEASE_MS },
      logger: deps.logger,
      onLag: deps.onLag,
      onBacklog: deps.onBacklog,
    });
    await capture.start();
    return capture;
  } catch (err) {
    await log.close();
    throw err;
  }
}
