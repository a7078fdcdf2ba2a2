import type { EntryInfo, EntryPage, OperationCensus } from './store';

/**
 * The explorer's selection over a scope's present answers (oldest stored first), shared by the
 * stores that hold their entries in process: only fresh answers count, newest first.
 */
export function explore(present: Iterable<EntryInfo>, now: number) {
  const fresh = () => [...present].filter((e) => e.freshUntil > now);
  return {
    list({ operationName, first }: { operationName?: string | null; first: number }): EntryPage {
      const matching = fresh().filter((e) => operationName == null || e.operationName === operationName);
      matching.sort((a, b) => b.storedAt - a.storedAt);
      return { totalCount: matching.length, entries: matching.slice(0, first) };
    },
    census(): OperationCensus[] {
      const by = new Map<string, OperationCensus>();
      for (const e of fresh()) {
        let c = by.get(e.operationName);
        if (!c) by.set(e.operationName, (c = { operationName: e.operationName, entries: 0, bytes: 0 }));
        c.entries += 1;
        c.bytes += e.bytes;
      }
      return [...by.values()].sort((a, b) => a.operationName.localeCompare(b.operationName));
    },
  };
}
