/**
 * Latency histograms with one fixed bucket layout everywhere (every process, every operation,
 * every ten seconds), so that histograms from several processes merge exactly by adding counts
 * and a percentile of the merged counts is what one histogram of all requests would have said.
 *
 * Bucket i holds latencies in (bound(i-1), bound(i)] with bound(i) = 2^(i/4) / 64 ms: four
 * buckets per doubling, from 1/64 ms (bucket 0 also takes anything shorter) to 2^16 ms ≈ 65 s;
 * the last bucket takes everything longer. A percentile is read as the upper bound of the
 * bucket holding its rank: never below the exact value, at most 2^(1/4) − 1 ≈ 19% above it.
 */

/** Buckets per doubling of the latency. */
const PER_DOUBLING = 4;
/** bound(0), in ms. */
const MIN_MS = 1 / 64;
/** Finite buckets 0..LAST-1; LAST takes everything over bound(LAST - 1) = 2^16 ms. */
const LAST = PER_DOUBLING * 22 + 1;
export const LATENCY_BUCKETS = LAST + 1;

/** The bucket of a latency in ms (a negative or NaN latency counts as the shortest). */
export function latencyBucket(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  const i = Math.ceil(PER_DOUBLING * Math.log2(ms / MIN_MS));
  return i < LAST ? i : LAST;
}

/** The upper bound of bucket i in ms; the last bucket's lower bound (its latencies are longer). */
export function bucketBoundMs(i: number): number {
  return MIN_MS * 2 ** (Math.min(i, LAST - 1) / PER_DOUBLING);
}

/** The q-quantile (0 < q ≤ 1) of a histogram, as its bucket's upper bound; null when empty. */
export function quantileMs(hist: ArrayLike<number>, q: number): number | null {
  let total = 0;
  for (let i = 0; i < hist.length; i++) total += hist[i];
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i];
    if (seen >= rank) return bucketBoundMs(i);
  }
  return bucketBoundMs(hist.length - 1);
}

/** Adds `from` into `into` (same layout). */
export function addInto(into: Float64Array, from: ArrayLike<number>): void {
  for (let i = 0; i < into.length && i < from.length; i++) into[i] += from[i];
}

/** [bucket, count, bucket, count…] of the non-empty buckets: what is published. */
export function toSparse(hist: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < hist.length; i++) if (hist[i] !== 0) out.push(i, hist[i]);
  return out;
}

/** The dense histogram of a published sparse one; throws on anything else. */
export function fromSparse(sparse: unknown): Float64Array {
  if (!Array.isArray(sparse) || sparse.length % 2 !== 0) throw new Error('not a sparse histogram');
  const out = new Float64Array(LATENCY_BUCKETS);
  for (let k = 0; k < sparse.length; k += 2) {
    const [i, n] = [sparse[k], sparse[k + 1]];
    if (!Number.isInteger(i) || i < 0 || i >= LATENCY_BUCKETS || typeof n !== 'number' || !(n >= 0)) throw new Error('not a sparse histogram');
    out[i] += n;
  }
  return out;
}
