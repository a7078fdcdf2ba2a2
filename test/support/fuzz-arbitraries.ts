/**
 * fast-check arbitraries for the HTTP fuzz suite (test/http-fuzz.test.ts): GraphQL documents
 * (random text, edited contract operations, deep nesting, many aliases, huge strings, fragment
 * graphs), variables, JSON and raw bodies, content types, Authorization headers and GET query
 * strings. Every arbitrary yields plain data; the suite turns it into requests.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';

// ------------------------------------------------------------------------------- text helpers

/** Characters every HTTP client may put in a header value (visible ASCII and space). */
const headerChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
export const headerText = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: headerChar, maxLength });

const b64url = (text: string | Buffer): string => Buffer.from(text).toString('base64url');

// ------------------------------------------------------------------------------- documents

type Edit =
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'duplicate'; at: number; len: number; times: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'swap'; at: number };

const SNIPPETS = [
  '{', '}', '(', ')', '[', ']', '$', '$x', '...', '!', ':', '=', '"', '"""', '#', '\n', ',', '@skip(if: true)', '@include(if: $x)',
  'query', 'mutation', 'subscription', 'fragment', 'on', '__typename', '__schema { types { name } }', 'dashboardStats { inpatients }',
  'cacheStats { hits }', 'patient(id: "1") { id }', 'fragment F on Query { dashboardStats { totalPatients } }', '...F',
  '\u0000', '\uFEFF', '\uD800', 'é', '😀', '\\u0041', '1e999', '-0', 'null', 'true',
];

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }), times: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 8 })) }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat() }),
);

function applyEdit(doc: string, edit: Edit): string {
  const at = edit.at % (doc.length + 1);
  switch (edit.kind) {
    case 'truncate':
      return doc.slice(0, at);
    case 'delete':
      return doc.slice(0, at) + doc.slice(at + edit.len);
    case 'duplicate':
      return doc.slice(0, at) + doc.slice(at, at + edit.len).repeat(edit.times + 1) + doc.slice(at + edit.len);
    case 'insert':
      return doc.slice(0, at) + edit.text + doc.slice(at);
    case 'swap':
      return at + 1 < doc.length ? doc.slice(0, at) + doc[at + 1] + doc[at] + doc.slice(at + 2) : doc;
  }
}

/** The contract's operations with 1–6 random edits: truncations, deletions, duplications, insertions. */
export const editedOperation = (operations: readonly string[]): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(...operations), fc.array(editArb, { minLength: 1, maxLength: 6 })).map(([doc, edits]) => edits.reduce(applyEdit, doc));

/** Deep selections: nonsense fields, real fields of the schema, inline fragments, list literals. */
export const deepDocument: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 2, max: 20_000 }).map((d) => `{${'a{'.repeat(d)}b${'}'.repeat(d + 1)}`),
  // Valid against the schema at every depth: each level is a resolver and a loader call.
  fc.integer({ min: 1, max: 60 }).map((d) => `{ patient(id: "1") { ${'currentAdmission { patient { '.repeat(d)}id${' } }'.repeat(d)} } }`),
  fc.integer({ min: 2, max: 10_000 }).map((d) => `{ ${'... on Query { '.repeat(d)}dashboardStats { inpatients }${' }'.repeat(d)} }`),
  fc.integer({ min: 2, max: 20_000 }).map((d) => `{ wardMapping(filter: { wardIds: ${'['.repeat(d)}"1"${']'.repeat(d)} }) { totalWards } }`),
  fc.integer({ min: 2, max: 5_000 }).map((d) => `query ($x: ${'['.repeat(d)}ID${']'.repeat(d)}) { dashboardStats { inpatients } }`),
);

/** Many aliases: cheap fields by the thousand, resolver-backed ones by the hundred. */
export const aliasDocument: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1, max: 5_000 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`),
  fc.integer({ min: 1, max: 150 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: wardFilters { tags { id } }`).join(' ')} }`),
  fc.integer({ min: 1, max: 150 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `p${i}: patient(id: "${i + 1}") { id name tags { id } }`).join(' ')} }`),
  fc.integer({ min: 1, max: 2_000 }).map((n) => `{ ${'dashboardStats { inpatients } '.repeat(n)}}`),
);

/** Huge strings in every place a document holds text. */
export const hugeDocument: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1_000, max: 300_000 }), fc.constantFrom('literal', 'comment', 'name', 'block', 'alias', 'directive'), fc.constantFrom('x', 'é', '\\\\', ' '))
  .map(([n, where, ch]) => {
    const s = ch.repeat(n);
    switch (where) {
      case 'literal':
        return `{ patient(id: "${s}") { id } }`;
      case 'comment':
        return `# ${s}\n{ dashboardStats { inpatients } }`;
      case 'name':
        return `{ ${'n'.repeat(n)} }`;
      case 'block':
        return `{ wardMapping(filter: { search: """${s}""" }) { totalPatients } }`;
      case 'alias':
        return `{ ${'a'.repeat(n)}: dashboardStats { inpatients } }`;
      default:
        return `{ dashboardStats @${'d'.repeat(n)} { inpatients } }`;
    }
  });

/**
 * Fragment graphs: spreads only point to later fragments (or to undefined ones), so the graph
 * is acyclic. Cycles are their own test (they currently hit a known bug).
 */
export const fragmentDocument: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 12 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 30 }), fc.boolean())
  .map(([n, edges, dangling]) => {
    const spreads = Array.from({ length: n }, () => new Set<number>());
    for (const [a, b] of edges) {
      const from = a % n;
      const to = from + 1 + (b % Math.max(1, n - from));
      if (to < n) spreads[from]?.add(to);
    }
    const frags = spreads.map((set, i) => `fragment F${i} on Query { dashboardStats { inpatients } ${[...set].map((j) => `...F${j}`).join(' ')} }`);
    return `query { ...F0 ${dangling ? '...Missing' : ''} } ${frags.join(' ')}`;
  });

const TOKENS = [
  '{', '}', '(', ')', '[', ']', 'query', 'mutation', 'subscription', 'fragment', 'on', 'Query', 'Mutation', '...', '$x', ':', 'ID!', 'Int',
  'dashboardStats', 'inpatients', 'patient', 'id', 'name', 'wardMapping', 'filter', 'registerPatient', 'input', 'cacheStats', '"s"', '1', '-1',
  '1.5e3', 'true', 'null', '@include(if: $x)', '=', '!', '#c\n', '__typename', '__type(name: "Query") { name }', 'A', 'B',
];
/** Token soup: grammar-shaped text that only sometimes parses. */
export const tokenSoup: fc.Arbitrary<string> = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join(' '));

export const documentArb = (operations: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 300 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
    { weight: 5, arbitrary: editedOperation(operations) },
    { weight: 2, arbitrary: fc.constantFrom(...operations) },
    { weight: 1, arbitrary: deepDocument },
    { weight: 1, arbitrary: aliasDocument },
    { weight: 1, arbitrary: hugeDocument },
    { weight: 1, arbitrary: fragmentDocument },
    { weight: 2, arbitrary: tokenSoup },
  );

// ------------------------------------------------------------------------------- variables

const VARIABLE_NAMES = ['recentLimit', 'filter', 'id', 'input', 'admissionId', 'wardId', 'bed', 'patientId', 'tagId', 'targets', 'entities', 'x'];

/** Values that look like ids, limits, enums and inputs — of every wrong type and size too. */
const oddScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    0, -1, 1, 30, 100, 101, 2 ** 31, 2 ** 53 + 1, 1e308, -0, 0.5, '1', '01', '1e3', ' 1', '-1', '١', 'NaN', '', ' ', 'null', 'DASHBOARD', 'INPATIENT', 'OUTPATIENT',
    'Patient', 'WardMapping', '2026-01-01T00:00:00.000Z', '9999-12-31T23:59:59Z', 'not a date', '9'.repeat(40), true, false, null,
  ),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
);

const garbage: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    oddScalar,
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...VARIABLE_NAMES, 'name', 'status', 'kind', 'occurredAt', 'wardIds', 'tagIds', 'search', 'typename', '__proto__', 'constructor'), fc.string({ maxLength: 8 })), tie('value'), {
      maxKeys: 6,
    }),
  ),
})).value;

/**
 * Nested JSON (arrays or objects), as a value: kept under ~500 levels so the test's own
 * JSON.stringify and fast-check's reporter do not overflow; deeper nests are sent as text
 * (see `oddJsonTextArb`).
 */
const deepValue: fc.Arbitrary<unknown> = fc.tuple(fc.integer({ min: 10, max: 500 }), fc.boolean()).map(([depth, arrays]) => {
  let v: unknown = '1';
  for (let i = 0; i < depth; i += 1) v = arrays ? [v] : { a: v };
  return v;
});

/** Big flat values: long lists of ids, long strings. */
const bigValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 100, max: 20_000 }).map((n) => ({ wardIds: Array.from({ length: n }, (_, i) => String(i + 1)), tagIds: ['1'], search: 'a' })),
  fc.integer({ min: 100, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 10, max: 2_000 }).map((n) => Array.from({ length: n }, () => ({ typename: 'Patient', id: '1' }))),
);

/** Mostly objects (what reaches variable coercion); sometimes any JSON value at the top. */
export const variablesArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 8, arbitrary: fc.dictionary(fc.constantFrom(...VARIABLE_NAMES), fc.oneof(garbage, deepValue, bigValue), { maxKeys: 4 }) },
  { weight: 1, arbitrary: deepValue },
);

// ------------------------------------------------------------------------------- bodies

export const operationNameArb = (names: readonly string[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );

const hexHash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
export const extensionsArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.record({ persistedQuery: fc.record({ version: fc.oneof(fc.constant(1), oddScalar), sha256Hash: fc.oneof(hexHash, fc.string({ maxLength: 70 })) }, { requiredKeys: [] }) }) },
);

/** A JSON body shaped like a GraphQL request (each key optional, each of any type sometimes). */
export const graphqlBodyArb = (operations: readonly string[], names: readonly string[]): fc.Arbitrary<Record<string, unknown>> =>
  fc.record(
    {
      query: fc.oneof({ weight: 19, arbitrary: documentArb(operations) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
      variables: variablesArb,
      operationName: operationNameArb(names),
      extensions: extensionsArb,
    },
    { requiredKeys: ['query'] },
  );

/** Any JSON text that is not a GraphQL request object: arrays (batches), numbers, null, deep nests. */
export const oddJsonTextArb = (operations: readonly string[], names: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
    fc.array(graphqlBodyArb(operations, names), { maxLength: 5 }).map((v) => JSON.stringify(v)),
    fc.integer({ min: 100, max: 100_000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
    fc.integer({ min: 100, max: 50_000 }).map((d) => `${'{"query":'.repeat(d)}"{ dashboardStats { inpatients } }"${'}'.repeat(d)}`),
    // Very deep variables, as text: a list for an ID, an object for an input, the whole variables.
    fc.integer({ min: 1_000, max: 100_000 }).map((d) => `{"query":"query ($x: ID!) { patient(id: $x) { id } }","variables":{"x":${'['.repeat(d)}"1"${']'.repeat(d)}}}`),
    fc.integer({ min: 1_000, max: 50_000 }).map((d) => `{"query":"query ($f: WardMappingFilter) { wardMapping(filter: $f) { totalWards } }","variables":{"f":${'{"wardIds":'.repeat(d)}"1"${'}'.repeat(d)}}}`),
    fc.integer({ min: 1_000, max: 50_000 }).map((d) => `{"query":"{ dashboardStats { inpatients } }","variables":${'{"a":'.repeat(d)}1${'}'.repeat(d)}}`),
    fc.integer({ min: 1_000, max: 50_000 }).map((d) => `{"query":"{ dashboardStats { inpatients } }","extensions":${'{"a":'.repeat(d)}1${'}'.repeat(d)}}`),
    fc.constantFrom('null', '0', '-1', '1e999', '""', '"query"', '[]', '{}', '[{}]', 'true', '{"query":null}', '{"query":""}', '{"__proto__":{"query":"{ __typename }"}}'),
  );

export const contentTypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(
    undefined,
    '',
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/json; charset=latin1',
    'application/graphql-response+json',
    'application/graphql',
    'text/plain',
    'text/plain;charset=UTF-8',
    'multipart/form-data; boundary=xyz',
    'application/x-www-form-urlencoded',
    'application/jsonx',
    'application/json\t',
  ),
  headerText(60),
);

/** A raw body: random text or bytes, truncated or corrupted JSON, BOMs, empty. */
export const rawBodyArb = (operations: readonly string[], names: readonly string[]): fc.Arbitrary<string | Uint8Array> =>
  fc.oneof(
    fc.constant(''),
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.uint8Array({ maxLength: 2_000 }),
    fc
      .tuple(graphqlBodyArb(operations, names), fc.nat())
      .map(([body, cut]) => {
        const text = JSON.stringify(body);
        return text.slice(0, cut % (text.length + 1));
      }),
    fc.tuple(fc.constantFrom(...operations), fc.nat(), fc.nat()).map(([q, at, byte]) => {
      const bytes = Buffer.from(JSON.stringify({ query: q }));
      if (bytes.length) bytes[at % bytes.length] = byte % 256;
      return new Uint8Array(bytes);
    }),
    fc.constantFrom(...operations).map((q) => `\uFEFF${JSON.stringify({ query: q })}`),
    fc.constantFrom(...operations), // a bare document (application/graphql style)
  );

// ------------------------------------------------------------------------------- auth

export interface AuthCase {
  /** The Authorization header, or none. */
  header?: string;
  /**
   * true: exactly `Bearer <a token the gateway signed>`; false: certainly not a valid token;
   * null: a variant whose verdict the test does not presume (case, spacing).
   */
  valid: boolean | null;
}

function jwt(header: unknown, payload: unknown, signature: string): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${signature}`;
}

/**
 * Authorization headers: none, the gateway's own tokens, garbage bearer strings, JWT-looking
 * strings (alg none / None / HS512 / RS256, random claims), valid tokens with their parts
 * swapped or their payload replaced, signed with the wrong secret, expired, decorated.
 */
export function authArb(validTokens: readonly string[], badlySigned: readonly string[]): fc.Arbitrary<AuthCase> {
  const claims = fc.record(
    {
      sub: fc.oneof(fc.string({ maxLength: 10 }), fc.constant('u'), fc.integer()),
      role: fc.oneof(fc.constantFrom('viewer', 'clinician', 'admin', 'ADMIN', 'root', ''), fc.jsonValue({ maxDepth: 1 })),
      hospitalId: fc.oneof(fc.constantFrom('1', '2', '01', '0', '-1', '1 ', '99999999999'), fc.integer(), fc.jsonValue({ maxDepth: 1 })),
      exp: fc.oneof(fc.integer(), fc.constant(Math.floor(Date.now() / 1000) + 3600), fc.double()),
      nbf: fc.integer(),
    },
    { requiredKeys: [] },
  );
  const algs = fc.constantFrom('none', 'None', 'NONE', 'nOnE', 'HS256', 'HS384', 'HS512', 'RS256', 'ES256', '', 'hs256');
  const valid = fc.constantFrom(...validTokens);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant<AuthCase>({ valid: false }) },
    { weight: 3, arbitrary: valid.map((t): AuthCase => ({ header: `Bearer ${t}`, valid: true })) },
    { weight: 2, arbitrary: headerText(300).map((s): AuthCase => ({ header: `Bearer ${s}`, valid: false })) },
    { weight: 1, arbitrary: headerText(200).map((s): AuthCase => ({ header: s, valid: false })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(algs, claims, fc.oneof(fc.constant(''), fc.base64String({ maxLength: 60 }), headerText(40)))
        .map(([alg, payload, sig]): AuthCase => ({ header: `Bearer ${jwt({ alg, typ: 'JWT' }, payload, sig.replace(/[\s=]/g, ''))}`, valid: false })),
    },
    {
      // A valid token's parts in another order (or one part repeated).
      weight: 1,
      arbitrary: fc.tuple(valid, fc.constantFrom([1, 0, 2], [0, 2, 1], [2, 1, 0], [0, 0, 2], [0, 1, 1], [1, 2, 0])).map(([t, order]): AuthCase => {
        const parts = t.split('.');
        return { header: `Bearer ${order.map((i) => parts[i]).join('.')}`, valid: false };
      }),
    },
    {
      // A valid token's signature under a payload the attacker chose (admin, other hospital).
      weight: 1,
      arbitrary: fc.tuple(valid, claims).map(([t, payload]): AuthCase => {
        const [head, , sig] = t.split('.');
        return { header: `Bearer ${head}.${b64url(JSON.stringify({ ...payload, role: 'admin', hospitalId: '2' }))}.${sig}`, valid: false };
      }),
    },
    {
      // Properly HMAC-signed, but with a key that is not the gateway's (or alg confusion).
      weight: 1,
      arbitrary: fc.tuple(claims, fc.string({ minLength: 1, maxLength: 30 })).map(([payload, key]): AuthCase => {
        const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
        const body = b64url(JSON.stringify({ sub: 'x', role: 'admin', hospitalId: '1', ...payload }));
        const sig = createHmac('sha256', `wrong-${key}`).update(`${head}.${body}`).digest('base64url');
        return { header: `Bearer ${head}.${body}.${sig}`, valid: false };
      }),
    },
    { weight: 1, arbitrary: fc.constantFrom(...badlySigned).map((t): AuthCase => ({ header: `Bearer ${t}`, valid: false })) },
    {
      // A valid token with garbage around it, or in another case/spacing.
      weight: 1,
      arbitrary: fc.tuple(valid, fc.constantFrom('prefix', 'suffix', 'case', 'spaces', 'twice', 'comma', 'noscheme', 'tab')).map(([t, how]): AuthCase => {
        switch (how) {
          case 'prefix':
            return { header: `Bearer x${t}`, valid: false };
          case 'suffix':
            return { header: `Bearer ${t}x`, valid: false };
          case 'case':
            return { header: `bEaReR ${t}`, valid: null };
          case 'spaces':
            return { header: `Bearer    ${t}   `, valid: null };
          case 'twice':
            return { header: `Bearer ${t} Bearer ${t}`, valid: false };
          case 'comma':
            return { header: `Bearer ${t}, Bearer ${t}`, valid: false };
          case 'tab':
            return { header: `Bearer\t${t}`, valid: null };
          default:
            return { header: t, valid: false };
        }
      }),
    },
  );
}

// ------------------------------------------------------------------------------- GET

/** A GET query string: the usual parameters with fuzzed values, repeats, junk and bad escapes. */
export const searchArb = (operations: readonly string[], names: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .record(
          {
            query: documentArb(operations),
            variables: fc.oneof(variablesArb.map((v) => JSON.stringify(v) ?? ''), fc.string({ maxLength: 40 })),
            operationName: fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 20 })),
            extensions: fc.oneof(extensionsArb.map((v) => JSON.stringify(v) ?? ''), fc.string({ maxLength: 40 })),
            repeat: fc.constantFrom('query', 'variables', 'operationName'),
            junk: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
          },
          { requiredKeys: [] },
        )
        .map(({ repeat, junk, ...params }) => {
          const search = new URLSearchParams();
          for (const [k, v] of Object.entries(params)) if (v !== undefined) search.append(k, v);
          if (repeat && search.has(repeat)) search.append(repeat, search.get(repeat) ?? '');
          for (const [k, v] of Object.entries(junk ?? {})) search.append(k, v);
          return `?${search.toString()}`;
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.oneof(fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '%FF', '&', '=', '+', '?', '#', 'query=', 'variables=', '%7B'), headerText(10)), { maxLength: 20 })
        .map((parts) => `?${parts.join('')}`),
    },
  );

export const acceptArb: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(undefined, 'application/json', '*/*', 'text/html', 'text/html, application/json', 'application/graphql-response+json', 'multipart/mixed', 'image/png'),
  headerText(40),
);
