/**
 * Latency histogram at 10 µs resolution up to 200 ms (one overflow bucket beyond). autocannon's
 * own histogram records whole milliseconds, too coarse for a p99 target of a few ms.
 */
const STEP_MS = 0.01;
const BUCKETS = 20_000;

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS + 1);
  count = 0;
  max = 0;

  record(ms: number): void {
    this.counts[Math.min(BUCKETS, Math.floor(ms / STEP_MS))] += 1;
    this.count += 1;
    if (ms > this.max) this.max = ms;
  }

  /** Upper edge of the bucket holding the q-quantile, in ms (NaN when empty). */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return (i + 1) * STEP_MS;
    }
    return Infinity;
  }
}

/** Median of a small sample (miss and invalidation timings). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
