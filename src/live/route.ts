import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, parse, type GraphQLSchema } from 'graphql';
import { createHandler, type OperationArgs, type RequestParams, type Response as SseResponse } from 'graphql-sse';
import type { TokenService, VerifyResult } from '../auth/tokens';
import type { Orm } from '../db/orm';
import { ErrorCode } from '../errors/errors';
import { createContext, type GraphQLContext } from '../graphql/context';
import { HttpError, parseJsonBody, readBody } from '../http/body';
import type { DocumentResolver } from '../http/trusted-documents';
import type { Logger } from '../observability/logger';

/** Retry-After of a stream refused for want of room (seconds): streams are long, slots free slowly. */
export const STREAM_RETRY_AFTER_S = 5;
/** A client this far behind in reading its stream is cut off (it reconnects and refetches). */
const MAX_BUFFERED_BYTES = 256 * 1024;
const JSON_TYPE = 'application/json; charset=utf-8';

export interface StreamRouteDeps {
  schema: GraphQLSchema;
  orm: Orm;
  tokens: TokenService;
  documents: DocumentResolver;
  maxBodyBytes: number;
  /** LIVE_MAX_STREAMS: open streams of this process. */
  maxStreams: number;
  logger: Logger;
  /** A stream opened (+1) or closed (−1). */
  onStreams: (delta: number) => void;
  onRefused: (reason: 'limit' | 'unauthenticated') => void;
  /** A `next` event was written to a client. */
  onEventSent: () => void;
}

/** graphql-sse's per-request context: the verified caller, and the id the answer carries. */
interface StreamRequest {
  auth: VerifyResult & { ok: true };
  requestId: string;
}

/** The context resolvers get (graphql-sse wants a plain record type for it). */
type LiveContext = GraphQLContext & Record<PropertyKey, unknown>;

function refuse(res: ServerResponse, status: number, message: string, code: string, headers: Record<string, string> = {}): void {
  const text = JSON.stringify({ errors: [{ message, extensions: { code, ...(status === 503 ? { retryable: true } : {}) } }] });
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

const header = (req: IncomingMessage, key: string): string | undefined => {
  const value = req.headers[key];
  return Array.isArray(value) ? value.join(', ') : value;
};

const acceptsEventStream = (accept: string | undefined) =>
  (accept ?? '').split(',').some((part) => part.split(';')[0].trim().toLowerCase() === 'text/event-stream');

/**
 * `POST /graphql/stream`: the DashboardChanges subscription over Server-Sent Events, in the
 * graphql-sse protocol's distinct connections mode (one operation per request, the stream is
 * its answer). graphql-sse's own handler runs the protocol (validation errors as a `next` event,
 * `complete`, a `:` comment every 12 s that keeps proxies from closing an idle stream); this
 * route is its Node adapter, as `graphql-sse/lib/use/http` is, plus what every request of the
 * gateway gets: the bearer token (401 UNAUTHENTICATED before anything runs), the body size
 * limit, trusted documents, and a bound on open streams (503 + Retry-After past it).
 */
export function createStreamRoute(deps: StreamRouteDeps) {
  const open = new Set<ServerResponse>();
  let closing = false;

  const handler = createHandler<IncomingMessage, StreamRequest, LiveContext>({
    schema: deps.schema,
    // Distinct connections only: no reservations, no single-connection mode.
    authenticate: () => null,
    onSubscribe(req, params: RequestParams): SseResponse | OperationArgs<LiveContext> {
      let document;
      try {
        document = parse(params.query);
      } catch (err) {
        return [JSON.stringify({ errors: [{ message: (err as Error).message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] }), { status: 400, statusText: 'Bad Request', headers: { 'content-type': JSON_TYPE } }];
      }
      const op = getOperationAST(document, params.operationName);
      if (op && op.operation !== 'subscription') {
        const message = 'Queries and mutations are served at /graphql; /graphql/stream runs subscriptions (DashboardChanges)';
        return [JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }), { status: 400, statusText: 'Bad Request', headers: { 'content-type': JSON_TYPE } }];
      }
      const { auth, requestId } = req.context;
      const contextValue = createContext({ requestId, em: deps.orm.em.fork() as GraphQLContext['em'], auth, cache: null }) as LiveContext;
      return { schema: deps.schema, document, operationName: params.operationName, variableValues: params.variables, contextValue };
    },
  });

  async function run(req: IncomingMessage, res: ServerResponse, requestId: string, auth: StreamRequest['auth'], body: Record<string, unknown> | null): Promise<void> {
    const [answer, init] = await handler({
      method: 'POST',
      url: req.url ?? '/graphql/stream',
      // Checked above: graphql-sse compares these two headers literally.
      headers: { get: (key) => (key === 'accept' ? 'text/event-stream' : key === 'content-type' ? 'application/json' : header(req, key)) },
      body,
      raw: req,
      context: { auth, requestId },
    });
    const stream = answer !== null && typeof answer !== 'string';
    res.writeHead(init.status, init.statusText, { ...init.headers, 'x-request-id': requestId });
    if (!stream) {
      res.end(answer ?? undefined);
      return;
    }
    const started = Date.now();
    let events = 0;
    const stop = () => void answer.return(undefined);
    res.once('close', stop);
    open.add(res);
    try {
      for await (const chunk of answer) {
        if (!res.writable) break;
        res.write(chunk);
        if (chunk.startsWith('event: next')) {
          events += 1;
          deps.onEventSent();
        }
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          deps.logger.warn({ requestId, hospitalId: auth.principal.hospitalId }, 'live stream cut off: its client does not read it');
          res.destroy();
          break;
        }
      }
    } finally {
      res.off('close', stop);
      open.delete(res);
      if (!res.writableEnded) res.end(() => (closing ? res.socket?.end() : undefined));
      deps.logger.info({ requestId, hospitalId: auth.principal.hospitalId, events, durationMs: Date.now() - started }, 'live stream closed');
    }
  }

  let streams = 0;
  const running = new Set<Promise<void>>();
  return {
    async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const requestId = String(req.headers['x-request-id'] ?? '') || randomUUID();
      res.setHeader('x-request-id', requestId);
      if (req.method !== 'POST') return refuse(res, 405, 'Open a live stream with POST', 'METHOD_NOT_ALLOWED', { allow: 'POST' });
      if (!acceptsEventStream(req.headers.accept)) return refuse(res, 406, 'A live stream needs Accept: text/event-stream', 'NOT_ACCEPTABLE');
      // The slot is taken before anything is awaited, so concurrent opens never pass the bound.
      if (closing || streams >= deps.maxStreams) {
        deps.onRefused('limit');
        const message = closing ? 'This gateway process is shutting down; reconnect.' : `This gateway process serves at most ${deps.maxStreams} live streams; retry shortly.`;
        return refuse(res, 503, message, ErrorCode.ServiceUnavailable, { 'retry-after': String(STREAM_RETRY_AFTER_S) });
      }
      streams += 1;
      deps.onStreams(1);
      res.once('close', () => {
        streams -= 1;
        deps.onStreams(-1);
      });
      const verified = deps.tokens.verifyHeader(req.headers.authorization);
      const auth = verified instanceof Promise ? await verified : verified;
      if (!auth.ok) {
        deps.onRefused('unauthenticated');
        req.resume();
        return refuse(res, 401, auth.reason, ErrorCode.Unauthenticated, { 'www-authenticate': 'Bearer' });
      }
      let body: unknown;
      try {
        body = deps.documents.body(parseJsonBody(req, await readBody(req, deps.maxBodyBytes)));
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        return refuse(res, err.status, err.message, err.code);
      }
      if (Array.isArray(body)) return refuse(res, 400, 'One operation per request: batches are not accepted', 'BAD_REQUEST');
      const streaming = run(req, res, requestId, auth, typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : null);
      running.add(streaming);
      try {
        await streaming;
      } finally {
        running.delete(streaming);
      }
    },

    /**
     * After the hub ended every subscription (each stream then sends `complete`): waits for the
     * streams to finish, up to a second, and lets their connections go; new ones get 503.
     */
    async close(): Promise<void> {
      closing = true;
      await Promise.race([Promise.allSettled([...running]), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      for (const res of open) res.destroy();
    },
  };
}

export type StreamRoute = ReturnType<typeof createStreamRoute>;
