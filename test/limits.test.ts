import { op, seedForCache } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';

/** Bad input gets a clear 4xx or GraphQL error, never a 5xx, and is never executed. */
describe('limits on bad input', () => {
  let t: TestGateway;
  let viewer: string;
  beforeAll(async () => {
    const base = testConfig(sqliteDatabase());
    t = await startTestGateway({ ...base, limits: { ...base.limits, maxBodyBytes: 64 * 1024 } });
    await seedForCache(t);
    viewer = await t.token('viewer');
  });
  afterAll(() => t?.close());

  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${t.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${viewer}`, ...headers }, body });
  const codeOf = async (res: Response) => {
    const body = (await res.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
    return { status: res.status, code: body.errors?.[0]?.extensions?.code, message: body.errors?.[0]?.message ?? '' };
  };

  it('refuses a document nested deeper than the limit', async () => {
    const deep = `{ patient(id: "1") { currentAdmission { patient { currentAdmission { patient { currentAdmission { patient { currentAdmission { patient { currentAdmission { id } } } } } } } } } } }`;
    const r = await codeOf(await post(JSON.stringify({ query: deep })));
    expect(r).toMatchObject({ status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(r.message).toMatch(/depth/i);
  });

  it('refuses too many aliases', async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: wardFilters { updatedAt }`).join(' ');
    const r = await codeOf(await post(JSON.stringify({ query: `{ ${aliases} }` })));
    expect(r).toMatchObject({ status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(r.message).toMatch(/aliases/i);
  });

  it('refuses an operation whose estimated cost is too high, weighing lists by their limit', async () => {
    const heavy = Array.from(
      { length: 10 },
      (_, i) => `r${i}: recentPatients(limit: $n) { tags { id name color } currentAdmission { ward { id name } patient { tags { id } } } }`,
    ).join(' ');
    const query = `query Heavy($n: Int) { ${heavy} }`;
    const refused = await codeOf(await post(JSON.stringify({ query, variables: { n: 100 } })));
    expect(refused).toMatchObject({ status: 400, code: 'BAD_USER_INPUT' });
    expect(refused.message).toMatch(/cost \d+ exceeds the limit of 100000/);
    const small = await post(JSON.stringify({ query, variables: { n: 5 } }));
    expect(small.status).toBe(200);
  });

  it('serves every contract operation within the limits', async () => {
    const r = await t.gql(op('WardMapping'), {}, viewer);
    expect(r.body.errors).toBeUndefined();
  });

  it('answers 413 to a body over the size limit, without reading it all', async () => {
    const r = await post(JSON.stringify({ query: `{ wardFilters { updatedAt } }`, padding: 'x'.repeat(70 * 1024) }));
    expect(r.status).toBe(413);
  });

  it('answers 400 to malformed JSON and 415 to another content type', async () => {
    expect(await codeOf(await post('{"query": "{ wardFilters { updatedAt } }"'))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect((await post('query=x', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
  });

  it('answers 400 to a batch, an unknown operation name and variables of the wrong type', async () => {
    const batch = await post(JSON.stringify([{ query: '{ wardFilters { updatedAt } }' }, { query: '{ wardFilters { updatedAt } }' }]));
    expect(batch.status).toBe(400);
    const unknown = await codeOf(await post(JSON.stringify({ query: op('Dashboard'), operationName: 'Nope' })));
    expect(unknown.status).toBe(400);
    const wrongType = await codeOf(await post(JSON.stringify({ query: op('Dashboard'), variables: { recentLimit: 'ten' } })));
    expect(wrongType).toMatchObject({ status: 400, code: 'BAD_USER_INPUT' });
  });

  it('answers BAD_USER_INPUT, never an internal error, to more than 50 bad variable values', async () => {
    // graphql-js stops after 50 coercion errors with an error of its own (found by http-fuzz).
    const targets = Array.from({ length: 60 }, () => ({ typename: 'Patient', id: '1' }));
    const res = await post(JSON.stringify({ query: op('WarmCache'), variables: { targets } }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors).toHaveLength(51);
    expect(new Set(body.errors.map((e) => e.extensions.code))).toEqual(new Set(['BAD_USER_INPUT']));
    expect(body.errors[50].message).toBe('Too many errors processing variables, error limit reached. Execution aborted.');
  });

  it('can turn introspection off (production default)', async () => {
    const base = testConfig(sqliteDatabase());
    const prod = await startTestGateway({ ...base, limits: { ...base.limits, introspection: false } });
    try {
      const r = await prod.gql('{ __schema { queryType { name } } }', {}, await prod.token('viewer'));
      expect(r.status).toBe(400);
      expect(r.body.errors?.[0].message).toMatch(/introspection/i);
    } finally {
      await prod.close();
    }
  });
});
