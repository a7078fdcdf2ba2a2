/**
 * The in-process tier over Redis: recently served answers' bytes, bounded in bytes, least
 * recently used out first. It never decides a hit by itself: the Redis store serves a copy only
 * after Redis confirmed, in the same request, that it still holds that very copy (its header,
 * with a stamp unique to each store, is unchanged). Moving a 190 KB body out of Redis on every
 * hit costs more than everything else on the hit path; proving a copy current costs ~60 bytes.
 */
export interface LocalCopy {
  body: Buffer;
  storedAt: number;
  freshUntil: number;
  /** `<storedAt>:<freshUntil>:<stamp>:`, as the value in Redis starts. */
  header: string;
}

export interface LocalTier {
  get(scope: number, key: string): LocalCopy | undefined;
  set(scope: number, key: string, copy: LocalCopy): void;
  delete(scope: number, key: string): void;
  bytes(): number;
}

export function createLocalTier(maxBytes: number): LocalTier {
  // Map iteration order is insertion order: re-inserting on use makes the first key the coldest.
  const copies = new Map<string, LocalCopy>();
  let bytes = 0;
  const id = (scope: number, key: string) => `${scope}|${key}`;
  const remove = (k: string) => {
    const c = copies.get(k);
    if (!c) return;
    copies.delete(k);
    bytes -= c.body.length;
  };
  return {
    get(scope, key) {
      const k = id(scope, key);
      const c = copies.get(k);
      if (c) {
        copies.delete(k);
        copies.set(k, c);
      }
      return c;
    },
    set(scope, key, copy) {
      if (copy.body.length > maxBytes / 4) return; // one answer never evicts most of the tier
      const k = id(scope, key);
      remove(k);
      copies.set(k, copy);
      bytes += copy.body.length;
      for (const coldest of copies.keys()) {
        if (bytes <= maxBytes) break;
        remove(coldest);
      }
    },
    delete: (scope, key) => remove(id(scope, key)),
    bytes: () => bytes,
  };
}
