import type Redis from 'ioredis';
import {
  decodeBucket,
  decodeInfo,
  decodeOperations,
  encodeBucket,
  encodeInfo,
  encodeOperations,
  hospitalFields,
  INFO_FIELD,
  opsField,
  processesKey,
  processKey,
  slotField,
} from './codec';
import type { Recorder } from './recorder';
import { SLOT_MS, type HospitalFigures, type ProcessInfo } from './types';

/** A published process: what it said about itself, and its figures of the hospital asked for. */
export interface Published {
  info: ProcessInfo;
  figures: HospitalFigures;
}

/**
 * Writes this process's figures in one transaction: its info, each hospital's operation
 * counters, and the ten-second buckets that may have changed since the last publication that
 * Redis confirmed (so a publication lost to an outage is made up by the next one). Both keys
 * get `retainMs` more to live; processes not heard for that long leave the sorted set.
 */
export function createPublisher(redis: Redis, prefix: string, recorder: Recorder, retainMs: number) {
  /** Buckets of this ten seconds and later are (re)written; -Infinity: all of the last hour. */
  let sinceTick = -Infinity;
  return async function publish(info: Omit<ProcessInfo, 'lastHeardAt' | 'hits' | 'misses'>, now = Date.now()): Promise<void> {
    // From the ten seconds of this snapshot on, everything is written again next time (it goes
    // on filling); the recorder's, should its timer be a little late at a boundary.
    const next = Math.min(Math.floor(now / SLOT_MS), recorder.currentTick());
    const key = processKey(prefix, info.id);
    const fields: string[] = [INFO_FIELD, encodeInfo({ ...info, ...recorder.totals(), lastHeardAt: now })];
    for (const h of recorder.hospitalIds()) {
      const snap = recorder.snapshot(h, now, sinceTick);
      fields.push(opsField(h), encodeOperations(snap.operations));
      for (const b of snap.series) fields.push(slotField(h, b.at), encodeBucket(b));
    }
    const set = processesKey(prefix);
    const replies = await redis
      .multi()
      .hset(key, ...fields)
      .pexpire(key, retainMs)
      .zadd(set, now, info.id)
      .zremrangebyscore(set, '-inf', now - retainMs)
      .pexpire(set, retainMs)
      .exec();
    const failed = replies?.find(([err]) => err)?.[0];
    if (!replies || failed) throw failed ?? new Error('figures publication discarded');
    sinceTick = next;
  };
}

/**
 * Every process's last published figures of one hospital (but `excludeId`'s), most recently
 * heard first: one sorted-set read and one pipeline of HMGETs (362 fields each). Processes
 * whose hash expired are left out; so is a hash this version cannot read (another format).
 */
export async function readPublished(redis: Redis, prefix: string, hospitalId: number, excludeId: string | null): Promise<Published[]> {
  const ids = (await redis.zrevrange(processesKey(prefix), 0, -1)).filter((id) => id !== excludeId);
  if (ids.length === 0) return [];
  const fields = [INFO_FIELD, ...hospitalFields(hospitalId)];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(processKey(prefix, id), ...fields);
  const replies = (await pipeline.exec()) ?? [];
  const out: Published[] = [];
  for (const [err, values] of replies) {
    if (err) throw err;
    const [info, ops, ...slots] = values as Array<string | null>;
    if (info === null) continue; // expired between the two reads
    try {
      out.push({
        info: decodeInfo(info),
        figures: { operations: ops === null ? [] : decodeOperations(ops), series: slots.filter((s): s is string => s !== null).map(decodeBucket) },
      });
    } catch {
      continue; // another format (a process of another version), or damaged: not counted
    }
  }
  return out;
}
