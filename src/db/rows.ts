import type { Knex } from '@mikro-orm/knex';
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
