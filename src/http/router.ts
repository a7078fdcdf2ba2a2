import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger';
import { sendJson } from './answers';

export type Route = (req: IncomingMessage, res: ServerResponse, search: string) => Promise<void> | void;

/** Plain node:http routing: the request path is one lookup, nothing else sits in front. */
export function createHttpServer(routes: Record<string, Route>, logger: Logger): Server {
  return createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const search = q === -1 ? '' : url.slice(q);
    const route = routes[path];
    if (!route) {
      sendJson(res, 404, { error: `No route for ${path}` });
      return;
    }
    Promise.resolve(route(req, res, search)).catch((err: unknown) => {
      logger.error({ err, path }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.end();
    });
  });
}
