/**
 * Seeded randomness for the stress harness. One run seed drives every choice: each actor (a
 * reader, a writer, the setup) draws from its own stream derived from the seed and its name, so
 * `--seed N` replays the same choices per actor (the interleaving of requests still varies with
 * timing, which is the point of a stress test).
 */

/** mulberry32: small, fast, good enough for picking operations. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of the stream name, mixed with the seed. */
function mix(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Random {
  private readonly next: () => number;

  constructor(
    readonly seed: number,
    readonly stream = 'main',
  ) {
    this.next = mulberry32(mix(seed, stream));
  }

  /** An independent stream for one actor. */
  fork(name: string): Random {
    return new Random(this.seed, `${this.stream}/${name}`);
  }

  float(): number {
    return this.next();
  }

  /** 0 ≤ n < max. */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  /** min ≤ n ≤ max. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)];
  }

  /** One of the entries, chosen in proportion to its weight (entries of weight 0 never). */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    const total = entries.reduce((s, [, w]) => s + w, 0);
    if (total <= 0) throw new Error('weighted pick with no positive weight');
    let r = this.next() * total;
    for (const [value, w] of entries) {
      if (r < w) return value;
      r -= w;
    }
    return entries[entries.length - 1][0];
  }
}

/** A seed for runs that were given none: printed, so the run can be replayed. */
export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
