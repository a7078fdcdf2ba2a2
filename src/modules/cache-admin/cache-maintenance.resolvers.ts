import { InvalidationPlanError, planInvalidation, StoreWriteError } from '../../cache';
import { BadUserInputError, ErrorCode } from '../../errors/errors';
import { principalOf } from '../../graphql/context';
import type { Resolvers } from '../../graphql/generated/resolvers-types';
import { WARM_TARGETS } from '../../jobs/hot-operations';
import { GraphQLError } from 'graphql';
import type { CacheAdminDeps } from './deps';

/** warmCache and invalidateCache. */
export function cacheMaintenanceResolvers(deps: CacheAdminDeps): Resolvers {
  return {
    Mutation: {
      warmCache: async (_, { targets }, ctx) => {
        const scope = principalOf(ctx).hospitalId;
        // The warmer runs operations through Apollo, built after this schema: it comes per request.
        if (!ctx.warmer) throw new Error('warmCache needs the warmer in the request context');
        return ctx.warmer.warm(scope, targets && targets.length ? [...new Set(targets)] : WARM_TARGETS);
      },
      invalidateCache: async (_, { entities }, ctx) => {
        const scope = principalOf(ctx).hospitalId;
        // Validate everything first: a bad entry refuses the whole call and changes nothing.
        const plan = entities.map(({ typename, id }) => {
          try {
            return planInvalidation(typename, id);
          } catch (err) {
            if (err instanceof InvalidationPlanError) throw new BadUserInputError(err.message, err.field);
            throw err;
          }
        });
        let invalidated = 0;
        try {
          for (const step of plan) {
            invalidated +=
              step.kind === 'type'
                ? await deps.cache.invalidation.invalidateType(scope, step.typename)
                : await deps.cache.invalidation.invalidate(scope, step.tags);
          }
        } catch (err) {
          if (!(err instanceof StoreWriteError)) throw err;
          throw new GraphQLError('The cache store did not confirm the invalidation; retry shortly', {
            extensions: { code: ErrorCode.ServiceUnavailable, retryable: true },
          });
        }
        return { invalidated };
      },
    },
  };
}
