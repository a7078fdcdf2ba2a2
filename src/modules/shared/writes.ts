import { LockMode, LockWaitTimeoutException, UniqueConstraintViolationException, type EntityName, type FilterQuery } from '@mikro-orm/core';
import type { Em } from '../../db/orm';
import { BadUserInputError, ConflictError, NotFoundError, WriteBusyError } from '../../errors/errors';
import { parseId } from './order';

/**
 * Runs a write in one transaction. A unique-index violation (two requests racing for one bed)
 * becomes the same CONFLICT the checks give, and nothing is committed. On SQLite the transaction
 * holds the write lock from its start (src/db/sqlite-dialect.ts); when another process keeps it
 * past the bounded wait, the write is refused as retryable SERVICE_UNAVAILABLE, nothing changed.
 */
export async function inTransaction<T>(em: Em, conflictMessage: string, work: (tem: Em) => Promise<T>): Promise<T> {
  try {
    return await em.transactional((tem) => work(tem as Em));
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw new ConflictError(conflictMessage);
    if (err instanceof LockWaitTimeoutException) throw new WriteBusyError();
    throw err;
  }
}

/** Loads a row of the caller's hospital or refuses with NOT_FOUND (another hospital's ids included). */
export async function findOwned<T extends object>(
  em: Em,
  entity: EntityName<T>,
  typename: string,
  id: string | number,
  hospitalId: number,
  opts: { lock?: boolean } = {},
): Promise<T> {
  const rowId = parseId(id);
  const found =
    rowId === null
      ? null
      : await em.findOne(entity, { id: rowId, hospital: hospitalId } as FilterQuery<T>, {
          // Row lock on PostgreSQL so concurrent admissions to one ward see each other's count;
          // on SQLite the write transaction holds the database's write lock from its BEGIN.
          ...(opts.lock && em.getPlatform().getConfig().get('driver')?.name === 'PostgreSqlDriver'
            ? { lockMode: LockMode.PESSIMISTIC_WRITE }
            : {}),
        });
  if (!found) throw new NotFoundError(typename, id);
  return found;
}

export function requireText(value: string, field: string, max: number): string {
  const text = value.trim();
  if (text.length === 0) throw new BadUserInputError(`${field} must not be empty`, field);
  if (text.length > max) throw new BadUserInputError(`${field} must be at most ${max} characters`, field);
  return text;
}
