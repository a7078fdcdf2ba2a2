/**
 * mulberry32, the seeded pseudo-random number generator of the reference data set
 * (../shared/dataset/reference-generator.mjs): the same seed gives the same sequence of floats,
 * bit for bit, as the generator's `mulberry32(seed)`. Never use Math.random in the seed: one
 * unseeded call and the rows stop matching the reference.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [min, max], both inclusive: the generator's `int(lo, hi)`. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A uniformly chosen element: the generator's `pick(arr)`. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Random.pick: empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }
}
