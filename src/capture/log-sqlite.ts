import Database from 'libsql';
import { changeRowOf, PAGE, type ChangeLog, type LogRead } from './log';

type Db = InstanceType<typeof Database>;
type Raw = Record<string, unknown>;

const COLUMNS = 'seq, at, hospital_id, entity, op, row_id, patient_id, props, origin';

/**
 * SQLite's change log. Writers take the file's single write lock, so sequence numbers are
 * assigned in commit order and a reader that saw `seq` n has seen every change before it: the
 * position is simply the last sequence number applied. SQLite cannot notify other processes,
 * so the capture polls (a primary-key range read, well under a millisecond when idle).
 */
export function createSqliteLog(path: string): ChangeLog {
  let db: Db | null = null;
  const open = (): Db => {
    if (db) return db;
    const conn = new Database(path);
    conn.exec('pragma busy_timeout = 5000');
    return (db = conn);
  };
  // libsql 0.5 does not reset a failed statement, which can pin the connection to an old
  // snapshot (src/db/sqlite-dialect.ts): after any failure the connection is replaced.
  const run = <T>(fn: (conn: Db) => T): T => {
    try {
      return fn(open());
    } catch (err) {
      try {
        db?.close();
      } catch {
        // already broken
      }
      db = null;
      throw err;
    }
  };
  const all = (sql: string, ...params: unknown[]) => run((c) => c.prepare(sql).all(...params) as Raw[]);

  return {
    dialect: 'sqlite',
    async logId() {
      return String(all('select log_id from wardcache_capture_meta where id = 1')[0]?.log_id);
    },
    async head() {
      return Number(all('select coalesce(max(seq), 0) as seq from wardcache_change')[0].seq);
    },
    async floor() {
      return Number(all('select pruned_below from wardcache_capture_meta where id = 1')[0]?.pruned_below ?? 0);
    },
    async read(position): Promise<LogRead> {
      const rows = all(`select ${COLUMNS} from wardcache_change where seq > ? order by seq limit ${PAGE}`, position).map(changeRowOf);
      return { rows, next: rows.length ? rows[rows.length - 1].seq : position, more: rows.length === PAGE, confirm: () => undefined };
    },
    async prune(olderThan, position) {
      return run((c) => {
        // Up to the first row that must stay: written after the cut-off, or not yet applied.
        const keep = c.prepare('select min(seq) as s from wardcache_change where at >= ?').all(olderThan)[0] as Raw | undefined;
        const below = Math.min(position + 1, keep?.s == null ? Number.MAX_SAFE_INTEGER : Number(keep.s));
        const deleted = c.prepare('delete from wardcache_change where seq < ?').run(below).changes;
        // A reader whose position is under this has missed rows (see floor()).
        if (deleted > 0) c.prepare('update wardcache_capture_meta set pruned_below = max(pruned_below, ?) where id = 1').run(below - 1);
        return deleted;
      });
    },
    async hospitals() {
      return all('select id from hospital order by id').map((r) => Number(r.id));
    },
    async columns(table) {
      return all(`select name from pragma_table_info(?)`, table).map((r) => String(r.name));
    },
    async close() {
      db?.close();
      db = null;
    },
  };
}
