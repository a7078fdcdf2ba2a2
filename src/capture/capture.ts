import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger';
import { feedRows, type PropertyNames } from './feed';
import type { CaptureLedger } from './ledger';
import type { ChangeLog, ChangeRow } from './log';
import type { CaptureClock } from './clock';

/** Where captured changes go: the response cache's invalidation (counted, re-warmed). */
export interface CaptureTarget {
  /** `committedAt`: the earliest write time of the changes (epoch ms, database clock), for live changes' `at`. */
  invalidate(scope: number, tags: readonly string[], intent: undefined, committedAt: number): Promise<number>;
  purge(scope: number, intent: undefined, committedAt: number): Promise<number>;
}

export interface CaptureSettings {
  /** How often the log is read. */
  pollMs: number;
  /** Rows older than this are pruned once applied. */
  retentionMs: number;
  /** The reader's lease in a shared store: another process takes over this long after it dies. */
  leaseMs: number;
}

export interface CaptureDeps {
  log: ChangeLog;
  ledger: CaptureLedger;
  target: CaptureTarget;
  properties: PropertyNames;
  /** This cache's origin: rows its own gateways wrote were evicted already (origin.ts). */
  origin: string | null;
  clock: CaptureClock;
  settings: CaptureSettings;
  logger: Logger;
  /** Commit-to-eviction time of each applied change, in seconds. */
  onLag?: (seconds: number) => void;
  /** Changes found unapplied by the last read. */
  onBacklog?: (rows: number) => void;
}

const PRUNE_EVERY_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The reader of the change log. One process at a time reads for a shared cache (the lease),
 * any process takes over once the lease lapses; an in-process cache has its own reader. Each
 * pass: read past the position, evict what the rows feed, and only once the store confirmed
 * it, advance the position and record "everything committed before this pass began is applied"
 * (the clock that decides whether cached answers may be served, see clock.ts). Replays after a
 * crash between eviction and advance evict again, which is harmless.
 */
export function createChangeCapture(deps: CaptureDeps) {
  const { log, ledger, target, clock, settings, logger } = deps;
  const id = randomUUID();
  let position: number | null = null;
  let leading = false;
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;
  let lastPrune = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let failing = false;

  async function evictEverything(at = Date.now()): Promise<void> {
    const hospitals = await log.hospitals();
    await Promise.all(hospitals.map((h) => target.purge(h, undefined, at)));
  }

  async function apply(rows: readonly ChangeRow[]): Promise<void> {
    const { pending, everything } = feedRows(rows, deps.properties, deps.origin);
    // The earliest change of each hospital: live changes report it as the commit time.
    const firstAt = new Map<number | null, number>();
    for (const r of rows) firstAt.set(r.hospitalId, Math.min(r.at, firstAt.get(r.hospitalId) ?? Infinity));
    const at = (scope: number) => firstAt.get(scope) ?? Date.now();
    await Promise.all([
      ...(everything ? [evictEverything(firstAt.get(null))] : []),
      ...[...pending.purge].map((scope) => target.purge(scope, undefined, at(scope))),
      ...[...pending.tags].filter(([scope]) => !pending.purge.has(scope)).map(([scope, tags]) => target.invalidate(scope, [...tags], undefined, at(scope))),
    ]);
    const now = Date.now();
    for (const r of rows) if (r.origin !== deps.origin) deps.onLag?.(Math.max(0, now - r.at) / 1000);
  }

  /** Where this reader starts: the cache's position, unless it has none or the log lost rows past it. */
  async function startingPosition(): Promise<number> {
    const [pos, floor] = await Promise.all([ledger.position(), log.floor()]);
    if (pos !== null && pos >= floor) return pos;
    // A cache that never had a position (first start on this store) or fell behind the pruned
    // log may hold answers older than any change we can still read: drop them all.
    logger.warn({ position: pos, floor }, pos === null ? 'change capture: first start on this cache, purging it' : 'change capture: changes were pruned before this cache applied them, purging it');
    const head = await log.head();
    await evictEverything();
    await ledger.advance(head);
    return head;
  }

  async function pass(): Promise<void> {
    const started = Date.now();
    let pos = position ?? (await startingPosition());
    for (;;) {
      const read = await log.read(pos);
      deps.onBacklog?.(read.rows.length);
      if (read.rows.length) await apply(read.rows);
      read.confirm();
      if (read.next > pos) {
        await ledger.advance(read.next);
        pos = read.next;
      }
      position = pos;
      if (!read.more || closed) break;
    }
    deps.onBacklog?.(0);
    await ledger.applied(started);
    clock.applied(started);
    if (started - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = started;
      const pruned = await log.prune(started - settings.retentionMs, pos);
      if (pruned) logger.debug({ pruned }, 'change capture: pruned applied changes');
    }
  }

  async function tick(): Promise<void> {
    const lead = await ledger.lead(id, settings.leaseMs);
    if (lead && !leading) position = null; // (re)gained the lease: resume from the shared position
    leading = lead;
    if (lead) await pass();
    else {
      const through = await ledger.appliedThrough();
      if (through !== null) clock.applied(through);
    }
  }

  /** Runs one tick at a time; a wake-up during a tick runs another right after it. */
  function wake(): Promise<void> {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = tick()
      .then(() => {
        if (failing) logger.info('change capture: reading again');
        failing = false;
        clock.failed(null);
      })
      .catch((err: Error) => {
        if (!failing) logger.warn({ err: err.message }, 'change capture: reading the change log failed; cached answers are not served past the bound until it reads again');
        failing = true;
        leading = false;
        position = null;
        clock.failed(err.message);
      })
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          void wake();
        }
      });
    return running;
  }

  return {
    /**
     * Applies what was committed before now (changes made while no gateway ran included) and
     * starts reading. Waits up to `waitMs` for it (another process may hold the lease); past
     * that the gateway starts anyway, and its cache stays unserved until the capture catches up.
     */
    async start(waitMs = 15_000): Promise<void> {
      const startedAt = Date.now();
      while (!closed) {
        await wake();
        if ((clock.appliedThrough() ?? 0) >= startedAt) break;
        if (Date.now() - startedAt > waitMs) {
          logger.warn('change capture: not caught up at start; serving from the database until it is');
          break;
        }
        await sleep(settings.pollMs);
      }
      timer = setInterval(() => void wake(), settings.pollMs);
      timer.unref();
    },
    /** True while this process reads the log for its cache. */
    leading: () => leading,
    position: () => position,
    /** Reads once now (tests, and the CLI). */
    wake,
    async close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      await running;
      if (leading) await ledger.resign(id).catch(() => undefined);
      await Promise.all([log.close(), ledger.close()]);
    },
  };
}

export type ChangeCapture = ReturnType<typeof createChangeCapture>;
