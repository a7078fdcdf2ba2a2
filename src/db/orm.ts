import { MikroORM, type Options } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import { LibSqlDriver } from '@mikro-orm/libsql';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { DatabaseConfig } from '../config/config';
import { migrationsFor } from '../../migrations';
import { entities } from './entities';
import { POSTGRES_POOL_MAX } from './pool';
import { SqlCountingLogger } from './sql-counter';
import { SqliteDialect } from './sqlite-dialect';

export type Orm = MikroORM;

export type Em = EntityManager;

/**
 * One place that builds the ORM for either database. `overrides` lets tests add an onQuery
 * counter or a subscriber without touching the rest. `origin`: the gateway's cache origin, which
 * marks its own writes in the change log (src/capture/origin.ts).
 */
export async function initORM(db: DatabaseConfig, overrides: Partial<Options> = {}, origin?: string): Promise<Orm> {
  const common: Partial<Options> = {
    entities,
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true },
    forceUtcTimezone: true,
    allowGlobalContext: false,
    migrations: {
      migrationsList: migrationsFor(db.kind),
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
      tableName: 'mikro_orm_migrations',
    },
    debug: false,
    loggerFactory: (options) => new SqlCountingLogger(options),
  };
  if (db.kind === 'sqlite') {
    return MikroORM.init({
      ...common,
      driver: LibSqlDriver,
      dbName: db.path,
      // Several gateway processes may share the file: the dialect sets each connection's PRAGMAs,
      // makes write transactions take the write lock first, and retires a connection whose
      // statement failed (see sqlite-dialect.ts).
      driverOptions: { client: SqliteDialect, connection: { origin } },
      // One connection: SQLite has a single writer anyway. The driver replaces it every 10 s.
      pool: { min: 1, max: 1 },
      ...overrides,
    } as Options);
  }
  return MikroORM.init({
    ...common,
    driver: PostgreSqlDriver,
    clientUrl: db.url,
    // Fail fast when PostgreSQL is down or hung, so reads can fall back to stale cached copies
    // and writes answer "unavailable" instead of hanging; the pool reconnects by itself.
    pool: { min: 0, max: POSTGRES_POOL_MAX, acquireTimeoutMillis: 5000 },
    // application_name marks this gateway's rows in the change log (src/capture/origin.ts).
    driverOptions: { connection: { connectionTimeoutMillis: 3000, ...(origin ? { application_name: origin } : {}) } },
    ...overrides,
  } as Options);
}

/** Applies every pending migration; safe to call on every start. */
export async function migrate(orm: Orm): Promise<void> {
  await orm.getMigrator().up();
}
