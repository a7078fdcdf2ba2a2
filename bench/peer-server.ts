/**
 * The peer for misses: the same SDL (schema/*.graphql) served the way a typical stack without
 * an ORM or a response cache serves it. node:http, graphql-js's own parse/validate/execute
 * (documents parsed and validated once per query text, as Yoga and Mercurius do), hand-written
 * resolvers over plain SQL (bench/peer/), the bearer token verified with the gateway's
 * TokenService, the hospital taken from the token. It answers the contract's reads (Dashboard,
 * WardMapping, WardFilters, Patient); writes and cache administration are the gateway's alone.
 *
 * Env: JWT_SECRET, DATABASE_URL=file:<path> (SQLite), PORT (default 0: any free port). Speaks
 * bench/lib/proc.ts's IPC protocol: `{ type: 'ready', url }` once listening; `stats` answers
 * `{ statements }`. Started by hand, it prints its URL instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, GraphQLError, parse, validate, type DocumentNode, type ExecutionResult } from 'graphql';
import { hasRole } from '../src/auth/roles';
import { createTokenService } from '../src/auth/tokens';
import { DateTimeScalar } from '../src/graphql/scalars';
import { openDatabase } from './peer/db';
import { createLoaders, createResolvers, type PeerContext } from './peer/resolvers';
import { serveIpc } from './lib/proc';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const SCHEMA_DIR = join(__dirname, '..', 'schema');
const typeDefs = readdirSync(SCHEMA_DIR)
  .filter((f) => f.endsWith('.graphql'))
  .sort()
  .map((f) => readFileSync(join(SCHEMA_DIR, f), 'utf8'));
const db = openDatabase(env('DATABASE_URL'));
const schema = makeExecutableSchema({ typeDefs, resolvers: { DateTime: DateTimeScalar, ...createResolvers(db) } });
const tokens = createTokenService(env('JWT_SECRET'));

/** Parsed and validated documents by query text (bounded), or the errors that refused them. */
const documents = new Map<string, DocumentNode | readonly GraphQLError[]>();
function documentOf(query: string): DocumentNode | readonly GraphQLError[] {
  let doc = documents.get(query);
  if (doc) return doc;
  try {
    const parsed = parse(query);
    const errors = validate(schema, parsed);
    doc = errors.length ? errors : parsed;
  } catch (err) {
    doc = [err instanceof GraphQLError ? err : new GraphQLError(String(err))];
  }
  if (documents.size >= 1000) documents.clear();
  documents.set(query, doc);
  return doc;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function answer(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
  if (req.method !== 'POST' || req.url?.split('?')[0] !== '/graphql') return send(res, 404, { errors: [{ message: 'POST /graphql only' }] });
  const auth = await tokens.verifyHeader(req.headers.authorization);
  if (!auth.ok) return send(res, 401, { errors: [{ message: auth.reason, extensions: { code: 'UNAUTHENTICATED' } }] });
  let body: { query?: unknown; operationName?: unknown; variables?: unknown };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch {
    return send(res, 400, { errors: [{ message: 'body is not JSON' }] });
  }
  if (typeof body.query !== 'string') return send(res, 400, { errors: [{ message: 'query must be a string' }] });
  const document = documentOf(body.query);
  if (!('kind' in document)) return send(res, 400, { errors: document.map((e) => e.toJSON()) });
  const op = document.definitions.find((d) => d.kind === 'OperationDefinition' && (!body.operationName || d.name?.value === body.operationName));
  if (op && op.kind === 'OperationDefinition' && op.operation !== 'query') {
    return send(res, 400, { errors: [{ message: 'the peer serves the contract\'s reads only' }] });
  }
  if (!hasRole(auth.principal.role, 'viewer')) return send(res, 403, { errors: [{ message: 'forbidden' }] });
  const contextValue: PeerContext = { hospitalId: auth.principal.hospitalId, loaders: createLoaders(db, auth.principal.hospitalId) };
  const result = (await execute({
    schema,
    document,
    contextValue,
    variableValues: (body.variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
  })) as ExecutionResult;
  send(res, 200, result.errors ? { errors: result.errors.map((e) => e.toJSON()), data: result.data } : { data: result.data });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    answer(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
      process.stderr.write(`peer-server: ${err instanceof Error ? err.stack : String(err)}\n`);
      send(res, 500, { errors: [{ message: 'failed' }] });
    });
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.once('SIGTERM', () => {
    // A clean exit, so `--cpu-prof` writes its profile.
    server.close(() => {
      db.close();
      process.exit(0);
    });
    server.closeAllConnections();
  });
  serveIpc({ stats: () => ({ statements: db.statements }) }, { url: `http://127.0.0.1:${port}` });
  // Started by hand rather than by the bench driver: say where it listens.
  if (!process.send) process.stdout.write(`peer-server listening on http://127.0.0.1:${port}/graphql\n`);
});
