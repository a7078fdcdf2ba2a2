import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { TokenService } from '../auth/tokens';
import type { ResponseCache, RequestCacheScope } from '../cache/response-cache';
import type { StoredResponse } from '../cache/store';
import type { Orm } from '../db/orm';
import { createContext, type GraphQLContext } from '../graphql/context';
import { HttpError, parseJsonBody, readBody } from './body';
import { looksLikeMutation, operationOf } from './operation';

export interface GraphQLHandlerDeps {
  apollo: ApolloServer<GraphQLContext>;
  orm: Orm;
  tokens: TokenService;
  cache: ResponseCache | null;
  maxBodyBytes: number;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function toHeaderMap(req: IncomingMessage): HeaderMap {
  const map = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) map.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return map;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * A hit: the stored `{"data":…}` bytes with the cache extension spliced in before the last
 * brace, written as one writev (headers, body, suffix) without copying the body. Headers go
 * as a flat array straight to writeHead: no header object to build and merge (the suffix is
 * ASCII, so its length in bytes is its length in characters).
 */
function sendHit(res: ServerResponse, hit: StoredResponse, requestId: string): void {
  const suffix = `,"extensions":{"cache":{"hit":true,"ageMs":${Math.max(0, Date.now() - hit.storedAt)}}}}`;
  const length = hit.body.length - 1 + suffix.length;
  res.writeHead(200, ['content-type', JSON_TYPE, 'content-length', String(length), 'x-request-id', requestId]);
  res.cork();
  res.write(hit.body.subarray(0, hit.body.length - 1));
  res.end(suffix, 'latin1');
}

/**
 * POST and GET /graphql, top to bottom: body → token → cache lookup (a hit is answered here,
 * without parsing the document) → Apollo (parse, validate, execute through envelop, which
 * stores the miss) → response. The request id goes back in `x-request-id`.
 */
export function createGraphQLHandler(deps: GraphQLHandlerDeps) {
  return async function handleGraphQL(req: IncomingMessage, res: ServerResponse, search: string): Promise<void> {
    const requestId = String(req.headers['x-request-id'] ?? '') || randomUUID();
    let body: unknown;
    try {
      body = req.method === 'POST' ? parseJsonBody(req, await readBody(req, deps.maxBodyBytes)) : undefined;
    } catch (err) {
      if (err instanceof HttpError) {
        res.setHeader('x-request-id', requestId);
        sendJson(res, err.status, { errors: [{ message: err.message, extensions: { code: 'BAD_REQUEST' } }] });
        return;
      }
      throw err;
    }
    const auth = await deps.tokens.verifyHeader(req.headers.authorization);

    let cache: RequestCacheScope | null = null;
    const op = auth.ok && deps.cache ? operationOf(req.method, body, search) : null;
    if (auth.ok && deps.cache && op && !looksLikeMutation(op.query)) {
      const found = await deps.cache.lookup(auth.principal, op);
      if (found.hit) {
        sendHit(res, found.hit, requestId);
        return;
      }
      cache = found.scope; // null: not a cacheable query (Apollo will say why, if anything is wrong)
    }

    res.setHeader('x-request-id', requestId);
    const response = await deps.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers: toHeaderMap(req), search, body },
      context: async () => createContext({ requestId, em: deps.orm.em.fork() as GraphQLContext['em'], auth, cache }),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
