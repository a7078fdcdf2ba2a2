import type Redis from 'ioredis';
import type { Logger } from '../../observability/logger';

export interface LivenessOptions {
  /** Down when a heartbeat stays unanswered this long. */
  deadAfterMs: number;
  intervalMs: number;
  logger: Logger;
  /** Runs before the store reports `up` again; a rejection keeps it down until the next beat. */
  beforeUp: () => Promise<void>;
  /** Each answered heartbeat's round trip (ms). */
  onBeat?: (ms: number) => void;
}

/**
 * Tells a dead Redis from a slow one. A slow reply to a read is that read's problem (it answers
 * from the database); Redis is *down* only when the connection is lost or a heartbeat (`TIME`)
 * goes unanswered for `deadAfterMs`. While down, reads skip Redis at once. Each outage logs one
 * warning and one recovery. The heartbeat also measures Redis' clock against ours, which the
 * store needs to judge write-intent deadlines that Redis stamped.
 */
export function createLiveness(redis: Redis, options: LivenessOptions) {
  const { logger } = options;
  let up = true;
  let stopped = false;
  let offsetMs = 0;
  let lastRttMs = 0;
  let beatSince: number | null = null;
  /**
   * Bumped whenever this monitor drops the connection itself: a reply to a heartbeat sent
   * before that (it can still arrive while the socket closes) must not report Redis back up,
   * or one outage would log two warnings.
   */
  let connection = 0;
  const reconnect = () => {
    connection += 1;
    beatSince = null;
    redis.disconnect(true);
  };
  let recovering = false;
  let timer: NodeJS.Timeout | null = null;

  function down(reason: string): void {
    if (!up || stopped) return;
    up = false;
    logger.warn({ err: reason }, 'Redis unavailable: answering from the database until it returns');
  }

  /** Since when the connection has not been ready (a handshake can hang like any command). */
  let notReadySince: number | null = null;

  function beat(): void {
    if (redis.status === 'ready') notReadySince = null;
    else if (notReadySince === null) notReadySince = Date.now();
    else if (Date.now() - notReadySince > options.deadAfterMs && (redis.status === 'connect' || redis.status === 'connecting')) {
      notReadySince = Date.now();
      reconnect(); // start over instead of waiting on a hung handshake
      return;
    }
    if (beatSince !== null) {
      const since = beatSince;
      // After the I/O poll of this turn: a reply that already arrived is read first, so a busy
      // event loop here is not taken for a dead Redis.
      setImmediate(() => {
        if (beatSince !== since || Date.now() - since <= options.deadAfterMs) return;
        down(`no reply to a heartbeat for ${options.deadAfterMs} ms`);
        // A hung socket never closes by itself: drop it, and let ioredis connect again.
        reconnect();
      });
      return;
    }
    const sent = Date.now();
    const on = connection;
    beatSince = sent;
    redis
      .time()
      .then(async ([seconds, micros]) => {
        if (on !== connection) return; // sent on a connection this monitor has dropped since
        const received = Date.now();
        lastRttMs = received - sent;
        options.onBeat?.(lastRttMs);
        offsetMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - (sent + received) / 2;
        beatSince = null;
        if (!up && !recovering && !stopped) {
          recovering = true;
          try {
            await options.beforeUp();
            if (on === connection) {
              up = true;
              logger.info('Redis answers again: response cache back on');
            }
          } catch {
            // still down; the next beat tries again
          } finally {
            recovering = false;
          }
        }
      })
      .catch((err: unknown) => {
        if (on !== connection) return;
        beatSince = null;
        down(err instanceof Error ? err.message : String(err));
      });
  }

  redis.on('close', () => down('connection to Redis lost'));

  return {
    up: () => up,
    /** How long the heartbeat in flight has gone unanswered (0 when none is in flight). */
    silentFor: () => (beatSince === null ? 0 : Date.now() - beatSince),
    /** The last answered heartbeat's round trip (ms). */
    lastRtt: () => lastRttMs,
    /** Redis' clock now, as far as the last heartbeat tells. */
    redisNow: () => Date.now() + offsetMs,
    start(): void {
      if (redis.status !== 'ready') down('could not connect to Redis');
      timer = setInterval(beat, options.intervalMs);
      timer.unref();
      beat();
    },
    stop(): void {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
