import { Client } from 'pg';
import { changeRowOf, PAGE, type ChangeLog, type ChangeRow, type LogRead } from './log';

type Raw = Record<string, unknown>;

const COLUMNS = `seq, txid::text as txid, (extract(epoch from at) * 1000)::float8 as at, hospital_id, entity, op, row_id, patient_id, props, origin`;

interface Row extends ChangeRow {
  txid: number;
}

const rowOf = (r: Raw): Row => ({ ...changeRowOf(r), txid: Number(r.txid) });

/**
 * PostgreSQL's change log. Sequence numbers are handed out when rows are written, not when
 * their transactions commit, so "everything up to seq n" is not a safe position: a transaction
 * holding seq 5 may commit after seq 6 was read. Each row carries its transaction id instead,
 * and the position is a transaction-id horizon H: every transaction below H has ended
 * (committed, hence visible, or rolled back), so the rows below H are final once read. H is
 * the xmin of the reading snapshot (`pg_snapshot_xmin(pg_current_snapshot())`).
 *
 * Rows of transactions at or above H that have already committed are read too (at once, for
 * the 1 s bound), remembered by sequence number, and not applied again when the horizon
 * passes them. A long-running writing transaction holds H back; the rows committed meanwhile
 * are re-read (not re-applied) on each poll until it ends.
 *
 * One dedicated connection reads (every CHANGE_CAPTURE_POLL_MS), so the capture never waits
 * behind requests for the pool. There is no NOTIFY: it takes one database-wide lock at each
 * notifying commit, which cost writers a third of their throughput (bench:capture), while a
 * 100 ms poll is cheap and well inside the 1 s bound.
 */
export function createPostgresLog(url: string): ChangeLog {
  let client: Client | null = null;
  let connecting: Promise<Client> | null = null;
  /** Rows at or above the horizon already returned (seq → txid). */
  const seen = new Map<number, number>();
  let cursor = { txid: 0, seq: -1 };

  const drop = (c: Client) => {
    if (client === c) client = null;
    c.end().catch(() => undefined);
  };
  const connect = (): Promise<Client> => {
    if (client) return Promise.resolve(client);
    connecting ??= (async () => {
      const c = new Client({ connectionString: url, connectionTimeoutMillis: 3000, query_timeout: 10_000 });
      c.on('error', () => drop(c));
      c.on('end', () => {
        if (client === c) client = null;
      });
      try {
        await c.connect();
      } catch (err) {
        drop(c);
        throw err;
      }
      client = c;
      return c;
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  };
  const query = async (sql: string, params: unknown[] = []): Promise<Raw[]> => {
    const c = await connect();
    try {
      return (await c.query(sql, params)).rows as Raw[];
    } catch (err) {
      drop(c);
      throw err;
    }
  };
  /** Statements in one read-only snapshot. */
  const inSnapshot = async <T>(fn: (q: typeof query) => Promise<T>): Promise<T> => {
    await query('begin isolation level repeatable read read only');
    const out = await fn(query);
    await query('commit');
    return out;
  };
  const horizon = async (q: typeof query) => Number((await q('select pg_snapshot_xmin(pg_current_snapshot())::text as h'))[0].h);

  return {
    dialect: 'postgresql',
    async logId() {
      return String((await query('select log_id from wardcache_capture_meta where id = 1'))[0]?.log_id);
    },
    head: () => inSnapshot(horizon),
    async floor() {
      return Number((await query('select pruned_below from wardcache_capture_meta where id = 1'))[0]?.pruned_below ?? 0);
    },
    async read(position): Promise<LogRead> {
      if (cursor.txid < position) cursor = { txid: position, seq: -1 };
      const from = cursor;
      const { h, final, eager } = await inSnapshot(async (q) => {
        const h = await horizon(q);
        const final = (
          await q(
            `select ${COLUMNS} from wardcache_change where txid >= $1::xid8 and txid < $2::xid8 and (txid, seq) > ($1::xid8, $3) order by txid, seq limit ${PAGE}`,
            [String(from.txid), String(h), from.seq],
          )
        ).map(rowOf);
        const eager = final.length === PAGE ? [] : (await q(`select ${COLUMNS} from wardcache_change where txid >= $1::xid8 order by seq limit ${PAGE}`, [String(h)])).map(rowOf);
        return { h, final, eager };
      });
      const finalFull = final.length === PAGE;
      const last = final[final.length - 1];
      const next = finalFull ? last.txid : h;
      const rows = [...final, ...eager].filter((r) => !seen.has(r.seq));
      return {
        rows,
        next,
        more: finalFull || eager.length === PAGE,
        confirm() {
          cursor = finalFull ? { txid: last.txid, seq: last.seq } : { txid: h, seq: -1 };
          for (const r of eager) seen.set(r.seq, r.txid);
          for (const [seq, txid] of seen) if (txid < next) seen.delete(seq);
        },
      };
    },
    async prune(olderThan, position) {
      const rows = await query(
        `with bound as (
           select least($1::xid8, coalesce((select min(txid) from wardcache_change where at >= to_timestamp($2::float8 / 1000)), $1::xid8)) as below
         ), gone as (
           delete from wardcache_change where txid < (select below from bound) returning 1
         ), meta as (
           update wardcache_capture_meta set pruned_below = greatest(pruned_below, (select below from bound)::text::bigint)
           where id = 1 and exists (select 1 from gone) returning 1
         )
         select (select count(*) from gone) as n, (select count(*) from meta) as m`,
        [String(position), olderThan],
      );
      return Number(rows[0].n);
    },
    async hospitals() {
      return (await query('select id from hospital order by id')).map((r) => Number(r.id));
    },
    async columns(table) {
      const rows = await query('select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1', [table]);
      return rows.map((r) => String(r.column_name));
    },
    async close() {
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
