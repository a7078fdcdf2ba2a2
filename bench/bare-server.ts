/**
 * The baseline: a bare node:http server that does the least a correct cached answer needs.
 * It reads the body, verifies the bearer token through the gateway's own TokenService (same
 * code, same jose HS256 check), picks the answer by the exact request body and writes bytes
 * identical to the gateway's hit: kept in memory (BARE_STORE=memory) or read with one Redis
 * GET per request (BARE_STORE=redis). BARE_VERIFY_CACHE=0 turns the verified-token cache off.
 *
 * BARE_ROUTES names a JSON file: [{ request: <body text>, key: <redis key>, file: <answer> }].
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { createTokenService } from '../src/auth/tokens';
import { Histogram } from './lib/histogram';
import { serveIpc } from './lib/proc';

interface Route {
  request: string;
  key: string;
  file: string;
}

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const tokens = createTokenService(env('JWT_SECRET'), { verifiedCacheSize: Number(process.env.BARE_VERIFY_CACHE ?? 10_000) });
const routes = JSON.parse(readFileSync(env('BARE_ROUTES'), 'utf8')) as Route[];
const byBody = new Map(routes.map((r) => [r.request, r]));
const memory = new Map(routes.map((r) => [r.key, readFileSync(r.file)]));
const redis = env('BARE_STORE') === 'redis' ? new Redis(env('REDIS_URL'), { enableAutoPipelining: true }) : null;

/** How long each Redis GET took from call to reply: what the gateway's store timeout is up against. */
let getTimes = new Histogram();
async function timedGet(key: string): Promise<Buffer | null> {
  const started = performance.now();
  const value = await (redis as Redis).getBuffer(key);
  getTimes.record(performance.now() - started);
  return value;
}

function send(res: ServerResponse, status: number, bytes: Buffer | string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(bytes) });
  res.end(bytes);
}

async function answer(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
  const auth = await tokens.verifyHeader(req.headers.authorization);
  if (!auth.ok) return send(res, 401, '{"errors":[{"message":"unauthorized"}]}');
  const route = byBody.get(body);
  if (!route) return send(res, 404, '{"errors":[{"message":"unknown request"}]}');
  const bytes = redis ? await timedGet(route.key) : memory.get(route.key);
  if (!bytes) return send(res, 404, '{"errors":[{"message":"not stored"}]}');
  send(res, 200, bytes);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
    answer(req, res, body).catch(() => send(res, 500, '{"errors":[{"message":"failed"}]}'));
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.once('SIGTERM', () => {
    redis?.disconnect();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
  serveIpc(
    {
      redisTimes: () => {
        const out = { p50: getTimes.quantile(0.5), p99: getTimes.quantile(0.99), max: getTimes.max, count: getTimes.count };
        getTimes = new Histogram();
        return out;
      },
    },
    { url: `http://127.0.0.1:${port}` },
  );
});
