import pino from 'pino';
import { createRedisStore } from '../stores/redis-store';

/**
 * For tools that write around the ORM (the seed): drop every cached answer of these hospitals
 * from the shared Redis store, since no subscriber saw those writes. An in-process cache lives
 * and dies with its gateway process, so there is nothing to do without REDIS_URL.
 */
export async function purgeSharedCache(
  env: NodeJS.ProcessEnv,
  scopes: Iterable<number>,
): Promise<{ purged: number; ok: boolean } | null> {
  if (!env.REDIS_URL) return null;
  const store = await createRedisStore({
    url: env.REDIS_URL,
    prefix: env.CACHE_REDIS_PREFIX ?? 'wardcache:',
    commandTimeoutMs: 2000,
    logger: pino({ level: 'silent' }),
  });
  try {
    let purged = 0;
    for (const scope of scopes) purged += await store.purge(scope);
    return { purged, ok: store.state() === 'up' };
  } finally {
    await store.close();
  }
}
