import type { Em } from '../db/orm';
import type { Principal, VerifyResult } from '../auth/tokens';
import { AuthenticationError } from '../errors/errors';
import { WriteReport, type CacheTicket } from '../cache';
import type { Warmer } from '../jobs/warmer';
import { createLoaders, type Loaders } from './loaders';

/** Per-request state: a forked EntityManager, the caller, and DataLoaders bound to both. */
export interface GraphQLContext {
  requestId: string;
  em: Em;
  auth: VerifyResult;
  loaders: Loaders;
  /** The response cache's ticket for this execution; null when it may not be cached (no valid token). */
  cache: CacheTicket | null;
  /** What the cache could not confirm about this request's writes (the ORM subscriber fills it). */
  writes: WriteReport;
  /**
   * The warmer, for the admin's warmCache. Per request because it runs operations through
   * Apollo, which is built after the schema its resolvers belong to. Null inside a warm.
   */
  warmer: Warmer | null;
  /**
   * What the request learnt on its way, read by the HTTP layer afterwards. An object, because
   * Apollo hands resolvers and plugins a shallow copy of the context.
   */
  signals: { databaseUnavailable: boolean; errors: number };
}

export function createContext(args: {
  requestId: string;
  em: Em;
  auth: VerifyResult;
  cache: CacheTicket | null;
  writes?: WriteReport;
  warmer?: Warmer | null;
}): GraphQLContext {
  const hospitalId = args.auth.ok ? args.auth.principal.hospitalId : 0;
  return {
    ...args,
    writes: args.writes ?? new WriteReport(),
    warmer: args.warmer ?? null,
    loaders: createLoaders(args.em, hospitalId),
    signals: { databaseUnavailable: false, errors: 0 },
  };
}

/**
 * The caller of a resolver behind the policy (src/auth/policy.ts has already checked the role);
 * throws rather than guess if a resolver is ever reached without one.
 */
export function principalOf(ctx: GraphQLContext): Principal {
  if (!ctx.auth.ok) throw new AuthenticationError(ctx.auth.reason);
  return ctx.auth.principal;
}
