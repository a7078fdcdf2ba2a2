/**
 * Time bounds for Redis calls. Reads and writes are bounded differently on purpose:
 * - a read may give up quickly and fail open (answer from the database): `within`;
 * - a write-side call (intent, invalidation, purge) must be confirmed, so it is retried until
 *   its own, much longer bound: `confirmWithin`. A slow reply is not an outage.
 */

/**
 * Rejects when `p` has not settled within `ms` of time in which this process could have read
 * Redis' reply. Timers run before I/O in a turn of the event loop, so a plain timer fires while
 * the reply may already wait unread in the socket whenever our own loop was busy for longer
 * than `ms` (GC, a large answer, CPU load). Here a timer that fires late gives Redis a fresh
 * period (at most `LATE_REARMS` times), and one that fires on time first lets the loop read
 * what has arrived (`setImmediate` runs after the I/O poll).
 */
const LATE_REARMS = 3;
export function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let rearms = 0;
    const arm = () => {
      const due = Date.now() + ms;
      timer = setTimeout(() => {
        const late = Date.now() - due;
        if (late > ms / 2 && rearms < LATE_REARMS) {
          rearms += 1;
          return arm();
        }
        setImmediate(() => {
          if (settled) return;
          settled = true;
          reject(new ReplyTimeout(ms));
        });
      }, ms);
    };
    arm();
    p.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Waits for a reply that is already late, as long as `alive()` holds (checked every
 * `checkEveryMs`) and at most `atMostMs`: a slow Redis is waited for, a hung one is not.
 */
export function whileAlive<T>(pending: Promise<T>, opts: { alive: () => boolean; checkEveryMs: number; atMostMs: number }): Promise<{ ok: true; value: T } | { ok: false }> {
  const giveUpAt = Date.now() + opts.atMostMs;
  return new Promise((resolve) => {
    const check = setInterval(() => {
      if (!opts.alive() || Date.now() > giveUpAt) done({ ok: false });
    }, opts.checkEveryMs);
    const done = (outcome: { ok: true; value: T } | { ok: false }) => {
      clearInterval(check);
      resolve(outcome);
    };
    pending.then((value) => done({ ok: true, value }), () => done({ ok: false }));
  });
}

export class ReplyTimeout extends Error {
  override name = 'ReplyTimeout';
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `attempt` until it succeeds or `boundMs` has passed, waiting `retryMs` between failed
 * attempts (a refused command while the connection is being re-established fails at once).
 * Each attempt may use whatever time is left. Resolves with the first success; rejects with
 * the last error. Callers only pass idempotent calls: an attempt given up on may still run.
 */
export async function confirmWithin<T>(attempt: () => Promise<T>, boundMs: number, retryMs = 50): Promise<T> {
  const deadline = Date.now() + boundMs;
  let last: unknown = new Error('no attempt');
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw last;
    try {
      return await within(attempt(), left);
    } catch (err) {
      last = err;
    }
    const wait = Math.min(retryMs, deadline - Date.now());
    if (wait > 0) await sleep(wait);
  }
}
