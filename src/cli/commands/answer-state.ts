import type { CliContext } from '../context';
import type { Principal } from '../../auth/tokens';
import type { HotOperation } from '../../jobs/hot-operations';
import { CliFailure } from '../output';

/** Whether a hot answer is cached now, under the very key the frontend's request (and the warmer) uses. */
export interface AnswerState {
  /** fresh: served as a hit now; stale: kept only as a stale copy (past its time to live); missing. */
  state: 'fresh' | 'stale' | 'missing';
  ageMs: number | null;
  /** Until it stops being served fresh (fresh answers only). */
  expiresInMs: number | null;
}

/**
 * Reads, changing nothing: `describe` (the explorer's read, no counters, no lease), and for an
 * answer that is not fresh, a lookup that tells a stale copy from nothing.
 */
export async function answerState(ctx: CliContext, hospitalId: number, op: HotOperation): Promise<AnswerState> {
  const { cache } = ctx.gateway;
  // The warmer's caller (src/jobs/warmer.ts): a viewer; read answers are shared by every role.
  const principal: Principal = { userId: 'cli', hospitalId, role: 'viewer' };
  const key = cache.keyFor(principal, op);
  if (key === null) throw new CliFailure(`${op.target} (${op.operationName}) is not a cacheable query`, 1);
  const now = Date.now();
  const entry = await cache.store.describe(hospitalId, key);
  if (entry && entry.freshUntil > now) return { state: 'fresh', ageMs: Math.max(0, now - entry.storedAt), expiresInMs: entry.freshUntil - now };
  const found = await cache.store.lookup(hospitalId, key);
  if (found.fence === null) throw new CliFailure(`the cache store (${ctx.describeCache()}) does not answer`, 1);
  const copy = found.hit ?? found.stale;
  if (!copy) return { state: 'missing', ageMs: null, expiresInMs: null };
  return { state: copy.freshUntil > now ? 'fresh' : 'stale', ageMs: Math.max(0, now - copy.storedAt), expiresInMs: copy.freshUntil > now ? copy.freshUntil - now : null };
}
