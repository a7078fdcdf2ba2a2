import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { TokenService } from '../auth/tokens';
import { LimiterRefusal, type DatabaseGate } from '../backpressure';
import { WriteReport, type CacheTicket, type Fence, type OperationRequest, type ResponseCache, type SharedAnswer, type StoredResponse } from '../cache';
import { createDocumentRegistry, type DocumentRegistry } from '../contract/documents';
import type { Principal } from '../auth/tokens';
import type { Orm } from '../db/orm';
import type { Warmer } from '../jobs/warmer';
import type { Logger } from '../observability/logger';
import { SqlCounter } from '../db/sql-counter';
import { createContext, type GraphQLContext } from '../graphql/context';
import { overloaded, sendHit, sendJson, sendShared, sharedHit, writeApolloResponse } from './answers';
import { HttpError, parseJsonBody, readBody } from './body';
import { createCompression } from './compression';
import { createEtags, matchesIfNoneMatch, NO_STORE, splitAnswer } from './conditional';
import { createOperationKinds, createOperationMemo, looksLikeMutation, operationOf } from './operation';
import { createDocumentResolver } from './trusted-documents';
import type { RequestObserver } from '../observability/request-log';

export { sendJson } from './answers';

export interface GraphQLHandlerDeps {
  apollo: ApolloServer<GraphQLContext>;
  orm: Orm;
  tokens: TokenService;
  cache: ResponseCache | null;
  /** For the admin's warmCache (see GraphQLContext.warmer). */
  warmer: Warmer | null;
  logger: Logger;
  maxBodyBytes: number;
  observe: RequestObserver;
  /** The bound on concurrent database work: executions and background checks take a slot. */
  db: DatabaseGate;
  /** TRUSTED_DOCUMENTS_ONLY: only requests naming a trusted document's id run. */
  trustedDocumentsOnly: boolean;
  /** The trusted documents (default: the contract's operations, src/contract/documents.ts). */
  documents?: DocumentRegistry;
}

function toHeaderMap(req: IncomingMessage): HeaderMap {
  const map = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) map.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return map;
}

/**
 * POST and GET /graphql, top to bottom: body (a trusted document's id becomes its text) →
 * token → cache lookup (a hit is answered here, without parsing the document) → an identical
 * miss already running? wait for its answer → a database slot (or a 503 when the bound on
 * database work is reached) → Apollo (parse, validate, execute through envelop, which stores
 * the miss) → response (src/http/answers.ts: ETag, Cache-Control, 304; compressed by
 * Accept-Encoding, src/http/compression.ts). The request id goes
 * back in `x-request-id`. A POST body seen before (same bytes and Content-Type) is not parsed
 * again for the lookup (createOperationMemo).
 */
export function createGraphQLHandler(deps: GraphQLHandlerDeps) {
  const memo = createOperationMemo();
  const kindOf = createOperationKinds();
  const etags = createEtags();
  const compression = createCompression();
  const documents = createDocumentResolver({ registry: deps.documents ?? createDocumentRegistry(), only: deps.trustedDocumentsOnly });
  /** A POST body as Apollo and the lookup read it: its documentId, if any, replaced by the text. */
  const bodyOf = (req: IncomingMessage, raw: Buffer): unknown => documents.body(parseJsonBody(req, raw));

  /**
   * The cache checks a sampled hit: the same operation, as the same caller, recomputed in the
   * background through the same pipeline, compared by the cache (never stored, never awaited).
   */
  function verifyInBackground(cache: ResponseCache, principal: Principal, op: OperationRequest, served: StoredResponse, fence: Fence, requestId: string): void {
    void (async () => {
      const ticket = cache.openForVerify(principal, op, served, fence);
      if (!ticket) return;
      // In the background share of the database slots: a check never crowds out a request.
      await deps.db.background(() =>
        deps.apollo.executeOperation(
          { query: op.query, operationName: op.operationName ?? undefined, variables: op.variables ?? undefined },
          { contextValue: createContext({ requestId: `verify-${requestId}`, em: deps.orm.em.fork() as GraphQLContext['em'], auth: { ok: true, principal }, cache: ticket }) },
        ),
      );
    })()
      .catch((err: unknown) =>
        err instanceof LimiterRefusal
          ? deps.logger.debug({ requestId, reason: err.reason }, 'cache verification skipped: the database is at capacity')
          : deps.logger.warn({ err, requestId }, 'cache verification could not run'),
      )
      .finally(() => cache.verifyFinished());
  }

  /**
   * A stored answer as a hit (or a 304): compressed when the request accepts it, waiting for the
   * answer's compressed copies only on its first hit in this process (a few ms, off the event loop).
   */
  function serveHit(req: IncomingMessage, res: ServerResponse, hit: StoredResponse, requestId: string, ifNoneMatch: string | undefined, stale = false): number | Promise<number> {
    const etag = etags.ofStored(hit.body);
    const encoded = matchesIfNoneMatch(ifNoneMatch, etag) ? null : compression.forStored(hit.body, etag, req.headers['accept-encoding']);
    if (encoded instanceof Promise) return encoded.then((ready) => sendHit(res, hit, requestId, etag, ifNoneMatch, stale, ready));
    return sendHit(res, hit, requestId, etag, ifNoneMatch, stale, encoded);
  }

  return async function handleGraphQL(req: IncomingMessage, res: ServerResponse, requestSearch: string): Promise<void> {
    const started = performance.now();
    const requestId = String(req.headers['x-request-id'] ?? '') || randomUUID();
    const elapsed = () => performance.now() - started;
    // Conditional requests are GETs' (see answers.ts).
    const ifNoneMatch = req.method === 'GET' ? req.headers['if-none-match'] : undefined;

    // 1. Body, or query string; a trusted document's id is resolved to its text here.
    let search = requestSearch;
    let raw: Buffer | undefined;
    let body: unknown;
    let memoKey: string | null = null;
    let known: OperationRequest | undefined; // this body's operation, parsed for an earlier request
    try {
      if (req.method === 'POST') {
        raw = await readBody(req, deps.maxBodyBytes);
        memoKey = deps.cache ? memo.keyOf(req.headers['content-type'], raw) : null;
        known = memoKey === null ? undefined : memo.get(memoKey);
        if (!known) body = bodyOf(req, raw);
      } else if (req.method === 'GET') {
        search = documents.search(requestSearch);
      }
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      res.setHeader('x-request-id', requestId);
      sendJson(res, err.status, { errors: [{ message: err.message, extensions: { code: err.code } }] }, { 'cache-control': NO_STORE });
      deps.observe({ requestId, operation: null, hospitalId: null, cache: 'none', ageMs: null, status: err.status, outcome: 'refused', durationMs: elapsed(), sql: null });
      return;
    }

    // 2. Token (a token verified before answers without a promise).
    const verified = deps.tokens.verifyHeader(req.headers.authorization);
    const auth = verified instanceof Promise ? await verified : verified;

    // 3. Cache lookup.
    let cache: CacheTicket | null = null;
    const op = auth.ok && deps.cache ? (known ?? operationOf(req.method, body, search)) : null;
    if (auth.ok && deps.cache && op && !looksLikeMutation(op.query)) {
      if (!known && memoKey !== null) memo.remember(memoKey, op);
      const looked = deps.cache.lookup(auth.principal, op);
      const found = looked instanceof Promise ? await looked : looked;
      if (found.hit) {
        const served = serveHit(req, res, found.hit, requestId, ifNoneMatch);
        const status = typeof served === 'number' ? served : await served;
        deps.observe({ requestId, operation: op.operationName ?? (found.operationName || null), hospitalId: auth.principal.hospitalId, cache: 'hit', ageMs: Date.now() - found.hit.storedAt, status, outcome: 'ok', durationMs: elapsed(), sql: 0 });
        if (found.verify) verifyInBackground(deps.cache, auth.principal, op, found.hit, found.fence, requestId);
        return;
      }
      cache = found.ticket; // null: not a cacheable query (Apollo will say why, if anything is wrong)
    }
    const record = {
      requestId,
      operation: op?.operationName ?? (typeof (body as { operationName?: unknown })?.operationName === 'string' ? String((body as { operationName: string }).operationName) : null),
      hospitalId: auth.ok ? auth.principal.hospitalId : null,
    };
    res.setHeader('x-request-id', requestId);

    // 4. The same miss already running here, under the same fence: share its answer.
    const inflight = deps.cache?.inflight;
    const flightId = cache?.flightId() ?? null;
    const joined = flightId && inflight ? inflight.join(flightId) : undefined;
    if (joined) {
      const shared = await joined;
      if (shared) {
        const status = sendShared(res, shared, ifNoneMatch);
        deps.observe({ ...record, cache: 'miss', ageMs: null, status, outcome: shared.status >= 400 ? 'refused' : 'ok', durationMs: elapsed(), sql: 0 });
        return;
      }
    }

    // 5. Execute through Apollo.
    if (known) body = bodyOf(req, raw as Buffer); // Apollo's own copy, never the shared one
    let ctx: GraphQLContext | undefined;
    const sql = new SqlCounter();
    const writes = new WriteReport(auth.ok ? auth.principal.hospitalId : null);
    let share: ((answer: SharedAnswer | null) => void) | undefined;
    if (flightId && inflight && !joined) inflight.lead(flightId, new Promise((resolve) => (share = resolve)));
    let release: (() => void) | undefined;
    try {
      // 5a. The same miss running in another process: wait for its stored answer (a hit).
      const computed = cache && deps.cache ? await deps.cache.leadOrWait(cache) : null;
      if (computed) {
        share?.(sharedHit(computed, etags.ofStored(computed.body)));
        const status = await serveHit(req, res, computed, requestId, ifNoneMatch);
        deps.observe({ ...record, cache: 'hit', ageMs: Date.now() - computed.storedAt, status, outcome: 'ok', durationMs: elapsed(), sql: 0 });
        return;
      }
      // 5b. A database slot (a request without a valid token reaches no resolver, so needs none):
      // writes are served first; past the short queue or its wait, a retryable 503 at once.
      if (auth.ok) {
        const write = looksLikeMutation((op ?? operationOf(req.method, body, search))?.query ?? '');
        const slot = await deps.db.enter(write ? 'write' : 'read');
        if (slot.refused) {
          const refusal = overloaded();
          sendShared(res, refusal, undefined);
          share?.(refusal);
          deps.observe({ ...record, cache: cache ? 'miss' : 'none', ageMs: null, status: refusal.status, outcome: 'refused', durationMs: elapsed(), sql: null });
          return;
        }
        release = slot.release;
      }
      const response = await deps.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers: toHeaderMap(req), search, body },
        context: async () =>
          (ctx = createContext({
            requestId,
            // The logger context reaches every transaction fork: the SQL counter and the cache's
            // report on this request's writes (src/cache/invalidation/write-report.ts).
            em: deps.orm.em.fork({ loggerContext: { sqlCounter: sql, cacheWrites: writes } }) as GraphQLContext['em'],
            auth,
            cache,
            writes,
            warmer: deps.warmer,
          })),
      });
      // Serve stale on error: the database did not answer, but an expired copy of this very
      // answer is at hand (never one a write invalidated: those are deleted).
      const staleCopy = cache?.stale();
      if (ctx?.signals.databaseUnavailable && staleCopy) {
        const status = await serveHit(req, res, staleCopy, requestId, ifNoneMatch, true);
        deps.observe({ ...record, sql: sql.count, cache: 'stale', ageMs: Date.now() - staleCopy.storedAt, status, outcome: 'ok', durationMs: elapsed() });
        return;
      }
      const status = response.status ?? 200;
      const outcome = status >= 400 ? 'refused' : ctx?.signals.errors ? 'error' : 'ok';
      // A successful query answer gets the ETag of its data (null: errors, so no-store).
      const request = op ?? operationOf(req.method, body, search);
      const query = ctx?.cache?.isCacheable() === true || (request !== null && kindOf(request) === 'query');
      const etag = status === 200 && query && response.body.kind === 'complete' ? etags.ofAnswer(response.body.string) : null;
      // Compressed too when accepted: its copies are made here, once, and serve the hits after it.
      const parts = etag && response.body.kind === 'complete' && !matchesIfNoneMatch(ifNoneMatch, etag) ? splitAnswer(response.body.string) : null;
      const encoded = etag && parts ? await compression.forAnswer(parts.prefix, etag, req.headers['accept-encoding']) : null;
      const answer = await writeApolloResponse(res, response, etag, ifNoneMatch, encoded && parts ? { encoded, suffix: parts.suffix } : null);
      share?.(outcome === 'ok' ? answer : null);
      const ext = cache?.extension();
      // A miss is an answer computed for the cache (what its counters count): an uncached query
      // (the admin's live figures) or an execution that failed is neither a hit nor a miss.
      const looked = ext?.hit ? 'hit' : cache?.stored() !== undefined ? 'miss' : 'none';
      deps.observe({ ...record, operation: record.operation ?? cache?.operationName() ?? null, sql: sql.count, cache: looked, ageMs: ext?.hit ? ext.ageMs : null, status: res.statusCode, outcome, durationMs: elapsed() });
    } finally {
      release?.(); // the database slot, however the execution ended
      share?.(null); // no-op once shared; releases the waiters if anything above failed
      cache?.finished(); // no-op once stored; frees other processes waiting for this answer
    }
  };
}
