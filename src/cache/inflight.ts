/** A complete successful answer, as sent: shareable with identical requests. */
export interface SharedAnswer {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

/**
 * Identical misses in flight in this process run once: the first executes, the others wait for
 * its answer. They share it only under the same fence, i.e. when no write invalidated the
 * hospital between the first request's lookup and theirs, so a request that starts after a
 * write returned never gets an answer computed before it. Without a fence (the store is
 * degraded) nothing is shared.
 */
export function createInflight() {
  const running = new Map<string, Promise<SharedAnswer | null>>();
  return {
    join(id: string): Promise<SharedAnswer | null> | undefined {
      return running.get(id);
    },
    lead(id: string, answer: Promise<SharedAnswer | null>): void {
      running.set(id, answer);
      const done = () => running.delete(id);
      answer.then(done, done);
    },
  };
}
