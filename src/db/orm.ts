import { MikroORM, type Options } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import { LibSqlDriver } from '@mikro-orm/libsql';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { DatabaseConfig } from '../config/config';
import { migrationsFor } from '../../migrations';
import { entities } from './entities';

export type Orm = MikroORM;
export type Em = EntityManager;

/**
 * One place that builds the ORM for either database. `overrides` lets tests add an onQuery
 * counter or a subscriber without touching the rest.
 */
export async function initORM(db: DatabaseConfig, overrides: Partial<Options> = {}): Promise<Orm> {
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
  };
  if (db.kind === 'sqlite') {
    const orm = await MikroORM.init({
      ...common,
      driver: LibSqlDriver,
      dbName: db.path,
      // One connection: SQLite serialises writers anyway, and PRAGMAs below are per connection.
      pool: { min: 1, max: 1 },
      ...overrides,
    } as Options);
    const conn = orm.em.getConnection();
    await conn.execute('pragma journal_mode = WAL');
    // Several gateway processes may share one file: wait for the writer lock instead of failing.
    await conn.execute('pragma busy_timeout = 5000');
    await conn.execute('pragma synchronous = NORMAL');
    return orm;
  }
  return MikroORM.init({
    ...common,
    driver: PostgreSqlDriver,
    clientUrl: db.url,
    pool: { min: 0, max: 10 },
    ...overrides,
  } as Options);
}

/** Applies every pending migration; safe to call on every start. */
export async function migrate(orm: Orm): Promise<void> {
  await orm.getMigrator().up();
}
