import { LockWaitTimeoutException } from '@mikro-orm/core';
import type { EventEmitter } from 'node:events';
import type { Orm } from './orm';

/** The part of a libsql connection that taking the write lock needs. */
export interface SqliteHandle {
  exec(sql: string): unknown;
}

/**
 * busy_timeout of ordinary statements (reads meeting another connection's WAL recovery or
 * last-close checkpoint). Writes do not use it: see `beginImmediate`.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** How long a write waits, in total, for another connection's write lock before it is refused. */
export const WRITE_LOCK_WAIT_MS = 5000;

/** Longest pause between two attempts at the write lock. */
const MAX_RETRY_DELAY_MS = 16;

/** Emitted on the knex client each time a write finds the write lock taken and waits. */
export const WRITE_LOCK_WAIT_EVENT = 'wardcache:write-lock-wait';

export function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Opens a write transaction that holds the write lock from its first statement (`BEGIN
 * IMMEDIATE`), so its reads and writes share one snapshot no other writer can overtake: a
 * deferred BEGIN would upgrade a read snapshot, which fails at once (SQLITE_BUSY_SNAPSHOT) when
 * another connection committed meanwhile.
 *
 * The wait for the lock happens here rather than in SQLite's busy handler: libsql runs statements
 * synchronously, so busy_timeout would freeze the whole process for the length of the other
 * writer's transaction (forever, when that writer is in this same process and needs the event
 * loop to finish). So each attempt does not wait (busy_timeout 0), and the attempts are spaced by
 * timers up to `maxWaitMs`; then it throws LockWaitTimeoutException, nothing having been done.
 * A failed BEGIN leaves no statement open (exec finalises it), so the connection stays clean.
 */
export async function beginImmediate(conn: SqliteHandle, maxWaitMs: number, onWait: () => void): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  conn.exec('pragma busy_timeout = 0');
  try {
    for (let delay = 1; ; delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS)) {
      try {
        conn.exec('BEGIN IMMEDIATE');
        return;
      } catch (err) {
        if (!isSqliteBusy(err)) throw err;
        const left = deadline - Date.now();
        if (left <= 0) throw new LockWaitTimeoutException(err as Error);
        onWait();
        await sleep(Math.min(delay, left));
      }
    }
  } finally {
    conn.exec(`pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  }
}

/**
 * Calls `listener` whenever a write of this ORM (SQLite only) finds the write lock taken by
 * another connection and waits for it. For tests and diagnostics; returns the unsubscriber.
 */
export function onWriteLockWait(orm: Orm, listener: () => void): () => void {
  // knex's typings declare `client` as any; it is knex's Client, an EventEmitter.
  const client = (orm.em.getConnection() as unknown as { getKnex(): { client: EventEmitter } }).getKnex().client;
  client.on(WRITE_LOCK_WAIT_EVENT, listener);
  return () => void client.off(WRITE_LOCK_WAIT_EVENT, listener);
}
