/**
 * The PostgreSQL connection pool's size, shared by the pool (orm.ts) and the default bound on
 * concurrent database work (DB_MAX_CONCURRENT, src/config/config.ts), so the two cannot drift.
 * Its own module so that loading the configuration does not load the ORM.
 */
export const POSTGRES_POOL_MAX = 10;
