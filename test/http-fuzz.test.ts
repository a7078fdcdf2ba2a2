/**
 * Fuzzing the real HTTP endpoint of a running test gateway with fast-check: random and edited
 * GraphQL documents, random variables, JSON and raw bodies, content types, Authorization headers
 * and GET query strings. For every request:
 *
 * - never a 5xx, never a hang (each request has a 5 s timeout), and /health still answers 200
 *   after each batch (the process did not crash);
 * - the answer is JSON (or the playground's HTML for a browser GET), and every GraphQL error
 *   in it carries `extensions.code`;
 * - with a token that is certainly not valid, no data comes back (introspection aside);
 * - requests that must not write (bad or viewer tokens, mutations over GET) change no row.
 *
 * Then memory: heap after a warm-up batch vs. after ~1,500 more requests.
 *
 * Reproducible: one fixed seed (printed; FUZZ_SEED=<n> to try another), bounded numRuns.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { loadContractOperations } from '../src/contract/operations';
import { seedDatabase } from '../src/seed/seed';
import { allRows } from './support/db-state';
import {
  acceptArb,
  authArb,
  contentTypeArb,
  graphqlBodyArb,
  headerText,
  oddJsonTextArb,
  rawBodyArb,
  searchArb,
  variablesArb,
  type AuthCase,
} from './support/fuzz-arbitraries';
import { sqliteDatabase, startTestGateway, testConfig, TEST_SECRET, type TestGateway } from './support/gateway';

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_611);
const REQUEST_TIMEOUT_MS = 5_000;
/** FUZZ_VERBOSE=1: the summary also groups answers by their first error message. */
const VERBOSE = process.env.FUZZ_VERBOSE === '1';
const OPERATIONS = loadContractOperations();
const DOCS = [...OPERATIONS.values()];
const NAMES = [...OPERATIONS.keys()];
const WRITE_NAMES = NAMES.filter((n) => /^\s*mutation\b/.test(OPERATIONS.get(n) ?? ''));

// ------------------------------------------------------------------------------------ requests

interface FuzzRequest {
  method: string;
  /** Path and query string, e.g. `/graphql?query=…`. */
  target: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** What the Authorization header is known to be. */
  auth: AuthCase;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
  json?: unknown;
}

type GraphQLError = { message?: unknown; extensions?: { code?: unknown } };


function describeRequest(req: FuzzRequest): string {
  const cut = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
  const body = req.body === undefined ? '' : typeof req.body === 'string' ? cut(JSON.stringify(req.body)) : `<${req.body.length} bytes>`;
  return `${req.method} ${cut(req.target)} headers=${cut(JSON.stringify(req.headers), 400)} body=${body}`;
}

function withAuth(headers: Record<string, string | undefined>, auth: AuthCase): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...headers, authorization: auth.header })) if (v !== undefined) out[k] = v;
  return out;
}

/** Status, error codes and content types seen, for the summary printed at the end. */
const seen = new Map<string, number>();
const note = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1);

let t: TestGateway;
let requests = 0;

async function exchange(req: FuzzRequest): Promise<Answer> {
  requests += 1;
  let res: Response;
  try {
    res = await fetch(`${t.url}${req.target}`, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw new Error(`no answer (${(err as Error).name}: ${(err as Error).message}) to ${describeRequest(req)}`);
  }
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  let json: unknown;
  if (contentType.includes('json')) {
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`answer ${res.status} says JSON but is not: ${text.slice(0, 200)} — to ${describeRequest(req)}`);
    }
  }
  return { status: res.status, contentType, text, json };
}

/** The rules every answer of /graphql follows, whatever was sent. */
function verify(req: FuzzRequest, answer: Answer): GraphQLError[] {
  const fail = (why: string) => {
    throw new Error(`${why}\n  answer: ${answer.status} ${answer.contentType} ${answer.text.slice(0, 500)}\n  request: ${describeRequest(req)}`);
  };
  if (answer.status >= 500) fail('5xx answer');
  if (answer.json === undefined) {
    // Node's HTTP parser itself refuses a URL or headers over 16 KB (431/414/400, empty body)
    // before any route runs; a browser's GET gets the playground page.
    const httpLayer = answer.contentType === '' && answer.text === '' && [400, 413, 414, 431].includes(answer.status);
    const playground = req.method === 'GET' && answer.contentType.startsWith('text/html') && answer.status === 200;
    if (!playground && !httpLayer) fail('answer is neither JSON nor the playground page');
    note(`${req.method} ${answer.status} ${playground ? 'playground html' : '(refused by the HTTP parser)'}`);
    return [];
  }
  const body = answer.json as { data?: unknown; errors?: unknown };
  const errors = body && typeof body === 'object' && 'errors' in body ? body.errors : undefined;
  if (errors !== undefined) {
    if (!Array.isArray(errors) || errors.length === 0) fail('`errors` is not a non-empty list');
    for (const e of errors as GraphQLError[]) {
      if (typeof e?.extensions?.code !== 'string') fail('a GraphQL error without extensions.code');
    }
  } else if (!body || typeof body !== 'object' || !('data' in body)) {
    fail('JSON answer with neither data nor errors');
  }
  if (answer.status >= 400 && errors === undefined) fail(`${answer.status} without errors`);
  for (const e of (errors ?? []) as GraphQLError[]) {
    if (e.extensions?.code === 'INTERNAL_SERVER_ERROR') fail('an internal error (a crash behind a 200/4xx)');
  }
  const codes = [...new Set(((errors ?? []) as GraphQLError[]).map((e) => String(e.extensions?.code)))].sort();
  const detail = VERBOSE && errors ? ` — ${String((errors as GraphQLError[])[0]?.message).slice(0, 70)}` : '';
  note(`${req.method} ${answer.status} ${codes.join(',') || 'data'}${detail}`);
  return (errors ?? []) as GraphQLError[];
}

/** Runs the checks of one exchange; any failure names the request and the answer. */
async function about<T>(req: FuzzRequest, answer: Answer, checks: () => T | Promise<T>): Promise<T> {
  try {
    return await checks();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (why.includes('\n  request: ')) throw err;
    throw new Error(`${why}\n  answer: ${answer.status} ${answer.contentType} ${answer.text.slice(0, 500)}\n  request: ${describeRequest(req)}`);
  }
}

/** With a token that is certainly invalid, no data at all (introspection fields aside). */
function verifyNoDataWithoutToken(req: FuzzRequest, answer: Answer, document: string): void {
  if (req.auth.valid !== false || document.includes('__')) return;
  const data = (answer.json as { data?: unknown } | undefined)?.data;
  if (data && typeof data === 'object' && Object.values(data).some((v) => v !== null)) {
    throw new Error(`data answered to an invalid token: ${answer.text.slice(0, 300)}\n  request: ${describeRequest(req)}`);
  }
}

async function expectHealthy(): Promise<void> {
  const res = await fetch(`${t.url}/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  expect(res.status).toBe(200);
}

const rowsDigest = async (): Promise<string> => createHash('sha256').update(JSON.stringify(await allRows(t.gateway.orm))).digest('hex');

// ------------------------------------------------------------------------------------ arbitraries

let validTokens: string[] = [];
let badlySigned: string[] = [];
let writeIds: Record<string, unknown> = {};

const auth = () => authArb(validTokens, badlySigned);

function postRequest(body: string | Uint8Array, auth: AuthCase, contentType: string | undefined, extra: Record<string, string | undefined> = {}): FuzzRequest {
  return { method: 'POST', target: '/graphql', body, auth, headers: withAuth({ 'content-type': contentType, ...extra }, auth) };
}

/** Mostly what clients send; sometimes anything (a 406 from Apollo ends those requests early). */
const postAccept = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(undefined, 'application/json', '*/*', 'application/graphql-response+json, application/json;q=0.9') },
  { weight: 1, arbitrary: acceptArb },
);

const extraHeaders = fc.record(
  { 'x-request-id': headerText(80), accept: postAccept, 'apollo-require-preflight': fc.constantFrom('true', ''), 'x-apollo-operation-name': headerText(20) },
  { requiredKeys: [] },
);

/** A POST of a GraphQL-shaped JSON body. */
const graphqlPost = () =>
  fc.tuple(graphqlBodyArb(DOCS, NAMES), auth(), fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/graphql-response+json'), extraHeaders).map(
    ([body, a, type, extra]) => ({ req: postRequest(JSON.stringify(body), a, type, extra), document: typeof body.query === 'string' ? body.query : '' }),
  );

/** A POST of any JSON text that is not a request object. */
const oddJsonPost = () => fc.tuple(oddJsonTextArb(DOCS, NAMES), auth()).map(([body, a]) => ({ req: postRequest(body, a, 'application/json'), document: body }));

/** A POST of raw bytes under any content type. */
const rawPost = () => fc.tuple(rawBodyArb(DOCS, NAMES), contentTypeArb, auth()).map(([body, type, a]) => ({ req: postRequest(body, a, type), document: String(body) }));

/** A GET with a fuzzed query string. */
const getRequest = () =>
  fc.tuple(searchArb(DOCS, NAMES), auth(), acceptArb, extraHeaders).map(([search, a, accept, extra]) => ({
    req: { method: 'GET', target: `/graphql${search}`, auth: a, headers: withAuth({ ...extra, accept }, a) } as FuzzRequest,
    document: decodeURIComponentSafe(search),
  }));

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** One request of any kind (for the memory batches). */
const anyRequest = () =>
  fc.oneof({ weight: 4, arbitrary: graphqlPost() }, { weight: 1, arbitrary: oddJsonPost() }, { weight: 1, arbitrary: rawPost() }, { weight: 2, arbitrary: getRequest() });

// ------------------------------------------------------------------------------------ suite

const gc: (() => void) | null = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
})();

const heapMb = (): number => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

/**
 * A failure reported in a few lines: the request as `describeRequest` tells it (fast-check's own
 * report would print the whole counterexample, megabytes for the huge documents) and how to
 * replay it. No shrinking (endOnFailure): the runs stay bounded in time.
 */
function compactReport<Ts>(offset: number): fc.Plugin<Ts> {
  return () => ({
    onAllRunsComplete: (d) => {
      if (!d.failed) return;
      const cause = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance);
      throw new Error(
        `property failed on run ${d.numRuns} (FUZZ_SEED=${SEED}, property seed ${SEED + offset}, path "${d.counterexamplePath}")\n${cause.slice(0, 4_000)}`,
      );
    },
  });
}

function runOptions<Ts>(offset: number, numRuns: number): fc.Parameters<Ts> {
  return { seed: SEED + offset, numRuns, endOnFailure: true, plugins: [compactReport<Ts>(offset)] };
}

describe(`HTTP fuzz of /graphql (fast-check seed ${SEED}; FUZZ_SEED=<n> to change)`, () => {
  beforeAll(async () => {
    // eslint-disable-next-line no-console
    console.log(`http-fuzz: fast-check seed ${SEED} (reproduce with FUZZ_SEED=${SEED}); gc ${gc ? 'available' : 'not available'}`);
    t = await startTestGateway(testConfig(sqliteDatabase()));
    await seedDatabase(t.gateway.orm, { hospitals: 2, wards: 3, patients: 80, events: 2, seed: 3, now: new Date() });
    validTokens = await Promise.all([t.token('viewer', '1'), t.token('clinician', '1'), t.token('admin', '1'), t.token('viewer', '2'), t.token('admin', '2')]);
    const key = new TextEncoder().encode(TEST_SECRET);
    badlySigned = await Promise.all([
      // expired, HS512 with the right secret, the right secret but no role/hospital, wrong secret
      new SignJWT({ hospitalId: '1', role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(key),
      new SignJWT({ hospitalId: '1', role: 'admin' }).setProtectedHeader({ alg: 'HS512' }).setSubject('u').setExpirationTime('1h').sign(key),
      new SignJWT({ hospitalId: 'abc', role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setExpirationTime('1h').sign(key),
      new SignJWT({ hospitalId: '1', role: 'superuser' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setExpirationTime('1h').sign(key),
      new SignJWT({ hospitalId: '1', role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key),
      new SignJWT({ hospitalId: '1', role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setNotBefore(Math.floor(Date.now() / 1000) + 3600).sign(key),
      new SignJWT({ hospitalId: '1', role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').sign(new TextEncoder().encode('another-secret-another-secret-another')),
    ]);
    const row = async (sql: string) => (await t.gateway.orm.em.fork().getConnection().execute<Array<Record<string, unknown>>>(sql, [], 'all'))[0] ?? {};
    const admission = await row('select id, ward_id from admission where hospital_id = 1 and discharged_at is null order by id limit 1');
    const patient = await row('select id from patient where hospital_id = 1 order by id limit 1');
    const tag = await row('select id from tag where hospital_id = 1 order by id limit 1');
    writeIds = { admissionId: String(admission.id), wardId: String(admission.ward_id), patientId: String(patient.id), tagId: String(tag.id) };
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    const lines = [...seen.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${String(n).padStart(5)}  ${k}`);
    // eslint-disable-next-line no-console
    console.log(`http-fuzz: ${requests} requests (seed ${SEED}); answers by method, status and error codes:\n${lines.join('\n')}`);
  });

  it('POST GraphQL-shaped bodies: random / edited / deep / aliased / huge documents × random variables × random tokens', async () => {
    await fc.assert(
      fc.asyncProperty(graphqlPost(), async ({ req, document }) => {
        const answer = await exchange(req);
        verify(req, answer);
        verifyNoDataWithoutToken(req, answer, document);
      }),
      runOptions(1, 700),
    );
    await expectHealthy();
  });

  it('POST any JSON value as the body: arrays (batches), numbers, null, strings, deep nests', async () => {
    await fc.assert(
      fc.asyncProperty(oddJsonPost(), async ({ req, document }) => {
        const answer = await exchange(req);
        verify(req, answer);
        verifyNoDataWithoutToken(req, answer, document);
      }),
      runOptions(2, 200),
    );
    await expectHealthy();
  });

  it('POST raw bodies (invalid JSON, random bytes, truncations, BOM, empty) under any content type', async () => {
    await fc.assert(
      fc.asyncProperty(rawPost(), async ({ req }) => {
        verify(req, await exchange(req));
      }),
      runOptions(3, 250),
    );
    await expectHealthy();
  });

  it('GET with fuzzed query strings (documents, variables, operation names, extensions, bad escapes) and accept headers', async () => {
    await fc.assert(
      fc.asyncProperty(getRequest(), async ({ req, document }) => {
        const answer = await exchange(req);
        verify(req, answer);
        verifyNoDataWithoutToken(req, answer, document);
      }),
      runOptions(4, 400),
    );
    await expectHealthy();
  });

  it('Authorization header fuzz on a real operation: only the gateway’s own tokens get data', async () => {
    // Reads only: subscriptions run on /graphql/stream (test/live-changes.test.ts fuzzes nothing
    // there, but covers its refused tokens); /graphql refuses them before looking at the token.
    const readNames = NAMES.filter((n) => !WRITE_NAMES.includes(n) && !/^\s*subscription\b/.test(OPERATIONS.get(n) ?? ''));
    await fc.assert(
      fc.asyncProperty(auth(), fc.constantFrom(...readNames), fc.boolean(), async (a, name, overGet) => {
        const query = OPERATIONS.get(name) ?? '';
        const variables = name === 'Patient' ? { id: writeIds.patientId } : {};
        const req: FuzzRequest = overGet
          ? {
              method: 'GET',
              target: `/graphql?${new URLSearchParams({ query, variables: JSON.stringify(variables) }).toString()}`,
              auth: a,
              headers: withAuth({}, a),
            }
          : postRequest(JSON.stringify({ query, variables, operationName: name }), a, 'application/json');
        const answer = await exchange(req);
        await about(req, answer, () => {
          const errors = verify(req, answer);
          if (a.valid === false) {
            verifyNoDataWithoutToken(req, answer, query);
            expect(errors.map((e) => e.extensions?.code)).toContain('UNAUTHENTICATED');
          }
          if (a.valid === true) expect(answer.status).toBe(200);
        });
      }),
      runOptions(5, 300),
    );
    await expectHealthy();
  });

  it('requests that may not write change no row: writes with bad or viewer tokens, and any mutation over GET', async () => {
    const viewerToken = validTokens[0] as string;
    const writers = [validTokens[1], validTokens[2]] as string[];
    // Plausible variables (real ids of hospital 1) or garbage, for each write of the contract.
    const plausible: Record<string, Record<string, unknown>> = {
      RegisterPatient: { input: { name: 'Fuzz Patient', status: 'OUTPATIENT' } },
      AdmitPatient: { input: { patientId: writeIds.patientId, wardId: writeIds.wardId, bed: 'Bed F1' } },
      TransferPatient: { admissionId: writeIds.admissionId, wardId: writeIds.wardId, bed: 'Bed F2' },
      DischargePatient: { admissionId: writeIds.admissionId },
      TagPatient: { patientId: writeIds.patientId, tagId: writeIds.tagId },
      UntagPatient: { patientId: writeIds.patientId, tagId: writeIds.tagId },
      RecordEvent: { input: { patientId: writeIds.patientId, kind: 'note' } },
      WarmCache: { targets: null },
      InvalidateCache: { entities: [{ typename: 'Patient' }] },
    };
    const caseArb = fc.tuple(
      fc.constantFrom(...WRITE_NAMES),
      fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: variablesArb }),
      fc.oneof(
        // POST with a token that may not write rows: none, invalid, or a viewer's.
        fc.tuple(fc.constant('POST' as const), fc.oneof(auth().filter((a) => a.valid === false), fc.constant<AuthCase>({ header: `Bearer ${viewerToken}`, valid: true }))),
        // GET with any token, writers included: mutations never run over GET.
        fc.tuple(fc.constant('GET' as const), fc.oneof(auth(), fc.constantFrom(...writers).map((w): AuthCase => ({ header: `Bearer ${w}`, valid: true })))),
      ),
      fc.constantFrom('as is', 'comment first', 'with a query first'),
    );
    const before = await rowsDigest();
    await fc.assert(
      fc.asyncProperty(caseArb, async ([name, garbageVars, [method, a], shape]) => {
        const op = OPERATIONS.get(name) ?? '';
        const document =
          shape === 'as is' ? op : shape === 'comment first' ? `# a comment\n${op}` : `query First { __typename }\n${op}`;
        const variables = garbageVars ?? plausible[name] ?? {};
        const req: FuzzRequest =
          method === 'GET'
            ? {
                method,
                target: `/graphql?${new URLSearchParams({ query: document, variables: JSON.stringify(variables) ?? '', operationName: name }).toString()}`,
                auth: a,
                headers: withAuth({}, a),
              }
            : postRequest(JSON.stringify({ query: document, variables, operationName: name }), a, 'application/json');
        const answer = await exchange(req);
        await about(req, answer, async () => {
          const errors = verify(req, answer);
          // Refused: GraphQL errors, or the HTTP layer's own 4xx (a URL over 16 KB).
          expect(errors.length > 0 || (answer.status >= 400 && answer.text === '')).toBe(true);
          const data = (answer.json as { data?: Record<string, unknown> | null } | undefined)?.data;
          if (data) expect(Object.values(data).every((v) => v === null)).toBe(true);
          expect(await rowsDigest()).toBe(before);
        });
      }),
      runOptions(6, 150),
    );
    await expectHealthy();
  });

  it('memory stays flat: heap after a warm-up batch vs. after 1,500 more mixed requests', async () => {
    const batch = async (offset: number, n: number) => {
      const items = fc.sample(anyRequest(), { seed: SEED + offset, numRuns: n });
      for (let i = 0; i < items.length; i += 8) {
        const chunk = items.slice(i, i + 8);
        await Promise.all(chunk.map(async ({ req }) => verify(req, await exchange(req))));
      }
    };
    // The response store keeps distinct answers by design (bounded: 256 MiB, TTL); its bytes are
    // reported and left out of the growth, which is then what anything else keeps.
    const storeMb = async () => ((await t.gateway.cache.store.memoryBytes()) ?? 0) / 1024 / 1024;
    await batch(100, 300);
    await expectHealthy();
    const warm = { heap: heapMb(), store: await storeMb() };
    const samples: Array<{ heap: number; store: number }> = [];
    for (let b = 1; b <= 3; b += 1) {
      await batch(100 + b, 500);
      await expectHealthy();
      samples.push({ heap: heapMb(), store: await storeMb() });
    }
    const fmt = (x: { heap: number; store: number }) => `${x.heap.toFixed(1)} (store ${x.store.toFixed(1)})`;
    // eslint-disable-next-line no-console
    console.log(`http-fuzz memory: heapUsed MB after warm-up ${fmt(warm)}, after each later batch ${samples.map(fmt).join(' / ')} (gc ${gc ? 'forced' : 'not forced'})`);
    const growth = Math.max(...samples.map((x) => x.heap - x.store)) - (warm.heap - warm.store);
    expect(growth).toBeLessThan(50);
  });
});

describe('HTTP edge cases outside fetch’s reach (raw node:http)', () => {
  let g: TestGateway;
  let viewer: string;
  beforeAll(async () => {
    g = await startTestGateway(testConfig(sqliteDatabase()));
    viewer = await g.token('viewer', '1');
  }, 60_000);
  afterAll(() => g?.close());

  /** A raw request: explicit headers, a body written in chunks, optionally never finished. */
  function raw(opts: { method: string; path?: string; headers: Record<string, string | number>; chunks?: Array<string | Buffer>; abortAfterMs?: number }): Promise<{ status: number; text: string } | 'aborted'> {
    const url = new URL(g.url);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, method: opts.method, path: opts.path ?? '/graphql', headers: opts.headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
      req.on('error', (err) => (opts.abortAfterMs !== undefined ? resolve('aborted') : reject(err)));
      for (const c of opts.chunks ?? []) req.write(c);
      if (opts.abortAfterMs !== undefined) setTimeout(() => req.destroy(), opts.abortAfterMs);
      else req.end();
    });
  }

  const health = async () => expect((await fetch(`${g.url}/health`)).status).toBe(200);
  const codeOf = (text: string): unknown => (JSON.parse(text) as { errors?: GraphQLError[] }).errors?.[0]?.extensions?.code;

  it('a declared body over 1 MB is a 413 with a code, before it is read', async () => {
    const res = await raw({ method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 5 * 1024 * 1024 }, chunks: ['{"query":"'], abortAfterMs: 1_000 });
    if (res !== 'aborted') {
      expect(res.status).toBe(413);
      expect(codeOf(res.text)).toBe('BAD_REQUEST');
    }
    await health();
  });

  it('a chunked body that grows past 1 MB is a 413 with a code', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const res = await raw({ method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', authorization: `Bearer ${viewer}` }, chunks: Array.from({ length: 20 }, () => chunk) });
    expect(res).not.toBe('aborted');
    if (res !== 'aborted') {
      expect(res.status).toBe(413);
      expect(codeOf(res.text)).toBe('BAD_REQUEST');
    }
    await health();
  });

  it('a client that promises more body than it sends and hangs up leaves the server answering', async () => {
    for (let i = 0; i < 20; i += 1) {
      await raw({ method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 1000 }, chunks: ['{"query":"{ dashboardStats'], abortAfterMs: 20 });
    }
    await health();
    const res = await fetch(`${g.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` }, body: JSON.stringify({ query: '{ dashboardStats { totalPatients } }' }) });
    expect(res.status).toBe(200);
  });

  it.each([['PUT'], ['DELETE'], ['PATCH'], ['OPTIONS'], ['HEAD'], ['TRACE'], ['PROPFIND']])('%s /graphql is a 4xx, not a 5xx', async (method) => {
    const res = await raw({ method, headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` }, chunks: method === 'HEAD' || method === 'TRACE' ? [] : ['{"query":"{ __typename }"}'] });
    expect(res).not.toBe('aborted');
    if (res !== 'aborted') {
      expect(res.status).toBeLessThan(500);
      if (res.text) expect(typeof codeOf(res.text)).toBe('string');
    }
    await health();
  });

  /** Bytes straight onto a socket; resolves with whatever came back before the server closed (or 2 s passed). */
  function socket(bytes: string): Promise<string> {
    const url = new URL(g.url);
    return new Promise((resolve) => {
      let text = '';
      const s = connect(Number(url.port), url.hostname, () => s.end(bytes));
      s.setEncoding('latin1');
      s.on('data', (c: string) => (text += c));
      s.on('close', () => resolve(text));
      s.on('error', () => resolve(text));
      setTimeout(() => s.destroy(), 2_000).unref();
    });
  }

  it.each([
    ['a non-numeric content-length', 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}'],
    ['two different content-lengths', 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}'],
    ['a bad chunk size', 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
    ['a request line of garbage', 'GARBAGE\r\n\r\n'],
    ['a header without a colon', 'GET /graphql HTTP/1.1\r\nHost: x\r\nAuthorization Bearer x\r\n\r\n'],
    ['a NUL in a header value', 'GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\u0000b\r\n\r\n'],
    ['an absolute-form target', 'GET http://evil.example/graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a target that is only a query string', 'GET ?query=%7B__typename%7D HTTP/1.1\r\nHost: x\r\n\r\n'],
  ])('%s: no 5xx, and the server keeps answering', async (_label, bytes) => {
    const answer = await socket(bytes);
    const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
    if (status) expect(Number(status)).toBeLessThan(500);
    await health();
  });

  it('without a token, cyclic fragments are a validation error (400, GRAPHQL_VALIDATION_FAILED)', async () => {
    const res = await fetch(`${g.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query { ...A } fragment A on Query { ...A }' }) });
    expect(res.status).toBe(400);
    expect(codeOf(await res.text())).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  // Regression: the cache's fast path once recursed forever on a fragment cycle (a 500).
  it('with a valid token, cyclic fragments are a validation error too, not a 500', async () => {
    for (const query of ['query { ...A } fragment A on Query { ...A }', 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }']) {
      const res = await fetch(`${g.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` }, body: JSON.stringify({ query }) });
      const text = await res.text();
      expect({ status: res.status, code: codeOf(text) }).toEqual({ status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
    }
  });

  // Regression: the canonicalizer once remembered documents of any size (memory exhaustion).
  it('distinct large documents sent with a valid token do not stay in memory', async () => {
    const send = (i: number) =>
      fetch(`${g.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
        body: JSON.stringify({ query: `{ x${i} ${'y'.repeat(250_000)}` }),
      }).then((r) => r.text());
    for (let i = 0; i < 20; i += 1) await send(-i - 1);
    const before = heapMb();
    for (let i = 0; i < 400; i += 4) await Promise.all([send(i), send(i + 1), send(i + 2), send(i + 3)]);
    const growth = heapMb() - before;
    expect(growth).toBeLessThan(50);
  });
});
