import type { GraphQLFieldResolver } from 'graphql';
import type { GraphQLContext } from '../graphql/context';
import { AuthenticationError, ForbiddenError } from '../errors/errors';
import { hasRole, type Role } from './roles';

/**
 * The role each root field needs: the contract's auth rules in one table. A root field that is
 * missing here makes the schema fail to build, so nothing is ever served unguarded.
 */
export const ROOT_FIELD_ROLES: Record<'Query' | 'Mutation' | 'Subscription', Record<string, Role>> = {
  Query: {
    dashboardStats: 'viewer',
    recentPatients: 'viewer',
    wardMapping: 'viewer',
    wardFilters: 'viewer',
    patient: 'viewer',
    cacheStats: 'admin',
    cacheEntries: 'admin',
    cacheDependencies: 'admin',
  },
  Mutation: {
    registerPatient: 'clinician',
    admitPatient: 'clinician',
    transferPatient: 'clinician',
    dischargePatient: 'clinician',
    tagPatient: 'clinician',
    untagPatient: 'clinician',
    recordEvent: 'clinician',
    warmCache: 'admin',
    invalidateCache: 'admin',
    evictCacheEntry: 'admin',
  },
  Subscription: {
    dashboardChanges: 'viewer',
  },
};

export function authorize(ctx: GraphQLContext, required: Role, field: string): void {
  if (!ctx.auth.ok) throw new AuthenticationError(ctx.auth.reason);
  if (!hasRole(ctx.auth.principal.role, required)) {
    throw new ForbiddenError(`${field} needs the ${required} role; the token has ${ctx.auth.principal.role}`);
  }
}

type ResolverMap = Record<string, Record<string, unknown>>;

/** Wraps every root resolver in its role check. */
export function applyPolicy<T extends object>(resolvers: T): T {
  const map = resolvers as unknown as ResolverMap;
  for (const type of ['Query', 'Mutation'] as const) {
    const fields = map[type] ?? {};
    for (const [field, resolve] of Object.entries(fields)) {
      const role = ROOT_FIELD_ROLES[type][field];
      if (!role) throw new Error(`No role declared for ${type}.${field} in src/auth/policy.ts`);
      const inner = resolve as GraphQLFieldResolver<unknown, GraphQLContext>;
      fields[field] = ((parent, args, ctx, info) => {
        authorize(ctx, role, field);
        return inner(parent, args, ctx, info);
      }) satisfies GraphQLFieldResolver<unknown, GraphQLContext>;
    }
  }
  // A subscription field is checked when it subscribes (src/live: once per stream).
  for (const [field, resolver] of Object.entries(map.Subscription ?? {})) {
    const role = ROOT_FIELD_ROLES.Subscription[field];
    if (!role) throw new Error(`No role declared for Subscription.${field} in src/auth/policy.ts`);
    const target = resolver as { subscribe: GraphQLFieldResolver<unknown, GraphQLContext> };
    const inner = target.subscribe;
    target.subscribe = (parent, args, ctx, info) => {
      authorize(ctx, role, field);
      return inner(parent, args, ctx, info);
    };
  }
  return resolvers;
}
