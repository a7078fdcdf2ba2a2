import type { GatewayConfig } from '../../config/config';
import type { Logger } from '../../observability/logger';
import { createMemoryStore } from './memory-store';
import { createRedisStore } from './redis-store';
import type { ResponseStore } from './store';

export interface StoreEvents {
  /** A Redis command failed or was not confirmed in time. */
  onRedisError?: () => void;
  /** A read gave up on a slow (not dead) Redis and answered from the database. */
  onSlowRead?: () => void;
  /** Heartbeat round trips and write confirmations (ms). */
  onLatency?: (kind: 'heartbeat' | 'write', ms: number) => void;
}

/** REDIS_URL set: the shared Redis store; otherwise the in-process one. */
export function createStore(config: GatewayConfig, logger: Logger, events: StoreEvents = {}): Promise<ResponseStore> {
  if (!config.redisUrl) return Promise.resolve(createMemoryStore({ retainStaleMs: config.cache.staleMs }));
  return createRedisStore({
    url: config.redisUrl,
    prefix: config.cache.redisPrefix,
    commandTimeoutMs: config.cache.redisTimeoutMs,
    writeTimeoutMs: config.cache.redisWriteTimeoutMs,
    deadAfterMs: config.cache.redisDeadMs,
    logger,
    onError: events.onRedisError,
    onSlowRead: events.onSlowRead,
    onLatency: events.onLatency,
    retainStaleMs: config.cache.staleMs,
    localMaxBytes: config.cache.localMaxBytes,
  });
}
