import { InvalidationPlanError, planInvalidation, StoreWriteError, type ResponseCache } from '../../cache';
import { BadUserInputError, ErrorCode } from '../../errors/errors';
import { principalOf } from '../../graphql/context';
import type { Resolvers } from '../../graphql/generated/resolvers-types';
import type { JobLedger } from '../../jobs/ledger';
import { WARM_TARGETS } from '../../jobs/hot-operations';
import { GraphQLError } from 'graphql';

export interface CacheAdminDeps {
  cache: ResponseCache;
  ledger: JobLedger;
}

/** cacheStats, warmCache and invalidateCache: admin only (src/auth/policy.ts), own hospital only. */
export function cacheAdminResolvers(deps: CacheAdminDeps): Resolvers {
  return {
    Query: {
      cacheStats: async (_, __, ctx) => {
        const scope = principalOf(ctx).hospitalId;
        const { hits, misses } = deps.cache.countersFor(scope);
        const [entries, fence, runs, memoryBytes] = await Promise.all([
          deps.cache.store.entries(scope),
          deps.cache.store.fence(scope),
          deps.ledger.lastRuns(scope),
          deps.cache.store.memoryBytes(),
        ]);
        const now = Date.now();
        const times = Object.values(runs).map((r) => r.at).sort();
        return {
          backend: deps.cache.store.backend,
          hits,
          misses,
          hitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
          entries,
          invalidations: Number(fence ?? 0),
          lastWarmAt: times.length ? new Date(times[times.length - 1]) : null,
          memoryBytes,
          targets: WARM_TARGETS.map((target) => {
            const run = runs[target];
            return {
              target,
              lastWarmAt: run ? new Date(run.at) : null,
              ageMs: run ? now - Date.parse(run.at) : null,
              ok: run?.ok ?? null,
              durationMs: run?.durationMs ?? null,
              error: run?.error ?? null,
            };
          }),
        };
      },
    },
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
