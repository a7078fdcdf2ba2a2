import { GraphQLError } from 'graphql';

/** Every `extensions.code` the gateway sends. Clients switch on these, never on messages. */
export enum ErrorCode {
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  BadUserInput = 'BAD_USER_INPUT',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
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
