import type { Cache } from '@envelop/response-cache';
import type { DocumentNode, ExecutionResult, OperationTypeNode } from 'graphql';
import { hitExtension, MISS, type CacheExtension } from './extensions';
import type { Fence, ResponseStore, StoredResponse, StoreOutcome } from './stores/store';

/**
 * Why a request runs: a client's request (looked up, stored on a miss), a warm (no lookup,
 * stored under the fence read first), or a verification (recomputed, compared, never stored).
 */
export type TicketMode = 'request' | 'warm' | 'verify';

/** What a ticket needs from its cache; given by createCache, never by other folders. */
export interface TicketDeps {
  store: ResponseStore;
  countHit(scope: number): void;
  /** Runs on a miss's answer: computes its tags and stores it (or, for verify, checks it). */
  onAnswer(ticket: CacheTicket, result: ExecutionResult, entities: Iterable<{ typename: string; id?: string | number }>, ttlMs: number): Promise<StoreOutcome | undefined>;
}

/**
 * The cache's state for one execution, owned by the cache: created by `lookup`, `openForWarm`
 * or `openForVerify`, read through methods by the HTTP handler, the executor and the warmer,
 * and written only here and by the cache itself.
 */
export class CacheTicket {
  private fence: Fence | undefined;
  private staleCopy: StoredResponse | undefined;
  private storedOutcome: StoreOutcome | undefined;
  private cacheable = false;
  private doc: DocumentNode | undefined;
  private opName: string | null | undefined;
  private readonly pending: Promise<unknown>[] = [];
  private outcome: CacheExtension = MISS;
  private releaseLease: (() => void) | undefined;

  constructor(
    readonly scope: number,
    readonly key: string,
    readonly mode: TicketMode,
    private readonly deps: TicketDeps,
    looked?: { fence: Fence; stale?: StoredResponse },
    /** For verify: the cached answer being checked. */
    readonly expected?: StoredResponse,
    /** Worth computing once across processes (false for live answers that are never stored). */
    readonly computeOnce = true,
    /** The JSON text of its coerced variables (the key explorer shows it). */
    readonly variables = '{}',
  ) {
    if (looked) {
      this.fence = looked.fence;
      this.staleCopy = looked.stale;
    }
  }

  /** Holds the cross-process lease on this answer's computation until `finished`. */
  holdLease(release: () => void): void {
    this.releaseLease = release;
  }

  /** The answer was stored, refused, or never came: other processes need not wait for it any longer. */
  finished(): void {
    this.releaseLease?.();
    this.releaseLease = undefined;
  }

  /** Called by the executor once Apollo has parsed the request: only queries are cached. */
  beginExecution(kind: OperationTypeNode | string, document: DocumentNode, operationName: string | null | undefined): void {
    this.cacheable = kind === 'query';
    this.doc = document;
    this.opName = operationName;
  }

  /** Resolves once this execution's store (or check) has finished. */
  async settled(): Promise<void> {
    if (this.pending.length) await Promise.all(this.pending);
  }

  isCacheable(): boolean {
    return this.cacheable;
  }

  document(): DocumentNode | undefined {
    return this.doc;
  }

  operationName(): string | null | undefined {
    return this.opName;
  }

  /** The fence this execution's answer is stored under (null: do not store); for a verify
   * ticket, the fence read with the hit it checks. */
  storeFence(): Fence {
    return this.fence ?? null;
  }

  /** An expired copy of this answer, to serve only when the database cannot answer. */
  stale(): StoredResponse | undefined {
    return this.staleCopy;
  }

  /** What became of the answer: stored, refused by the fence ('stale'), or skipped. */
  stored(): StoreOutcome | undefined {
    return this.storedOutcome;
  }

  /** `extensions.cache` for the answer this execution produces. */
  extension(): CacheExtension {
    return this.outcome;
  }

  /** Identical misses share one execution only under the same fence (src/cache/inflight.ts). */
  flightId(): string | null {
    return this.mode === 'request' && this.fence != null ? `${this.scope}|${this.key}|${this.fence}` : null;
  }

  /** The envelop `Cache` bound to this execution (used by the response-cache plugin). */
  envelopCache(): Cache {
    return {
      get: async () => {
        // A request's lookup already ran on the HTTP path; warms and checks must recompute.
        if (this.fence !== undefined || this.mode !== 'request') return null;
        const found = await this.deps.store.lookup(this.scope, this.key);
        if (found.hit) {
          this.deps.countHit(this.scope);
          this.outcome = hitExtension(found.hit.storedAt);
          return JSON.parse(found.hit.body.toString('utf8')) as ExecutionResult;
        }
        this.fence = found.fence;
        return null;
      },
      set: (_id, result, entities, ttl) => {
        this.pending.push(
          this.deps.onAnswer(this, result, entities, ttl).then((o) => {
            this.storedOutcome = o;
          }),
        );
      },
      invalidate: () => {
        // Never called: invalidateViaMutation is off; committed ORM changes invalidate instead.
      },
    };
  }
}
