import type { Em } from '../db/orm';
import type { Principal, VerifyResult } from '../auth/tokens';
import { AuthenticationError } from '../errors/errors';
import type { RequestCacheScope } from '../cache/response-cache';
import { createLoaders, type Loaders } from './loaders';

/** Per-request state: a forked EntityManager, the caller, and DataLoaders bound to both. */
export interface GraphQLContext {
  requestId: string;
  em: Em;
  auth: VerifyResult;
  loaders: Loaders;
  /** The response cache's view of this request; null when it may not be cached (no valid token). */
  cache: RequestCacheScope | null;
  /**
   * What the request learnt on its way, read by the HTTP layer afterwards. An object, because
   * Apollo hands resolvers and plugins a shallow copy of the context.
   */
  signals: { databaseUnavailable: boolean; errors: number };
}

export function createContext(args: { requestId: string; em: Em; auth: VerifyResult; cache: RequestCacheScope | null }): GraphQLContext {
  const hospitalId = args.auth.ok ? args.auth.principal.hospitalId : 0;
  return { ...args, loaders: createLoaders(args.em, hospitalId), signals: { databaseUnavailable: false, errors: 0 } };
}

/**
 * The caller of a resolver behind the policy (src/auth/policy.ts has already checked the role);
 * throws rather than guess if a resolver is ever reached without one.
 */
export function principalOf(ctx: GraphQLContext): Principal {
  if (!ctx.auth.ok) throw new AuthenticationError(ctx.auth.reason);
  return ctx.auth.principal;
}
