import Redis from 'ioredis';
import type { Logger } from '../observability/logger';
import { LIVE_OPERATIONS, type LiveOperation } from './changes';
import type { LiveChange } from './hub';

/**
 * How a change reaches the streams of every gateway process. Invalidations of a shared Redis
 * cache happen in one process only (the writer's, or the change capture's reader), so with
 * Redis each change is published on one channel under the key prefix and every process (this
 * one included) hands what it hears to its own streams. With the in-process cache every process
 * evicts for itself (its capture reads the others' writes), so a local hand-over suffices.
 */
export interface ChangeBus {
  publish(change: LiveChange): void;
  close(): Promise<void>;
}

export function createLocalBus(deliver: (change: LiveChange) => void): ChangeBus {
  return { publish: deliver, close: async () => undefined };
}

const OPERATIONS = new Set<string>(LIVE_OPERATIONS);

/** A message of the channel, checked (another version of the gateway may share the Redis). */
export function parseChange(text: string): LiveChange | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { hospitalId, operations, patientIds, at } = value as Record<string, unknown>;
  if (typeof hospitalId !== 'number' || !Number.isSafeInteger(hospitalId) || typeof at !== 'number') return null;
  if (!Array.isArray(operations) || !operations.every((o): o is LiveOperation => typeof o === 'string' && OPERATIONS.has(o))) return null;
  if (!Array.isArray(patientIds) || !patientIds.every((p): p is string => typeof p === 'string')) return null;
  return { hospitalId, operations, patientIds, at };
}

/** How long a starting gateway waits for its subscription before it serves anyway. */
const SUBSCRIBE_WAIT_MS = 1000;

export interface RedisBusOptions {
  url: string;
  /** CACHE_REDIS_PREFIX: the channel is `<prefix>live:changes`. */
  prefix: string;
  deliver: (change: LiveChange) => void;
  /**
   * The subscriber connection came back after a loss: changes published meanwhile were not
   * heard, so every open stream is told that anything may have changed.
   */
  onGap: () => void;
  logger: Logger;
}

/**
 * Two connections of this process's own: one publishes, one only listens (a subscribed Redis
 * connection can send nothing else). Resolves once the listener is subscribed, or after
 * SUBSCRIBE_WAIT_MS (it keeps reconnecting; a gap is reported when it is back).
 */
export async function createRedisBus(options: RedisBusOptions): Promise<ChangeBus> {
  const { url, logger } = options;
  const channel = `${options.prefix}live:changes`;
  const publisher = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, commandTimeout: 2000 });
  // Named, so an operator sees it in CLIENT LIST (and a test can cut it).
  const subscriber = new Redis(url, { lazyConnect: true, autoResubscribe: false, connectionName: `${options.prefix}live-subscriber-${process.pid}` });
  publisher.on('error', () => undefined); // reported where a publish fails
  let lost = false;
  let closed = false;
  subscriber.on('error', (err: Error) => logger.debug({ err: err.message }, 'live changes: Redis subscriber error'));
  subscriber.on('close', () => {
    if (!lost && !closed) logger.warn('live changes: lost the Redis subscription; open streams will be told to refetch once it is back');
    lost = true;
  });
  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    const change = parseChange(text);
    if (change) options.deliver(change);
    else logger.debug({ channel }, 'live changes: ignored a malformed message');
  });
  const subscribed = new Promise<void>((resolve) => {
    subscriber.on('ready', () => {
      void subscriber
        .subscribe(channel)
        .then(() => {
          if (lost) options.onGap();
          lost = false;
        })
        .catch((err: Error) => logger.warn({ err: err.message }, 'live changes: could not subscribe'))
        .finally(resolve);
    });
  });
  // Never holds the start up for long: with Redis away, the gateway serves (its streams hear
  // nothing until the subscriber is back, and are then told to refetch).
  void publisher.connect().catch(() => undefined);
  void subscriber.connect().catch(() => undefined);
  await Promise.race([subscribed, new Promise((resolve) => setTimeout(resolve, SUBSCRIBE_WAIT_MS).unref())]);

  return {
    publish(change) {
      if (closed) return;
      publisher.publish(channel, JSON.stringify(change)).catch((err: Error) => {
        // The other processes miss it; this process's own streams at least hear it.
        logger.warn({ err: err.message, hospitalId: change.hospitalId }, 'live changes: could not publish a change to the other gateway processes');
        options.deliver(change);
      });
    },
    async close() {
      closed = true;
      subscriber.disconnect();
      // QUIT after what is queued (the last publishes); not waiting long for an absent Redis.
      await Promise.race([publisher.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
      publisher.disconnect();
    },
  };
}
