import { LibSqlKnexDialect } from '@mikro-orm/knex';
import { sqliteOriginTrigger } from '../capture/origin';
import { beginImmediate, SQLITE_BUSY_TIMEOUT_MS, WRITE_LOCK_WAIT_EVENT, WRITE_LOCK_WAIT_MS, type SqliteHandle } from './sqlite-write-lock';

// WAL lets readers run beside the writer; busy_timeout covers the rare waits of reads (writes
// wait for the lock in beginImmediate instead).
const SQLITE_PRAGMAS = `pragma journal_mode = WAL; pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}; pragma synchronous = NORMAL; pragma foreign_keys = ON;`;

/** A libsql connection, as far as this dialect uses it. */
interface LibSqlHandle extends SqliteHandle {
  close(): void;
}

/** The members of knex's SQLite transaction (untyped) that this dialect replaces. */
interface KnexSqliteTransaction {
  readonly readOnly?: boolean;
  begin(conn: LibSqlHandle): Promise<unknown>;
  query(conn: LibSqlHandle, sql: string): Promise<unknown>;
}

/**
 * Connections on which a statement failed. libsql 0.5 does not reset a failed statement, and one
 * that failed busy keeps its read snapshot open (even after ROLLBACK) until it is garbage
 * collected: every later read on that connection would see the old data and every write would
 * fail. Any failure retires the connection (simpler than telling which ones pin, and rare): it is
 * never handed out again, and the pool opens a new one (about 0.25 ms).
 */
const failed = new WeakSet<object>();

/**
 * MikroORM's libsql dialect for knex, with the three things several gateway processes sharing
 * one SQLite file need: per-connection PRAGMAs, write transactions that take the write lock
 * first, and no reuse of a connection whose statement failed.
 */
export class SqliteDialect extends LibSqlKnexDialect {
  override async acquireRawConnection(): Promise<LibSqlHandle> {
    const conn = (await super.acquireRawConnection()) as LibSqlHandle;
    try {
      conn.exec(SQLITE_PRAGMAS);
    } catch (err) {
      conn.close();
      throw err;
    }
    const origin = (this as unknown as { connectionSettings?: { origin?: string } }).connectionSettings?.origin;
    if (origin) {
      try {
        conn.exec(sqliteOriginTrigger(origin));
      } catch {
        // No change log yet (the migration creates it): the gateway adds the trigger after migrating.
      }
    }
    return conn;
  }

  // knex's Transaction class is internal (knex comes with MikroORM, it is no dependency of ours),
  // so the transaction it builds gets its `begin` replaced instead: knex calls it only after
  // acquiring a connection, asynchronously, so the replacement is in place by then.
  transaction(...args: unknown[]): KnexSqliteTransaction {
    const trx = super.transaction(...args) as KnexSqliteTransaction;
    // SQLite has no isolation levels (it is serializable); a read-only transaction keeps the
    // deferred BEGIN, every other one is a write.
    trx.begin = (conn) =>
      trx.readOnly ? trx.query(conn, 'BEGIN;') : beginImmediate(conn, WRITE_LOCK_WAIT_MS, () => this.emit(WRITE_LOCK_WAIT_EVENT));
    return trx;
  }

  override async _query(connection: LibSqlHandle, obj: unknown): Promise<unknown> {
    try {
      return await super._query(connection, obj);
    } catch (err) {
      failed.add(connection);
      throw err;
    }
  }

  override validateConnection(connection: LibSqlHandle): boolean {
    return !failed.has(connection) && super.validateConnection(connection);
  }
}
