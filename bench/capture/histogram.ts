/**
 * A Prometheus histogram read from the gateways' /metrics text, summed over gateways, the
 * difference of two scrapes, and its quantiles the way Prometheus' `histogram_quantile` computes
 * them: find the bucket the rank falls in and interpolate linearly between its bounds (the first
 * bucket's lower bound is 0; a rank in the +Inf bucket gives the highest finite bound).
 */

export interface Histogram {
  /** Upper bounds (seconds), ascending, +Inf last. */
  bounds: number[];
  /** Cumulative counts, one per bound. */
  cumulative: number[];
  sum: number;
  count: number;
}

const empty = (): Histogram => ({ bounds: [], cumulative: [], sum: 0, count: 0 });

/** One histogram of one scrape (`name_bucket{…le="…"}`, `name_sum`, `name_count`). */
export function parseHistogram(text: string, name: string): Histogram {
  const buckets = new Map<number, number>();
  const out = empty();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const series = line.slice(0, space);
    const value = Number(line.slice(space + 1));
    const base = series.includes('{') ? series.slice(0, series.indexOf('{')) : series;
    if (base === `${name}_bucket`) {
      const le = /le="([^"]+)"/.exec(series)?.[1];
      if (le === undefined) continue;
      const bound = le === '+Inf' ? Infinity : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + value);
    } else if (base === `${name}_sum`) out.sum += value;
    else if (base === `${name}_count`) out.count += value;
  }
  out.bounds = [...buckets.keys()].sort((a, b) => a - b);
  out.cumulative = out.bounds.map((b) => buckets.get(b) ?? 0);
  return out;
}

/** Bucket by bucket: a + b (gateways), or b − a with `sign` −1 on a (after minus before). */
export function combine(a: Histogram, b: Histogram, sign: 1 | -1): Histogram {
  if (a.bounds.length === 0) return sign === 1 ? b : { ...b };
  if (b.bounds.length === 0) return sign === 1 ? a : { bounds: a.bounds, cumulative: a.cumulative.map((c) => -c), sum: -a.sum, count: -a.count };
  if (a.bounds.join() !== b.bounds.join()) throw new Error(`histograms with different buckets: ${a.bounds.join()} / ${b.bounds.join()}`);
  return { bounds: b.bounds, cumulative: b.cumulative.map((c, i) => c + sign * a.cumulative[i]), sum: b.sum + sign * a.sum, count: b.count + sign * a.count };
}

export function sumHistograms(list: Histogram[]): Histogram {
  return list.reduce((acc, h) => combine(acc, h, 1), empty());
}

/** Prometheus' histogram_quantile(q, …): NaN without observations. */
export function histogramQuantile(h: Histogram, q: number): number {
  const total = h.cumulative[h.cumulative.length - 1] ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  const i = h.cumulative.findIndex((c) => c >= rank);
  if (h.bounds[i] === Infinity) return h.bounds[h.bounds.length - 2] ?? NaN;
  const lower = i === 0 ? 0 : h.bounds[i - 1];
  const below = i === 0 ? 0 : h.cumulative[i - 1];
  const inBucket = h.cumulative[i] - below;
  return inBucket <= 0 ? h.bounds[i] : lower + ((h.bounds[i] - lower) * (rank - below)) / inBucket;
}

/** The bucket the largest observation fell in, as its bounds: all a histogram knows of the max. */
export function maxBucket(h: Histogram): { lower: number; upper: number } | null {
  for (let i = h.bounds.length - 1; i >= 0; i--) {
    const below = i === 0 ? 0 : h.cumulative[i - 1];
    if (h.cumulative[i] - below > 0) return { lower: i === 0 ? 0 : h.bounds[i - 1], upper: h.bounds[i] };
  }
  return null;
}

/** Observations above `seconds` (a bucket bound): how many changes took longer than that. */
export function countAbove(h: Histogram, seconds: number): number {
  const i = h.bounds.indexOf(seconds);
  if (i === -1) return NaN;
  return h.count - h.cumulative[i];
}
