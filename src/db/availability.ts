import { ConnectionException } from '@mikro-orm/core';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P03']);

/**
 * True for errors that mean "the database cannot be reached" (as opposed to a bad query): the
 * driver's connection errors, a pool that could not hand out a connection in time, a server
 * shutting down. Those answers may fall back to a stale cached copy.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth += 1) {
    const { name, code, message } = e as { name?: string; code?: string; message?: string };
    if (e instanceof ConnectionException) return true;
    if (name === 'KnexTimeoutError' || (code && NETWORK_CODES.has(code))) return true;
    if (typeof message === 'string' && /Connection (terminated|ended)|connect ECONNREFUSED|terminating connection|server closed the connection|database system is (shutting down|starting up)|SQLITE_CANTOPEN|SQLITE_BUSY/.test(message)) return true;
    // graphql-js wraps a thrown non-Error (pg-pool rejects with a bare socket error object) in
    // NonErrorThrown, keeping it as `thrownValue`.
    const next = e as { previous?: unknown; cause?: unknown; thrownValue?: unknown };
    e = next.previous ?? next.cause ?? next.thrownValue;
  }
  return false;
}
