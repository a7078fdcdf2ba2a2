import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { TokenService } from '../auth/tokens';
import type { Orm } from '../db/orm';
import { createContext, type GraphQLContext } from '../graphql/context';
import { HttpError, parseJsonBody, readBody } from './body';

export interface GraphQLHandlerDeps {
  apollo: ApolloServer<GraphQLContext>;
  orm: Orm;
  tokens: TokenService;
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

/**
 * POST and GET /graphql: body → token → a forked EntityManager and loaders → Apollo.
 * The request id goes back in `x-request-id` so a client can quote it.
 */
export function createGraphQLHandler(deps: GraphQLHandlerDeps) {
  return async function handleGraphQL(req: IncomingMessage, res: ServerResponse, search: string): Promise<void> {
    const requestId = String(req.headers['x-request-id'] ?? '') || randomUUID();
    res.setHeader('x-request-id', requestId);
    let body: unknown;
    try {
      body = req.method === 'POST' ? parseJsonBody(req, await readBody(req, deps.maxBodyBytes)) : undefined;
    } catch (err) {
      if (err instanceof HttpError) {
        sendJson(res, err.status, { errors: [{ message: err.message, extensions: { code: 'BAD_REQUEST' } }] });
        return;
      }
      throw err;
    }
    const auth = await deps.tokens.verifyHeader(req.headers.authorization);
    const response = await deps.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers: toHeaderMap(req), search, body },
      context: async () => createContext({ requestId, em: deps.orm.em.fork() as GraphQLContext['em'], auth }),
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
