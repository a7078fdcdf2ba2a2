import { explore } from './explore';
import type { EntryInfo, EntryLabel, Fence, Lookup, ResponseStore, StoreOutcome, WriteIntent } from './store';
import { tagType } from './store';

interface Entry {
  scope: number;
  key: string;
  label: EntryLabel;
  body: Buffer;
  storedAt: number;
  freshUntil: number;
  /** freshUntil plus the stale-copy window. */
  expiresAt: number;
  tags: readonly string[];
}

const NO_LABEL: EntryLabel = { operationName: '', variables: '{}' };

export interface MemoryStoreOptions {
  /** Upper bound on stored bytes; the least recently stored entries go first. Default 256 MiB. */
  maxBytes?: number;
  /** How long an expired answer is kept as a stale copy (for database outages). Default 0. */
  retainStaleMs?: number;
  now?: () => number;
}

/**
 * The in-process store: one Map of entries plus tag and type indexes, per gateway. Single-
 * threaded, so the fence check and the write are atomic by construction.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): ResponseStore {
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const now = options.now ?? Date.now;
  const retainStaleMs = options.retainStaleMs ?? 0;
  const entries = new Map<string, Entry>();
  /** Per scope, its entries' map keys in store order (the explorer lists a scope without visiting others). */
  const byScope = new Map<number, Set<string>>();
  const byTag = new Map<string, Set<string>>(); // `${scope}|${tag}` → entry keys
  const byType = new Map<string, Set<string>>(); // `${scope}|${type}` → tags
  const epochs = new Map<number, number>();
  /** Per scope: tag (or `type:<Type>`) → the epoch of its last invalidation, and the floor below which they were forgotten. */
  const versions = new Map<number, { tags: Map<string, number>; floor: number }>();
  const leases = new Map<string, number>(); // `${scope}|${key}` → held until (ms)
  /** Open write intents per scope (announced, not yet invalidated or released). */
  const openWrites = new Map<number, Set<string>>();
  let intentSeq = 0;
  const closeIntent = (intent?: WriteIntent) => {
    if (!intent) return;
    const open = openWrites.get(intent.scope);
    if (open && open.delete(intent.id) && open.size === 0) openWrites.delete(intent.scope);
  };
  let bytes = 0;

  const entryKey = (scope: number, key: string) => `${scope}|${key}`;

  function drop(k: string): boolean {
    const e = entries.get(k);
    if (!e) return false;
    entries.delete(k);
    const own = byScope.get(e.scope);
    if (own && own.delete(k) && own.size === 0) byScope.delete(e.scope);
    bytes -= e.body.length;
    // Keep the tag index exact, so it never outgrows the entries it points to.
    for (const tag of e.tags) {
      const name = `${e.scope}|${tag}`;
      const set = byTag.get(name);
      if (set && set.delete(k) && set.size === 0) byTag.delete(name);
    }
    return true;
  }

  function bump(scope: number): number {
    const epoch = (epochs.get(scope) ?? 0) + 1;
    epochs.set(scope, epoch);
    return epoch;
  }

  const VERSIONS_KEPT = 10_000;
  function recordVersions(scope: number, epoch: number, members: readonly string[]): void {
    let v = versions.get(scope);
    if (!v) versions.set(scope, (v = { tags: new Map(), floor: 0 }));
    for (const m of members) v.tags.set(m, epoch);
    // Forgetting raises the floor, so it only ever refuses more.
    if (v.tags.size > 2 * VERSIONS_KEPT) versions.set(scope, { tags: new Map(), floor: epoch });
  }

  /** Whether an answer with these tags, computed from `fence` on, may be stored. */
  function unaffected(scope: number, tags: readonly string[], fence: number): boolean {
    if ((epochs.get(scope) ?? 0) === fence) return true;
    const v = versions.get(scope);
    if (!v) return true;
    if (v.floor > fence) return false;
    for (const tag of tags) {
      if ((v.tags.get(tag) ?? 0) > fence || (v.tags.get(`type:${tagType(tag)}`) ?? 0) > fence) return false;
    }
    return true;
  }

  function removeTag(scope: number, tag: string): number {
    const index = `${scope}|${tag}`;
    const keys = byTag.get(index);
    byTag.delete(index);
    let removed = 0;
    if (keys) for (const k of keys) if (drop(k)) removed += 1;
    return removed;
  }

  const infoOf = (e: Entry): EntryInfo => ({ key: e.key, ...e.label, bytes: e.body.length, storedAt: e.storedAt, freshUntil: e.freshUntil, tags: e.tags });
  /** The scope's present entries, oldest stored first. */
  function* present(scope: number): Generator<EntryInfo> {
    for (const k of byScope.get(scope) ?? []) {
      const e = entries.get(k);
      if (e) yield infoOf(e);
    }
  }
  /** Distinct present entries behind these tags. */
  function tagged(scope: number, tags: Iterable<string>): number {
    const seen = new Set<string>();
    for (const tag of tags) for (const k of byTag.get(`${scope}|${tag}`) ?? []) if (entries.has(k)) seen.add(k);
    return seen.size;
  }

  function index(map: Map<string, Set<string>>, name: string, member: string): void {
    let set = map.get(name);
    if (!set) map.set(name, (set = new Set()));
    set.add(member);
  }

  return {
    backend: 'memory',
    state: () => 'up',

    lookup(scope, key): Lookup {
      const k = entryKey(scope, key);
      const e = entries.get(k);
      const t = now();
      const fence = String(epochs.get(scope) ?? 0);
      if (!e) return { hit: null, fence };
      const copy = { body: e.body, storedAt: e.storedAt, freshUntil: e.freshUntil };
      if (e.freshUntil > t) return { hit: copy, fence };
      if (e.expiresAt > t) return { hit: null, fence, stale: copy };
      drop(k);
      return { hit: null, fence };
    },

    async fence(scope) {
      return String(epochs.get(scope) ?? 0);
    },

    async store(scope, key, body, tags, ttlMs, fence: Fence, label = NO_LABEL): Promise<StoreOutcome> {
      if (fence === null) return 'skipped';
      if (!unaffected(scope, tags, Number(fence))) return 'stale';
      const k = entryKey(scope, key);
      drop(k);
      const t = now();
      entries.set(k, { scope, key, label, body, storedAt: t, freshUntil: t + ttlMs, expiresAt: t + ttlMs + retainStaleMs, tags });
      let own = byScope.get(scope);
      if (!own) byScope.set(scope, (own = new Set()));
      own.add(k);
      bytes += body.length;
      for (const tag of tags) {
        index(byTag, `${scope}|${tag}`, k);
        index(byType, `${scope}|${tagType(tag)}`, tag);
      }
      // Map iteration order is insertion order: the first keys are the oldest stores.
      for (const oldest of entries.keys()) {
        if (bytes <= maxBytes) break;
        drop(oldest);
      }
      return 'stored';
    },

    // One process: nothing to fence off for other processes; intents only tell the self-check
    // that a write is between its commit and its invalidation.
    async beginWrite(scope): Promise<WriteIntent> {
      const intent = { id: String((intentSeq += 1)), scope };
      let open = openWrites.get(scope);
      if (!open) openWrites.set(scope, (open = new Set()));
      open.add(intent.id);
      return intent;
    },

    async releaseWrite(intent) {
      closeIntent(intent);
    },

    async quiet(scope, fence) {
      return fence !== null && String(epochs.get(scope) ?? 0) === fence && !openWrites.has(scope);
    },

    async evict(scope, key) {
      return drop(entryKey(scope, key));
    },

    async lease(scope, key, ms) {
      const k = entryKey(scope, key);
      if ((leases.get(k) ?? 0) > now()) return null;
      leases.set(k, now() + ms);
      // Renewed while held, like the Redis store's (one process: the holder cannot die alone).
      const renew = setInterval(() => leases.set(k, now() + ms), ms / 3);
      renew.unref();
      return () => {
        clearInterval(renew);
        leases.delete(k);
      };
    },

    async invalidate(scope, tags, intent) {
      recordVersions(scope, bump(scope), tags);
      closeIntent(intent);
      let removed = 0;
      for (const tag of tags) removed += removeTag(scope, tag);
      return removed;
    },

    async invalidateType(scope, typename) {
      recordVersions(scope, bump(scope), [`type:${typename}`]);
      const name = `${scope}|${typename}`;
      const tags = byType.get(name);
      byType.delete(name);
      let removed = 0;
      if (tags) for (const tag of tags) removed += removeTag(scope, tag);
      return removed;
    },

    async purge(scope, intent) {
      versions.set(scope, { tags: new Map(), floor: bump(scope) });
      closeIntent(intent);
      let removed = 0;
      for (const k of [...(byScope.get(scope) ?? [])]) if (drop(k)) removed += 1;
      for (const map of [byTag, byType]) for (const name of [...map.keys()]) if (name.startsWith(`${scope}|`)) map.delete(name);
      return removed;
    },

    async entries(scope) {
      const t = now();
      let n = 0;
      for (const k of byScope.get(scope) ?? []) if ((entries.get(k)?.freshUntil ?? 0) > t) n += 1;
      return n;
    },

    // One pass over the scope's own entries (byScope), never over other hospitals'.
    list: async (scope, filter) => explore(present(scope), now()).list(filter),
    census: async (scope) => explore(present(scope), now()).census(),

    async describe(scope, key) {
      const e = entries.get(entryKey(scope, key));
      return e && e.freshUntil > now() ? infoOf(e) : null;
    },

    async count(scope, selection) {
      if (selection.kind === 'all') return byScope.get(scope)?.size ?? 0;
      if (selection.kind === 'tags') return tagged(scope, selection.tags);
      return tagged(scope, byType.get(`${scope}|${selection.typename}`) ?? []);
    },

    async memoryBytes() {
      return bytes;
    },

    async close() {
      entries.clear();
      byScope.clear();
      byTag.clear();
      byType.clear();
    },
  };
}
