import Database from 'libsql';

/**
 * The peer's data access: the SQLite driver the project already ships (`libsql`, the engine
 * MikroORM's libsql driver runs on, with better-sqlite3's synchronous API), plain SQL, prepared
 * statements reused by their text. No ORM, no query builder.
 */
export type Row = Record<string, unknown>;

export interface PeerDb {
  all(sql: string, params?: unknown[]): Row[];
  get(sql: string, params?: unknown[]): Row | undefined;
  /** Statements run since start. */
  readonly statements: number;
  close(): void;
}

export function openDatabase(url: string): PeerDb {
  if (!url.startsWith('file:')) throw new Error(`DATABASE_URL must be file:<path> (SQLite), got ${url}`);
  const db = new Database(url.slice('file:'.length));
  db.exec('pragma busy_timeout = 5000; pragma foreign_keys = ON;');
  const prepared = new Map<string, Database.Statement<unknown[]>>();
  const statement = (sql: string) => {
    let s = prepared.get(sql);
    if (!s) {
      // Statements with IN lists differ by their number of placeholders: keep the cache bounded.
      if (prepared.size > 500) prepared.clear();
      prepared.set(sql, (s = db.prepare<unknown[]>(sql)));
    }
    return s;
  };
  let statements = 0;
  return {
    all(sql, params = []) {
      statements += 1;
      return statement(sql).all(...params) as Row[];
    },
    get(sql, params = []) {
      statements += 1;
      return statement(sql).get(...params) as Row | undefined;
    },
    get statements() {
      return statements;
    },
    close: () => db.close(),
  };
}

/** `?, ?, ?` for an IN list. */
export const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** SQLite keeps the gateway's DateTime columns as epoch ms (MikroORM's libsql mapping). */
export function toDate(value: unknown): Date {
  return typeof value === 'number' || typeof value === 'bigint' ? new Date(Number(value)) : new Date(String(value));
}

export const toNullableDate = (value: unknown): Date | null => (value == null ? null : toDate(value));
