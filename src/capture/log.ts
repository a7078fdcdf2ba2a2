import type { ChangeOp } from './ddl';

/** One row of the change log (src/capture/ddl.ts). */
export interface ChangeRow {
  seq: number;
  /** Epoch ms the change was written (at or before its commit), by the database's clock. */
  at: number;
  hospitalId: number | null;
  entity: string;
  op: ChangeOp;
  rowId: number | null;
  patientId: number | null;
  /** Changed columns of an update, comma-separated; `tags` for a tag collection change. */
  props: string | null;
  /** The cache origin of the gateway that wrote it, if a gateway did (src/capture/origin.ts). */
  origin: string | null;
}

/** A read past a position: rows to apply, then `confirm()` once they are applied. */
export interface LogRead {
  rows: ChangeRow[];
  /** The position once these rows are applied: every change before it is among them or earlier. */
  next: number;
  /** More rows are waiting (a page was full): read again at once. */
  more: boolean;
  /** Marks the rows as applied (after the store confirmed their invalidations). */
  confirm(): void;
}

/**
 * The database's change log as the capture reads it, on its own connection (so it never waits
 * behind requests for the pool). A position is a number that only grows: SQLite's sequence
 * number, PostgreSQL's transaction-id horizon (see log-postgres.ts).
 */
export interface ChangeLog {
  readonly dialect: 'postgresql' | 'sqlite';
  /** Identifies this log: a position is meaningful only for the log it came from. */
  logId(): Promise<string>;
  /** A position past everything committed now (where a cache with nothing to catch up starts). */
  head(): Promise<number>;
  /** Positions below this were pruned: a reader behind it has lost changes. */
  floor(): Promise<number>;
  read(position: number): Promise<LogRead>;
  /** Deletes rows written before `olderThan` (epoch ms) and behind `position`; returns how many. */
  prune(olderThan: number, position: number): Promise<number>;
  /** The hospitals (to purge them all when changes were lost). */
  hospitals(): Promise<number[]>;
  /** Columns of each captured table, as the database has them (checked at start). */
  columns(table: string): Promise<string[]>;
  close(): Promise<void>;
}

export const PAGE = 2000;

const toNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const toText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** The columns both readers select, as each driver returns them (`at` already in epoch ms). */
export function changeRowOf(r: Record<string, unknown>): ChangeRow {
  return {
    seq: Number(r.seq),
    at: Number(r.at),
    hospitalId: toNumber(r.hospital_id),
    entity: String(r.entity),
    op: String(r.op) as ChangeOp,
    rowId: toNumber(r.row_id),
    patientId: toNumber(r.patient_id),
    props: toText(r.props),
    origin: toText(r.origin),
  };
}
