import { fromSparse, toSparse } from './latency';
import { SLOT_MS, SLOTS, type OperationTraffic, type ProcessInfo, type SeriesBucket } from './types';

/**
 * Where and how figures are published in Redis, under the cache's prefix:
 *
 *   <prefix>{figures}:processes     sorted set: process id → when it last published (ms)
 *   <prefix>{figures}:process:<id>  hash, one per process:
 *       info                         JSON: id, version, host, pid, startedAt, lastHeardAt, hits, misses
 *       h<hospital>:ops              JSON: per operation, hits, misses, age sum, latency buckets (since start)
 *       h<hospital>:s<0..359>        JSON: one ten seconds of the last hour (the field of slot tick % 360,
 *                                    overwritten an hour later; the value says which ten seconds it is)
 *
 * `{figures}` is a Redis Cluster hash tag: a publication's transaction touches two keys, which
 * must share a slot (as the store's keys share their hospital's `{h<id>}`).
 * Both keys expire a retention period after the last publication, so a process that stopped
 * disappears with everything it published. Histograms are sparse: [bucket, count, …].
 */
export const FORMAT = 1;

export const processesKey = (prefix: string) => `${prefix}{figures}:processes`;
export const processKey = (prefix: string, id: string) => `${prefix}{figures}:process:${id}`;
export const INFO_FIELD = 'info';
export const opsField = (hospitalId: number) => `h${hospitalId}:ops`;
export const slotField = (hospitalId: number, at: number) => `h${hospitalId}:s${Math.floor(at / SLOT_MS) % SLOTS}`;
/** Every field of one hospital's figures: its operations, then its 360 slots. */
export const hospitalFields = (hospitalId: number) => [opsField(hospitalId), ...Array.from({ length: SLOTS }, (_, i) => `h${hospitalId}:s${i}`)];

export const encodeInfo = (info: ProcessInfo) => JSON.stringify({ v: FORMAT, ...info });

export const encodeOperations = (ops: readonly OperationTraffic[]) =>
  JSON.stringify(ops.map((o) => [o.operationName, o.hits, o.misses, o.ageSumMs, toSparse(o.hitLatency), toSparse(o.missLatency)]));

export const encodeBucket = (b: SeriesBucket) =>
  JSON.stringify([b.at, b.requests, b.hits, b.misses, b.invalidations, toSparse(b.hitLatency), toSparse(b.missLatency)]);

const count = (v: unknown): number => {
  if (typeof v !== 'number' || !(v >= 0)) throw new Error('not a count');
  return v;
};

/** A published info; throws when it is not one (another format, or damaged). */
export function decodeInfo(text: string): ProcessInfo {
  const o = JSON.parse(text) as Record<string, unknown>;
  if (o.v !== FORMAT || typeof o.id !== 'string' || typeof o.version !== 'string' || typeof o.host !== 'string') throw new Error('not figures info');
  return { id: o.id, version: o.version, host: o.host, pid: count(o.pid), startedAt: count(o.startedAt), lastHeardAt: count(o.lastHeardAt), hits: count(o.hits), misses: count(o.misses) };
}

export function decodeOperations(text: string): OperationTraffic[] {
  const rows = JSON.parse(text) as unknown;
  if (!Array.isArray(rows)) throw new Error('not operations');
  return rows.map((r: unknown) => {
    if (!Array.isArray(r) || typeof r[0] !== 'string') throw new Error('not an operation');
    return { operationName: r[0], hits: count(r[1]), misses: count(r[2]), ageSumMs: count(r[3]), hitLatency: fromSparse(r[4]), missLatency: fromSparse(r[5]) };
  });
}

export function decodeBucket(text: string): SeriesBucket {
  const r = JSON.parse(text) as unknown;
  if (!Array.isArray(r)) throw new Error('not a bucket');
  return { at: count(r[0]), requests: count(r[1]), hits: count(r[2]), misses: count(r[3]), invalidations: count(r[4]), hitLatency: fromSparse(r[5]), missLatency: fromSparse(r[6]) };
}
