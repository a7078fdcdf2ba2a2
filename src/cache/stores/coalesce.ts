/**
 * Concurrent identical reads share one round trip, without ever answering a caller with a read
 * sent before the caller asked: while one read of an id is in flight, later callers wait for
 * the next one, sent when it returns. So a hit is never older than its request (a write that
 * returned before the request was sent is seen), and N concurrent hits of one answer cost about
 * one Redis reply per round trip instead of N.
 */
export function createCoalescer<T>() {
  interface Batch {
    promise: Promise<T>;
    next?: { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
  }
  const running = new Map<string, Batch>();

  function start(id: string, read: () => Promise<T>): Promise<T> {
    const batch: Batch = { promise: read() };
    running.set(id, batch);
    const done = () => {
      running.delete(id);
      const next = batch.next;
      if (next) start(id, read).then(next.resolve, next.reject);
    };
    batch.promise.then(done, done);
    return batch.promise;
  }

  return function coalesced(id: string, read: () => Promise<T>): Promise<T> {
    const current = running.get(id);
    if (!current) return start(id, read);
    if (!current.next) {
      let resolve!: (v: T) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
      current.next = { promise, resolve, reject };
    }
    return current.next.promise;
  };
}
