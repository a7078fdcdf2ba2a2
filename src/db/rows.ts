import type { Knex } from '@mikro-orm/knex';
import { IsolationLevel } from '@mikro-orm/core';
import type { Em } from './orm';

/**
 * Reads run their SQL through the ORM's connection but build answers from plain rows: no
 * entities, no hydration, no identity map (on a 1,000-bed ward map those cost ~10× the SQL).
 * Writes keep the entities and the unit of work (the cache's subscriber listens to its flushes).
 */

/** A raw row as the driver returns it. */
export type RawRow = Record<string, unknown>;

/**
 * Runs a knex query on the request's EntityManager (its transaction, if any). The logger context
 * is passed on purpose: execute() does not take the fork's by itself, and it carries the
 * request's SQL counter (src/db/sql-counter.ts).
 */
export function selectRows<T = RawRow>(em: Em, query: Knex.QueryBuilder): Promise<T[]> {
  return em.execute<T[] & RawRow[]>(query, [], 'all', em.getLoggerContext());
}

/**
 * A date column's raw value as the ORM would hydrate it (see MikroORM's EntityComparator and
 * ObjectHydrator with forceUtcTimezone): libsql stores a Date as epoch ms (an integer, or a
 * bigint), PostgreSQL's timestamptz reaches MikroORM's pg client as text ("2026-11-21
 * 08:30:00.123+00", its type parsers are turned off), a row written by hand may hold ISO text.
 * Text without a zone is read in the ORM's zone (+00:00), as the ORM does.
 */
export function dateParser(em: Em): (value: unknown) => Date {
  const platform = em.getPlatform();
  const tz = platform.getTimezone();
  return (value) => {
    if (value instanceof Date) return value;
    if (typeof value === 'number') return new Date(value);
    if (typeof value === 'bigint') return new Date(Number(value));
    const text = String(value);
    const zoned = !tz || tz === 'local' || text.includes('+') || text.lastIndexOf('-') > 10 || text.endsWith('Z');
    return platform.parseDate(zoned ? text : text + tz);
  };
}

/** `dateParser` for nullable columns. */
export function nullableDateParser(em: Em): (value: unknown) => Date | null {
  const date = dateParser(em);
  return (value) => (value == null ? null : date(value));
}

/**
 * Runs a read of several statements in one read-only transaction, so that they all see one
 * committed state (a snapshot: REPEATABLE READ on PostgreSQL; a deferred BEGIN on SQLite, whose
 * read transactions are snapshots in WAL mode). Without it a write committing between two
 * statements shows a combination that never existed (an admitted patient without its tags).
 * The fork keeps the request's SQL counter but not its write report: a read announces no write
 * to the cache (src/cache/invalidation/subscriber.ts).
 */
export function inSnapshot<T>(em: Em, read: (em: Em) => Promise<T>): Promise<T> {
  const { sqlCounter } = em.getLoggerContext<{ sqlCounter?: unknown }>();
  const reader = em.fork({ loggerContext: { sqlCounter } }) as Em;
  const postgres = em.getPlatform().getConfig().get('driver')?.name === 'PostgreSqlDriver';
  return reader.transactional((trx) => read(trx as Em), { readOnly: true, ...(postgres ? { isolationLevel: IsolationLevel.REPEATABLE_READ } : {}) });
}
