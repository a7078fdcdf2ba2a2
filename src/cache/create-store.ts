import type { GatewayConfig } from '../config/config';
import type { Logger } from '../observability/logger';
import { createMemoryStore } from './memory-store';
import { createRedisStore } from './redis-store';
import type { ResponseStore } from './store';

/** REDIS_URL set: the shared Redis store; otherwise the in-process one. */
export function createStore(config: GatewayConfig, logger: Logger, onRedisError?: () => void): Promise<ResponseStore> {
  if (!config.redisUrl) return Promise.resolve(createMemoryStore({ retainStaleMs: config.cache.staleMs }));
  return createRedisStore({
    url: config.redisUrl,
    prefix: config.cache.redisPrefix,
    commandTimeoutMs: config.cache.redisTimeoutMs,
    logger,
    onError: onRedisError,
    retainStaleMs: config.cache.staleMs,
  });
}
