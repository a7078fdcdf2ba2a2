import type { Logger } from '../../observability/logger';
import type { Fence, ResponseStore, StoredResponse } from '../stores/store';
import { firstDifference } from './compare';

export interface VerifierOptions {
  /** Share of hits recomputed in the background (0 to 1). */
  rate: number;
  store: ResponseStore;
  logger: Logger;
  /** Each finished check: whether it was conclusive and whether it found a wrong answer. */
  onChecked(scope: number, result: 'match' | 'mismatch' | 'inconclusive'): void;
  random?: () => number;
  /**
   * Most of a process's time the checks may take (default 0.05). A check costs a miss (for a
   * 1,000-bed ward map, ~120 ms of CPU against ~0.1 ms for the hit it checks), so 0.1% of hits
   * on a busy process would otherwise double its CPU. Checks also run one at a time.
   */
  maxShare?: number;
  /** A sampled hit left unchecked because a check was running or the budget was spent. */
  onSkipped?: () => void;
  now?: () => number;
  /**
   * Resolves true once every change committed before `at` has been applied to the cache by the
   * change capture (src/capture), false if that did not happen in time. A write by another
   * system moves no fence until it is captured (within the bound), so a difference is a finding
   * only once capture has caught up past the recomputation and the fence is still unmoved.
   */
  settled?: (at: number) => Promise<boolean>;
}

export interface Check {
  scope: number;
  key: string;
  operationName: string | null | undefined;
  /** The cached answer that was served. */
  expected: StoredResponse;
  /** The scope's fence before the recomputation read anything. */
  fenceBefore: Fence;
  recomputed: Buffer;
  tags: readonly string[];
}

/**
 * The cache checks itself: a sampled hit is recomputed in the background, and if the fresh
 * answer differs from the cached one while no write invalidated the hospital in between (nor
 * was between its commit and its invalidation, which its open write intent shows), the
 * cached answer was wrong (a freshness bug): it is counted, logged once with the operation, its
 * tags and the first differing path, and evicted.
 */
export function createVerifier(options: VerifierOptions) {
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const maxShare = options.maxShare ?? 0.05;
  const WINDOW_MS = 60_000;
  let running: number | null = null;
  let windowStart = now();
  let busyMs = 0;
  return {
    /** Whether to check this hit; if so, `finished()` must follow once the check is over. */
    sample(): boolean {
      if (options.rate <= 0 || random() >= options.rate) return false;
      const t = now();
      if (t - windowStart > WINDOW_MS) {
        windowStart = t;
        busyMs = 0;
      }
      if (running !== null || busyMs > maxShare * Math.max(1000, t - windowStart)) {
        options.onSkipped?.();
        return false;
      }
      running = t;
      return true;
    },

    finished(): void {
      if (running === null) return;
      busyMs += now() - running;
      running = null;
    },

    async check(c: Check): Promise<void> {
      // A write that committed before the recomputation read its rows either has invalidated
      // (the fence moved) or still holds its write intent: either way, nothing to conclude.
      if (!(await options.store.quiet(c.scope, c.fenceBefore))) {
        options.onChecked(c.scope, 'inconclusive');
        return;
      }
      const recomputedBy = now();
      const cached = JSON.parse(c.expected.body.toString('utf8')) as unknown;
      const fresh = JSON.parse(c.recomputed.toString('utf8')) as unknown;
      const path = firstDifference(cached, fresh);
      if (path === null) {
        options.onChecked(c.scope, 'match');
        return;
      }
      if (options.settled && !((await options.settled(recomputedBy)) && (await options.store.quiet(c.scope, c.fenceBefore)))) {
        options.onChecked(c.scope, 'inconclusive'); // an external write not yet captured, or captured meanwhile
        return;
      }
      options.onChecked(c.scope, 'mismatch');
      const evicted = await options.store.evict(c.scope, c.key).catch(() => false);
      options.logger.error(
        { hospitalId: c.scope, operation: c.operationName ?? null, tags: c.tags, path, ageMs: Date.now() - c.expected.storedAt, evicted },
        'cache verification: a cached answer differs from its recomputation under the same fence',
      );
    },
  };
}
