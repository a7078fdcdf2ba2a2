import { everything, type ChangeSummary } from './changes';

/** One event of a hospital, as published between processes and handed to its streams. */
export interface LiveChange extends ChangeSummary {
  hospitalId: number;
  /** Epoch ms: when the change's answers were evicted (see README, "Live changes"). */
  at: number;
}

/** Events a stream has not taken yet; a stream that falls this far behind gets one "everything" instead. */
const MAX_QUEUED = 256;

/**
 * This process's open subscriptions, by hospital: each change is handed only to the streams of
 * its own hospital. A subscription is an async iterator of changes that ends when the client
 * goes away (graphql-sse returns it) or the gateway closes.
 */
export function createHub() {
  const byHospital = new Map<number, Set<(change: LiveChange) => void>>();
  const enders = new Set<() => void>();
  let closed = false;

  function listen(hospitalId: number, listener: (change: LiveChange) => void): () => void {
    let set = byHospital.get(hospitalId);
    if (!set) byHospital.set(hospitalId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && byHospital.get(hospitalId) === set) byHospital.delete(hospitalId);
    };
  }

  return {
    /** Hands a change to every stream of its hospital in this process. */
    deliver(change: LiveChange): void {
      for (const listener of byHospital.get(change.hospitalId) ?? []) listener(change);
    },

    /** Hospitals with at least one open stream here. */
    hospitals: (): number[] => [...byHospital.keys()],

    /** The changes of one hospital from now on, until `return()` or `close()`. */
    subscribe(hospitalId: number): AsyncIterableIterator<LiveChange> {
      const queue: LiveChange[] = [];
      let wake: (() => void) | null = null;
      let done = closed;
      const stop = listen(hospitalId, (change) => {
        if (queue.length >= MAX_QUEUED) {
          // Far behind: what it missed no longer matters one by one; refetch everything.
          queue.length = 0;
          queue.push({ ...everything(), hospitalId, at: change.at });
        } else queue.push(change);
        wake?.();
      });
      const end = () => {
        done = true;
        stop();
        enders.delete(end);
        wake?.();
      };
      enders.add(end);
      if (done) end();
      const iterator: AsyncIterableIterator<LiveChange> = {
        async next(): Promise<IteratorResult<LiveChange>> {
          while (queue.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          const value = queue.shift();
          return value ? { value, done: false } : { value: undefined, done: true };
        },
        async return(): Promise<IteratorResult<LiveChange>> {
          end();
          queue.length = 0;
          return { value: undefined, done: true };
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator;
    },

    /** Ends every subscription (each stream then completes); later ones end at once. */
    close(): void {
      closed = true;
      for (const end of [...enders]) end();
    },
  };
}

export type Hub = ReturnType<typeof createHub>;
