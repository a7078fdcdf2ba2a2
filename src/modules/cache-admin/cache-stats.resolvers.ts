import { historyPoints, HISTORY_MAX_MINUTES, operationRows, processRows, type ClusterFigures } from '../../figures';
import type { OperationCensus } from '../../cache';
import { BadUserInputError } from '../../errors/errors';
import { principalOf } from '../../graphql/context';
import type { CacheStats, Resolvers } from '../../graphql/generated/resolvers-types';
import { WARM_TARGETS } from '../../jobs/hot-operations';
import type { CacheAdminDeps } from './deps';

type Derived = 'figuresScope' | 'operations' | 'processes' | 'history';

/**
 * What the cacheStats resolver hands its fields: the plain figures, and the cluster figures and
 * store census read only when a selected field needs them (once per request). The contract's
 * CacheStats selects none of them, so it never pays for a census (O(answers) in Redis).
 */
export interface CacheStatsModel extends Omit<CacheStats, Derived> {
  figures: () => Promise<ClusterFigures>;
  census: () => Promise<readonly OperationCensus[]>;
}

function once<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => (pending ??= read());
}

/**
 * cacheStats: the caller's hospital's cache figures. hits, misses and hitRate stay this
 * process's (the cache's own counters); operations, processes and history come from the
 * figures (src/figures), cluster-wide when Redis is shared (figuresScope), joined for
 * `operations` to what the store holds now (its census).
 */
export function cacheStatsResolvers(deps: CacheAdminDeps): Resolvers {
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
          figures: once(() => deps.figures.read(scope)),
          census: once(() => deps.cache.store.census(scope)),
        };
      },
    },
    CacheStats: {
      figuresScope: async (parent) => (await parent.figures()).scope,
      operations: async (parent) => operationRows(await parent.figures(), await parent.census(), deps.figures.operations),
      processes: async (parent) => processRows(await parent.figures()),
      history: async (parent, { minutes }) => {
        const m = minutes ?? HISTORY_MAX_MINUTES;
        if (!Number.isInteger(m) || m < 1 || m > HISTORY_MAX_MINUTES) {
          throw new BadUserInputError(`minutes must be 1 to ${HISTORY_MAX_MINUTES} (got ${m})`, 'minutes');
        }
        return historyPoints(await parent.figures(), m);
      },
    },
  };
}
