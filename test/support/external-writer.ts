import Database from 'better-sqlite3';
import { Client } from 'pg';

/**
 * Another system writing the gateway's tables with plain SQL (the hospital's admission system):
 * not the gateway, not its ORM, not its driver (better-sqlite3 for SQLite, pg for PostgreSQL).
 * Statements use `?` placeholders on both.
 */
export interface ExternalWriter {
  readonly kind: 'sqlite' | 'postgresql';
  run(sql: string, params?: unknown[]): Promise<void>;
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements in one transaction. */
  transaction(statements: Array<[string, unknown[]?]>): Promise<void>;
  /** A timestamp value as this database stores the gateway's dates (epoch ms on SQLite). */
  time(date: Date): unknown;
  close(): Promise<void>;
}

const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export async function externalWriter(database: { kind: 'sqlite'; path: string } | { kind: 'postgresql'; url: string }): Promise<ExternalWriter> {
  if (database.kind === 'sqlite') {
    const db = new Database(database.path);
    db.pragma('busy_timeout = 10000');
    return {
      kind: 'sqlite',
      async run(sql, params = []) {
        db.prepare(sql).run(...params);
      },
      async rows<T>(sql: string, params: unknown[] = []) {
        return db.prepare(sql).all(...params) as T[];
      },
      async transaction(statements) {
        db.transaction(() => {
          for (const [sql, params = []] of statements) db.prepare(sql).run(...params);
        }).immediate();
      },
      time: (date) => date.getTime(),
      async close() {
        db.close();
      },
    };
  }
  const client = new Client({ connectionString: database.url });
  await client.connect();
  return {
    kind: 'postgresql',
    async run(sql, params = []) {
      await client.query(numbered(sql), params);
    },
    async rows<T>(sql: string, params: unknown[] = []) {
      return (await client.query(numbered(sql), params)).rows as T[];
    },
    async transaction(statements) {
      await client.query('begin');
      try {
        for (const [sql, params = []] of statements) await client.query(numbered(sql), params);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback');
        throw err;
      }
    },
    time: (date) => date.toISOString(),
    async close() {
      await client.end();
    },
  };
}
