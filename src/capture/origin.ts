import { createHash, randomUUID } from 'node:crypto';

/**
 * The gateway's own writes are evicted synchronously by its ORM subscriber, before the mutation
 * answers. The change log marks them with the origin of the cache they were evicted from, so the
 * capture of that cache skips them instead of evicting the same answers a second time (which
 * would also throw away what was re-cached meanwhile).
 *
 * - a shared Redis cache: one origin for every gateway using that Redis and key prefix;
 * - an in-process cache: one origin per gateway (the other processes' caches still need them).
 *
 * PostgreSQL records it from the connection's `application_name`; SQLite from a TEMP trigger
 * that only the gateway's own connections have (src/db/sqlite-dialect.ts).
 */
export function cacheOrigin(redisUrl: string | null, prefix: string): string {
  const id = redisUrl ? createHash('sha256').update(`${redisUrl}\0${prefix}`).digest('hex').slice(0, 24) : randomUUID().replace(/-/g, '');
  return `wardcache-${id}`;
}

/** SQL for a gateway's SQLite connection: marks the log rows its writes add (no-op before the migration). */
export function sqliteOriginTrigger(origin: string): string {
  if (!/^wardcache-[0-9a-f]+$/.test(origin)) throw new Error(`not a cache origin: ${origin}`);
  return `create temp trigger if not exists wardcache_origin after insert on main.wardcache_change begin update wardcache_change set origin = '${origin}' where seq = NEW.seq; end`;
}
