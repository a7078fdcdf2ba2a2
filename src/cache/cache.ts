import { useResponseCache } from '@envelop/response-cache';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../observability/logger';
import { createInflight } from './inflight';
import { uncachedCoordinates } from './invalidation/declarations';
import { ROOT_TAGS } from './invalidation/dependencies';
import { CacheInvalidationSubscriber } from './invalidation/subscriber';
import { createDerivations, type AnswerDerivation, type Derived } from './derive';
import { createCanonicalizer } from './keying/canonical';
import { responseKey, type OperationRequest } from './keying/keys';
import { createShapeAnalyzer, responseTags } from './keying/tags';
import { createCounters, type CacheCounters } from './stats';
import type { Fence, Lookup, ResponseStore, StoredResponse, StoreOutcome, WriteIntent } from './stores/store';
import { CacheTicket, type TicketDeps } from './ticket';
import { createVerifier } from './verify/verifier';

export interface CacheSettings {
  /** Default time to live of a cached answer. */
  ttlMs: number;
  /** Per type or schema coordinate (`Query.wardFilters`, `Patient`), in ms; the lowest applies. */
  ttlPerCoordinate: Record<string, number>;
  /** Share of hits recomputed in the background to check them (CACHE_VERIFY_RATE). */
  verifyRate: number;
}

/** Who asks: the cache keys by hospital and, for answers not every reader may see, by role. */
export interface CacheCaller {
  hospitalId: number;
  role: string;
}

export interface CacheOptions {
  store: ResponseStore;
  schema: GraphQLSchema;
  settings: CacheSettings;
  /** Root query fields every role may run: their answers are shared by all roles. */
  readerFields: ReadonlySet<string>;
  logger: Logger;
  /** Every counted event (`hit`, `miss`, `verify_mismatch`…), for metrics. */
  onEvent?: (event: string, n: number) => void;
  /** Answers derived from other cached answers (see AnswerDerivation). */
  derivations?: readonly AnswerDerivation[];
  /**
   * False while cached answers may be older than the change-capture bound (src/capture): then
   * every request runs against the database, and nothing is looked up or stored (fail-closed).
   */
  servable?: () => boolean;
  /** Resolves true once the change capture has applied every change committed before `at` (the self-check waits for it). */
  settled?: (at: number) => Promise<boolean>;
}

/** What an invalidation removed: the answers carrying these tags, of this type, or the whole hospital. */
export type Invalidated = ({ kind: 'tags'; tags: readonly string[] } | { kind: 'type'; typename: string } | { kind: 'purge' }) & {
  /** When the change was committed (epoch ms), if the caller knows it (the change capture does); else now. */
  committedAt?: number;
};

/** A hit (answered by the caller), or the ticket the execution that follows runs with. */
export type LookupResult =
  /** `operationName`: the document's own, for the figures when the client sent none. */
  | { hit: StoredResponse; fence: Fence; verify: boolean; operationName: string }
  | { hit: null; ticket: CacheTicket | null };

const MAX_KEYS_PER_DOCUMENT = 256;
/** A computing process renews its lease; if it dies, another may start the same answer this much later. */
const LEASE_MS = 3000;
/**
 * The longest a request waits for another process's computation before running its own. Long on
 * purpose: under overload, waiters that give up early each run the query themselves, which
 * slows every computation, which makes more stores refused by writes landing meanwhile (a
 * hospital day at 5x the users went from 64% hits to 36%, with 503s, at 2 s).
 */
const LEASE_PATIENCE_MS = 10_000;
/** How often a process waiting for another's answer looks for it: from 5 ms, backing off to 50 ms. */
const LEASE_POLL_MS = [5, 5, 10, 10, 20, 20, 50];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const EVENT_OF: Record<keyof CacheCounters, string> = {
  hits: 'hit',
  misses: 'miss',
  stores: 'store',
  staleSkips: 'stale_skip',
  leaseHits: 'lease_hit',
  derivedHits: 'derived_hit',
  invalidations: 'invalidation',
  invalidatedResponses: 'invalidated',
  verifications: 'verify',
  verifyMismatches: 'verify_mismatch',
};

/**
 * The response cache as one component: keys, lookups, tickets for the executions that follow a
 * miss (or a warm, or a check), the envelop plugin that stores their answers, invalidation of
 * committed changes, and the self-check of sampled hits. Other folders use only what this
 * returns (through src/cache/index.ts).
 */
export function createCache(options: CacheOptions) {
  const { store, schema, settings, logger } = options;
  const onEvent = options.onEvent ?? (() => undefined);
  const cachedFields = new Set(Object.entries(ROOT_TAGS).filter(([, rule]) => rule !== 'uncached').map(([field]) => field));
  const canonical = createCanonicalizer(schema, options.readerFields, cachedFields);
  const shapeOf = createShapeAnalyzer(schema);
  const inflight = createInflight();

  const counters = createCounters();
  const perScope = new Map<number, CacheCounters>();
  const listeners: Array<(scope: number, what: Invalidated) => void> = [];
  const countersFor = (scope: number): CacheCounters => {
    let c = perScope.get(scope);
    if (!c) perScope.set(scope, (c = createCounters()));
    return c;
  };
  const count = (scope: number, field: keyof CacheCounters, n = 1) => {
    counters[field] += n;
    countersFor(scope)[field] += n;
    onEvent(EVENT_OF[field], n);
  };

  const verifier = createVerifier({
    rate: settings.verifyRate,
    store,
    logger,
    onChecked: (scope, result) => {
      if (result !== 'inconclusive') count(scope, 'verifications');
      if (result === 'mismatch') count(scope, 'verifyMismatches');
    },
    onSkipped: () => onEvent('verify_skipped', 1),
    settled: options.settled,
  });

  /**
   * Null when the request is not a cacheable query. Answers to queries that any reader may run
   * do not depend on the role, so all roles share them ("reader" class); others are per role.
   */
  function keyFor(caller: CacheCaller, op: OperationRequest, c = canonical(op)): string | null {
    if (!c) return null;
    const roleClass = c.sharedByReaders ? 'reader' : caller.role;
    const id = `${roleClass}\0${c.variables}`;
    let key = c.keys.get(id);
    if (key === undefined) {
      key = responseKey(roleClass, c.text, c.variables);
      // Bounded per document: variables a client varies without end are hashed each time.
      if (c.keys.size < MAX_KEYS_PER_DOCUMENT && c.variables.length <= 512) c.keys.set(id, key);
    }
    return key;
  }

  const derived = createDerivations(options.derivations ?? [], canonical);

  const deps: TicketDeps = {
    store,
    countHit: (scope) => count(scope, 'hits'),
    async onAnswer(ticket, result, entities, ttl): Promise<StoreOutcome | undefined> {
      const body = Buffer.from(JSON.stringify({ data: result.data }));
      const doc = ticket.document();
      const tags = doc ? responseTags(shapeOf(doc, ticket.operationName()), result.data, entities) : [];
      if (ticket.mode === 'verify') {
        if (ticket.expected) {
          // A verify ticket holds the fence read with the hit it checks (and never stores).
          await verifier.check({ scope: ticket.scope, key: ticket.key, operationName: ticket.operationName(), expected: ticket.expected, fenceBefore: ticket.storeFence(), recomputed: body, tags });
        }
        return undefined;
      }
      if (ticket.mode === 'request') count(ticket.scope, 'misses');
      try {
        const label = { operationName: ticket.operationName() ?? '', variables: ticket.variables };
        const outcome = await store.store(ticket.scope, ticket.key, body, tags, ttl, ticket.storeFence(), label);
        if (outcome === 'stored') count(ticket.scope, 'stores');
        else if (outcome === 'stale') count(ticket.scope, 'staleSkips');
        return outcome;
      } finally {
        ticket.finished();
      }
    },
  };

  async function counted(scope: number, removed: Promise<number>, what: Invalidated): Promise<number> {
    const n = await removed;
    count(scope, 'invalidations');
    count(scope, 'invalidatedResponses', n);
    for (const listener of listeners) listener(scope, what);
    return n;
  }

  const invalidation = {
    beginWrite: (scope: number) => store.beginWrite(scope),
    releaseWrite: (intent: WriteIntent) => store.releaseWrite(intent),
    invalidate: (scope: number, tags: readonly string[], intent?: WriteIntent, committedAt?: number) =>
      counted(scope, store.invalidate(scope, tags, intent), { kind: 'tags', tags, committedAt }),
    invalidateType: (scope: number, typename: string) => counted(scope, store.invalidateType(scope, typename), { kind: 'type', typename }),
    purge: (scope: number, intent?: WriteIntent, committedAt?: number) => counted(scope, store.purge(scope, intent), { kind: 'purge', committedAt }),
  };

  return {
    store,
    /** All scopes together (for metrics). */
    counters,
    /** One hospital's counters (for its admin's cacheStats). */
    countersFor,
    /** The hospitals this process has cached or invalidated for. */
    scopes: () => [...perScope.keys()],
    keyFor,
    /** Identical misses in flight in this process (see inflight.ts); keyed by `ticket.flightId()`. */
    inflight,
    /** Called after every delivered invalidation, with what it removed (the warmer re-warms and live changes publish from here). */
    onInvalidated: (listener: (scope: number, what: Invalidated) => void) => void listeners.push(listener),

    /** A hit's bytes (and whether to check it), or the ticket for the execution that follows. */
    lookup(caller: CacheCaller, op: OperationRequest): LookupResult | Promise<LookupResult> {
      const c = canonical(op);
      const key = keyFor(caller, op, c);
      if (key === null || c === null) return { hit: null, ticket: null };
      if (options.servable && !options.servable()) {
        onEvent('capture_bypass', 1);
        return { hit: null, ticket: null };
      }
      const scope = caller.hospitalId;
      const settle = (found: Lookup): LookupResult | Promise<LookupResult> => {
        if (found.hit) {
          count(scope, 'hits');
          return { hit: found.hit, fence: found.fence, verify: verifier.sample(), operationName: c.operationName };
        }
        const miss = (): LookupResult => ({ hit: null, ticket: new CacheTicket(scope, key, 'request', deps, found, undefined, c.computeOnce, c.variables) });
        // Answerable from another cached answer? (a filtered ward map from the whole one)
        const fromBase = !found.stale && found.fence !== null ? derived(store, scope, op, c, (base) => keyFor(caller, base)) : null;
        const settleDerived = (d: Derived | null): LookupResult => {
          if (!d) return miss(); // computed as usual, under the fence its own lookup read first
          count(scope, 'hits');
          count(scope, 'derivedHits');
          return { hit: d.hit, fence: d.fence, verify: verifier.sample(), operationName: c.operationName };
        };
        return fromBase instanceof Promise ? fromBase.then(settleDerived) : settleDerived(fromBase);
      };
      const found = store.lookup(scope, key);
      return found instanceof Promise ? found.then(settle) : settle(found);
    },

    /**
     * Before a miss (or a warm) computes: identical misses across processes compute once. The
     * first takes a short lease in the store, renewed while it computes (null); the others wait
     * for its stored answer, read through a normal lookup (so exactly as fresh as any hit), and
     * compute themselves if the lease is released without a store (a write refused it, the
     * execution failed), lapses (its holder died), or they have waited LEASE_PATIENCE_MS.
     */
    async leadOrWait(ticket: CacheTicket): Promise<StoredResponse | null> {
      if (ticket.mode === 'verify' || !ticket.computeOnce || ticket.storeFence() === null) return null;
      const giveUpAt = Date.now() + LEASE_PATIENCE_MS;
      for (let poll = 0; ; poll++) {
        const release = await store.lease(ticket.scope, ticket.key, LEASE_MS);
        if (release) {
          ticket.holdLease(release);
          return null;
        }
        await sleep(LEASE_POLL_MS[Math.min(poll, LEASE_POLL_MS.length - 1)]);
        const found = await store.lookup(ticket.scope, ticket.key);
        if (found.hit) {
          if (ticket.mode === 'request') count(ticket.scope, 'hits');
          count(ticket.scope, 'leaseHits');
          return found.hit;
        }
        if (Date.now() > giveUpAt) return null;
      }
    },

    /** A refresh: no lookup (it must replace the cached answer), stored under the fence read now. */
    async openForWarm(caller: CacheCaller, op: OperationRequest): Promise<CacheTicket | string> {
      const fence = await store.fence(caller.hospitalId);
      if (fence === null) return 'the cache store is unavailable';
      const c = canonical(op);
      const key = keyFor(caller, op, c);
      if (key === null || c === null) return `${op.operationName ?? 'the operation'} is not a cacheable query`;
      return new CacheTicket(caller.hospitalId, key, 'warm', deps, { fence }, undefined, true, c.variables);
    },

    /**
     * A check of a served hit: recomputed, compared under the fence read with the hit (a later
     * one would let a write that landed after the hit pass for a stale entry), never stored.
     */
    openForVerify(caller: CacheCaller, op: OperationRequest, served: StoredResponse, fence: Fence): CacheTicket | null {
      const key = keyFor(caller, op);
      if (key === null || fence === null) return null;
      return new CacheTicket(caller.hospitalId, key, 'verify', deps, { fence }, served);
    },

    /** After every sampled hit's check (run or not): frees the one-at-a-time check slot. */
    verifyFinished: () => verifier.finished(),

    /** The envelop plugin that stores misses (run inside Apollo by src/graphql/executor.ts). */
    plugin() {
      return useResponseCache<{ cache?: CacheTicket | null }>({
        session: (ctx) => (ctx.cache ? String(ctx.cache.scope) : null),
        enabled: (ctx) => ctx.cache?.isCacheable() === true,
        cache: (ctx) => (ctx.cache as CacheTicket).envelopCache(),
        buildResponseCacheKey: ({ context }) => (context as { cache?: CacheTicket | null }).cache?.key ?? '',
        ttl: settings.ttlMs,
        // Live admin data is never cached (ROOT_TAGS `uncached`).
        ttlPerSchemaCoordinate: { ...uncachedCoordinates(), ...settings.ttlPerCoordinate },
        invalidateViaMutation: false,
        includeExtensionMetadata: false,
        shouldCacheResult: ({ result }) => !result.errors?.length,
      });
    },

    /** Invalidation entry point for the admin API and the CLI. */
    invalidation,

    /** Registers the ORM subscriber that turns committed changes into invalidations. */
    subscriber: () => new CacheInvalidationSubscriber(invalidation, logger),
  };
}

export type ResponseCache = ReturnType<typeof createCache>;
