import { GraphQLError } from 'graphql';

/** Every `extensions.code` the gateway sends. Clients switch on these, never on messages. */
export enum ErrorCode {
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  BadUserInput = 'BAD_USER_INPUT',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  /** The write was committed, but the cache store did not confirm the eviction in time. */
  CacheInvalidationPending = 'CACHE_INVALIDATION_PENDING',
  InternalServerError = 'INTERNAL_SERVER_ERROR',
}

export class AuthenticationError extends GraphQLError {
  constructor(message = 'A valid bearer token is required') {
    super(message, { extensions: { code: ErrorCode.Unauthenticated } });
  }
}

export class ForbiddenError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: ErrorCode.Forbidden } });
  }
}

export class BadUserInputError extends GraphQLError {
  constructor(message: string, field?: string) {
    super(message, { extensions: { code: ErrorCode.BadUserInput, ...(field ? { field } : {}) } });
  }
}

/** Unknown ids and ids of another hospital look the same, so nothing leaks across hospitals. */
export class NotFoundError extends GraphQLError {
  constructor(typename: string, id: string | number) {
    super(`${typename} ${id} not found`, { extensions: { code: ErrorCode.NotFound, typename, id: String(id) } });
  }
}

/** A write that would break the data (a taken bed, a second open admission…). */
export class ConflictError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: ErrorCode.Conflict } });
  }
}

/** The database did not answer: nothing was changed, and the client may retry. */
export class DatabaseUnavailableError extends GraphQLError {
  constructor(requestId: string) {
    super(`The database is unavailable; nothing was changed. Retry shortly (request ${requestId}).`, {
      extensions: { code: ErrorCode.ServiceUnavailable, requestId },
    });
  }
}

/**
 * A write was refused because the database stayed busy (another process held the write lock
 * longer than the bounded wait): nothing was changed, and the client may retry.
 */
export class WriteBusyError extends GraphQLError {
  constructor(message = 'The database is busy with other writes; nothing was changed. Retry shortly.') {
    super(message, { extensions: { code: ErrorCode.ServiceUnavailable, retryable: true } });
  }
}

/** The cache store could not be told about a write before its commit: nothing was changed. */
export class CacheStoreUnavailableError extends GraphQLError {
  constructor() {
    super('The shared cache did not answer, so the write could not be made safe for other readers; nothing was changed. Retry shortly.', {
      extensions: { code: ErrorCode.ServiceUnavailable, retryable: true },
    });
  }
}

/** Sent beside a write's data when its eviction was not confirmed by the shared cache. */
export class CacheInvalidationPendingError extends GraphQLError {
  constructor(requestId: string) {
    super(
      `The write was saved, but the shared cache did not confirm the eviction of the answers it changed. They are fenced off and will not be served; dashboards may recompute for a moment (request ${requestId}).`,
      { extensions: { code: ErrorCode.CacheInvalidationPending, requestId } },
    );
  }
}
