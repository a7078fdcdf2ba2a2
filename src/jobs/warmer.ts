import type { ApolloServer } from '@apollo/server';
import type { Principal } from '../auth/tokens';
import type { CacheTicket, ResponseCache, StoreOutcome } from '../cache';
import type { Orm } from '../db/orm';
import { createContext, type GraphQLContext } from '../graphql/context';
import type { Logger } from '../observability/logger';
import { hotOperations, WARM_TARGETS, type WarmTarget } from './hot-operations';
import type { JobLedger, WarmRecord } from './ledger';

const WARM_RETRIES = 3;

export interface WarmResult {
  target: WarmTarget;
  ok: boolean;
  durationMs: number;
  error: string | null;
}

export interface Warmer {
  /** Recomputes and stores the hot answers of one hospital; a failing target does not stop the others. */
  warm(hospitalId: number, targets?: readonly WarmTarget[]): Promise<WarmResult[]>;
  /** Warms only the targets whose answer is not cached (after writes). */
  refill(hospitalId: number): Promise<WarmResult[]>;
}

export interface WarmerDeps {
  apollo: ApolloServer<GraphQLContext>;
  orm: Orm;
  cache: ResponseCache;
  ledger: JobLedger;
  logger: Logger;
  /** Every warm result, for metrics. */
  onWarm?: (result: WarmResult) => void;
  /**
   * Runs each warm in a slot of the bound on database work (src/backpressure); unset, warms
   * run at once (the admin's warmCache, which runs inside its own request's slot).
   */
  limit?: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * Warming runs the contract's own read operations through Apollo and the response cache
 * plugin, as a viewer of the hospital would, so the warmed entry is the very entry the
 * frontend's request hits. It skips the lookup (a refresh must replace the cached answer) but
 * keeps the fence: a write that lands during a warm makes its answer unstorable.
 */
export function createWarmer(deps: WarmerDeps): Warmer {
  const ops = hotOperations();
  const limit = deps.limit ?? (<T>(work: () => Promise<T>) => work());

  async function runOnce(hospitalId: number, target: WarmTarget): Promise<StoreOutcome | string | undefined> {
    const op = ops[target];
    const principal: Principal = { userId: 'wardcache-warmer', hospitalId, role: 'viewer' };
    const cache = await deps.cache.openForWarm(principal, op);
    if (typeof cache === 'string') return cache;
    try {
      // Another process computing this very answer (a miss, or its own warm): its store is ours.
      if (await deps.cache.leadOrWait(cache)) return 'stored';
      // Only the database work takes a slot of the process's bound.
      return await limit(() => execute(hospitalId, target, principal, cache));
    } finally {
      cache.finished();
    }
  }

  async function execute(hospitalId: number, target: WarmTarget, principal: Principal, cache: CacheTicket): Promise<StoreOutcome | string | undefined> {
    const op = ops[target];
    const requestId = `warm-${hospitalId}-${target}-${Date.now()}`;
    const response = await deps.apollo.executeOperation(
      { query: op.query, operationName: op.operationName, variables: op.variables },
      {
        contextValue: createContext({
          requestId,
          em: deps.orm.em.fork() as GraphQLContext['em'],
          auth: { ok: true, principal },
          cache,
        }),
      },
    );
    if (response.body.kind !== 'single') return 'unexpected incremental response';
    const errors = response.body.singleResult.errors;
    // A masked internal error names the request id under which the logs have the details.
    if (errors?.length) return `${errors.map((e) => e.message).join('; ')} (request ${requestId})`;
    return cache.stored() ?? 'the answer was not stored';
  }

  async function warmTarget(hospitalId: number, target: WarmTarget): Promise<WarmResult> {
    const started = performance.now();
    let error: string | null = null;
    try {
      // A write that feeds this answer landed meanwhile (unrelated ones do not refuse it): its
      // invalidation made the answer unstorable. Computed again, a few times at most.
      let outcome = await runOnce(hospitalId, target);
      for (let retry = 0; outcome === 'stale' && retry < WARM_RETRIES; retry++) outcome = await runOnce(hospitalId, target);
      if (outcome === 'stale') error = `writes feeding this answer kept landing during ${WARM_RETRIES + 1} attempts; the answer was not stored`;
      else if (outcome !== 'stored') error = outcome ?? 'the answer was not stored';
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const result: WarmResult = { target, ok: error === null, durationMs: Math.round(performance.now() - started), error };
    const record: WarmRecord = { at: new Date().toISOString(), ok: result.ok, durationMs: result.durationMs, error };
    await deps.ledger.record(hospitalId, target, record);
    deps.onWarm?.(result);
    if (error) deps.logger.warn({ hospitalId, target, error }, 'warm failed; the previous cached answer stays');
    else deps.logger.debug({ hospitalId, target, durationMs: result.durationMs }, 'warmed');
    return result;
  }

  return {
    async warm(hospitalId, targets = WARM_TARGETS) {
      const results: WarmResult[] = [];
      for (const target of targets) results.push(await warmTarget(hospitalId, target));
      return results;
    },
    async refill(hospitalId) {
      const missing: WarmTarget[] = [];
      for (const target of WARM_TARGETS) {
        const principal: Principal = { userId: 'wardcache-warmer', hospitalId, role: 'viewer' };
        const key = deps.cache.keyFor(principal, ops[target]);
        if (key === null || !(await deps.cache.store.lookup(hospitalId, key)).hit) missing.push(target);
      }
      const results: WarmResult[] = [];
      for (const target of missing) results.push(await warmTarget(hospitalId, target));
      return results;
    },
  };
}
