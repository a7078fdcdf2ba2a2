/**
 * Trusted documents (contract: "trusted documents"): every contract operation runs by its id,
 * `sha256:<hex>` of graphql-js 16's print() of its one-definition document, over GET and POST;
 * an id and the same operation sent as text share their cached answers; unknown ids, ids beside
 * query text or another operation's name are refused; a mutation's id over GET is a 405; and
 * with TRUSTED_DOCUMENTS_ONLY nothing but ids runs. Real gateways over seeded SQLite data.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print } from 'graphql';
import { ConfigError, loadConfig } from '../src/config/config';
import { createDocumentRegistry } from '../src/contract/documents';
import { loadContractOperations, OPERATIONS_FILE } from '../src/contract/operations';
import { Patient } from '../src/modules/patient/patient.entity';
import { op, seedForCache, type CacheFixture } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type GqlResult, type TestGateway } from './support/gateway';

/** The shared contract when it is there (the acceptance checks read it), else the repo's copy. */
const SHARED_CONTRACT = join(__dirname, '..', '..', 'shared', 'contract', 'operations.graphql');
const CONTRACT_FILE = existsSync(SHARED_CONTRACT) ? SHARED_CONTRACT : OPERATIONS_FILE;

/** The ids computed from the contract's text here, without the gateway's code. */
function independentIds(file: string): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const def of parse(readFileSync(file, 'utf8')).definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION || !def.name) throw new Error(`unexpected definition in ${file}`);
    const printed = print({ kind: Kind.DOCUMENT, definitions: [def] });
    ids[def.name.value] = `sha256:${createHash('sha256').update(printed, 'utf8').digest('hex')}`;
  }
  return ids;
}

const IDS = createDocumentRegistry().ids();
const idOf = (name: string): string => {
  const id = IDS[name];
  if (!id) throw new Error(`no id for ${name}`);
  return id;
};

type Body = GqlResult['body'];
interface Answer {
  status: number;
  body: Body;
  headers: Headers;
}
const hitOf = (a: Answer) => (a.body.extensions?.cache as { hit: boolean } | undefined)?.hit;
const codeOf = (a: Answer) => a.body.errors?.[0]?.extensions?.code;

function client(t: TestGateway) {
  const auth = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  const answer = async (res: Response): Promise<Answer> => ({ status: res.status, headers: res.headers, body: (await res.json()) as Body });
  return {
    async post(payload: Record<string, unknown>, token: string | null): Promise<Answer> {
      const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(token) }, body: JSON.stringify(payload) });
      return answer(res);
    },
    async get(params: Record<string, string>, token: string | null, headers: Record<string, string> = {}): Promise<Answer> {
      const res = await fetch(`${t.url}/graphql?${new URLSearchParams(params).toString()}`, { headers: { ...auth(token), ...headers } });
      return answer(res);
    },
  };
}

describe('trusted document ids', () => {
  it('are the SHA-256 of print() of each operation alone, for every operation of the contract', () => {
    const expected = independentIds(CONTRACT_FILE);
    const served = [...loadContractOperations().keys()];
    expect(Object.keys(IDS)).toEqual(served);
    expect(Object.fromEntries(served.map((name) => [name, IDS[name]]))).toEqual(Object.fromEntries(served.map((name) => [name, expected[name]])));
    // Pinned: a change in how graphql-js prints would change every id the frontend holds.
    expect(IDS.Dashboard).toBe('sha256:a7cfe51d41367a3db35303fa13689fcb890f90f0d5f4d394fc5d295ba12fb861');
    expect(IDS.RegisterPatient).toBe('sha256:1398a7cb2d1a41fa06780e89a442ae008a21cd535216b816af35446772daa477');
  });

  it('refuses an operations file whose ids would be ambiguous or unrunnable', () => {
    expect(() => createDocumentRegistry('query A { a }\nquery A { b }')).toThrow('the operation A is defined twice');
    expect(() => createDocumentRegistry('{ a }')).toThrow('every operation needs a name');
    expect(() => createDocumentRegistry('query A { ...F }\nfragment F on Query { a }')).toThrow('A spreads the fragment F');
  });
});

describe('requests by documentId', () => {
  let t: TestGateway;
  let fx: CacheFixture;
  let viewer: string;
  let clinician: string;
  let http: ReturnType<typeof client>;
  const patients = () => t.gateway.orm.em.fork().count(Patient, {});

  beforeAll(async () => {
    t = await startTestGateway(testConfig(sqliteDatabase()));
    fx = await seedForCache(t);
    [viewer, clinician] = await Promise.all([t.token('viewer'), t.token('clinician')]);
    http = client(t);
  });
  afterAll(() => t?.close());
  beforeEach(() => t.gateway.cache.invalidation.purge(1));

  it('runs a query by id over GET and POST, sharing cached answers with the same operation sent as text', async () => {
    const text = await http.post({ query: op('Dashboard'), variables: { recentLimit: 3 } }, viewer);
    const byGet = await http.get({ documentId: idOf('Dashboard'), variables: JSON.stringify({ recentLimit: 3 }) }, viewer);
    const byPost = await http.post({ documentId: idOf('Dashboard'), variables: { recentLimit: 3 } }, viewer);
    expect([text.status, byGet.status, byPost.status]).toEqual([200, 200, 200]);
    expect([hitOf(text), hitOf(byGet), hitOf(byPost)]).toEqual([false, true, true]);
    expect((text.body.data as { recentPatients: unknown[] }).recentPatients).toHaveLength(3);
    expect(byGet.body.data).toEqual(text.body.data);
    expect(byPost.body.data).toEqual(text.body.data);

    // The other way round: the id's miss is the text's hit.
    const first = await http.post({ documentId: idOf('Dashboard'), variables: { recentLimit: 4 } }, viewer);
    const then = await http.post({ query: op('Dashboard'), variables: { recentLimit: 4 }, operationName: 'Dashboard' }, viewer);
    expect([hitOf(first), hitOf(then)]).toEqual([false, true]);
    expect(then.body.data).toEqual(first.body.data);
  });

  it('runs a query with required variables by id', async () => {
    const byId = await http.get({ documentId: idOf('Patient'), variables: JSON.stringify({ id: fx.inpatient.patientId }) }, viewer);
    const text = await http.post({ query: op('Patient'), variables: { id: fx.inpatient.patientId } }, viewer);
    expect(byId.status).toBe(200);
    expect(byId.body.errors).toBeUndefined();
    const patient = (byId.body.data as { patient: { id: string; currentAdmission: { bed: string; ward: { id: string } } } }).patient;
    expect(patient.id).toBe(fx.inpatient.patientId);
    expect(patient.currentAdmission.bed).toBe(fx.inpatient.bed);
    expect(patient.currentAdmission.ward.id).toBe(fx.inpatient.wardId);
    expect(text.body.data).toEqual(byId.body.data);
  });

  it('accepts the matching operationName beside an id, and refuses another one with a 400', async () => {
    const named = await http.get({ documentId: idOf('WardFilters'), operationName: 'WardFilters' }, viewer);
    expect(named.status).toBe(200);
    expect(named.body.errors).toBeUndefined();
    for (const wrong of [
      await http.get({ documentId: idOf('WardFilters'), operationName: 'Dashboard' }, viewer),
      await http.post({ documentId: idOf('WardFilters'), operationName: 'Dashboard' }, viewer),
    ]) {
      expect(wrong.status).toBe(400);
      expect(codeOf(wrong)).toBe('BAD_REQUEST');
      expect(wrong.body.errors?.[0].message).toBe('operationName does not match the document: its operation is WardFilters.');
      expect(wrong.body.data).toBeUndefined();
    }
  });

  it('answers an unknown id with a 400 PERSISTED_QUERY_NOT_FOUND, before and whatever the token', async () => {
    const unknown = `sha256:${'0'.repeat(64)}`;
    const answers = [
      await http.get({ documentId: unknown }, viewer),
      await http.post({ documentId: unknown, variables: {} }, viewer),
      await http.post({ documentId: idOf('Dashboard').toUpperCase() }, viewer),
      await http.get({ documentId: 'Dashboard' }, null),
    ];
    for (const a of answers) {
      expect({ status: a.status, code: codeOf(a), data: a.body.data }).toEqual({ status: 400, code: 'PERSISTED_QUERY_NOT_FOUND', data: undefined });
    }
  });

  it('refuses an id together with query text, and an id that is not a string', async () => {
    const both = [
      await http.post({ documentId: idOf('Dashboard'), query: op('Dashboard') }, viewer),
      await http.get({ documentId: idOf('Dashboard'), query: op('Dashboard') }, viewer),
    ];
    for (const a of both) {
      expect({ status: a.status, code: codeOf(a), message: a.body.errors?.[0].message }).toEqual({ status: 400, code: 'BAD_REQUEST', message: 'Send either a documentId or a query, not both.' });
    }
    const numeric = await http.post({ documentId: 42 }, viewer);
    expect({ status: numeric.status, code: codeOf(numeric) }).toEqual({ status: 400, code: 'BAD_REQUEST' });
  });

  it('still checks the token: an id without one is UNAUTHENTICATED', async () => {
    const anonymous = await http.get({ documentId: idOf('Dashboard') }, null);
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
    expect(anonymous.body.data ?? null).toBeNull();
  });

  it("refuses a mutation's id over GET with a 405 and changes nothing; over POST it runs", async () => {
    const before = await patients();
    const input = { input: { name: 'By Id Over Get', status: 'OUTPATIENT' } };
    const overGet = await http.get({ documentId: idOf('RegisterPatient'), variables: JSON.stringify(input) }, clinician);
    expect(overGet.status).toBe(405);
    expect(overGet.body.data ?? null).toBeNull();
    expect(overGet.body.errors?.[0].message).toBe('GET requests only support query operations, not mutation operations');
    expect(await patients()).toBe(before);

    const overPost = await http.post({ documentId: idOf('RegisterPatient'), variables: { input: { name: 'By Id', status: 'OUTPATIENT' } } }, clinician);
    expect(overPost.status).toBe(200);
    expect((overPost.body.data as { registerPatient: { name: string; status: string } }).registerPatient).toEqual({ id: expect.stringMatching(/^\d+$/), name: 'By Id', status: 'OUTPATIENT' });
    expect(await patients()).toBe(before + 1);
  });

  it('answers a browser GET with a documentId with JSON, not the playground', async () => {
    const res = await fetch(`${t.url}/graphql?documentId=${encodeURIComponent(idOf('WardFilters'))}`, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', authorization: `Bearer ${viewer}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await res.json()) as Body;
    expect(Object.keys(body.data ?? {})).toEqual(['wardFilters']);
  });
});

describe('TRUSTED_DOCUMENTS_ONLY', () => {
  it('is off by default, on with true (or 1, yes), and anything else stops the gateway at start', () => {
    expect(loadConfig({}).http).toEqual({ trustedDocumentsOnly: false });
    expect(loadConfig({ TRUSTED_DOCUMENTS_ONLY: 'true' }).http).toEqual({ trustedDocumentsOnly: true });
    expect(loadConfig({ TRUSTED_DOCUMENTS_ONLY: '1' }).http).toEqual({ trustedDocumentsOnly: true });
    expect(loadConfig({ TRUSTED_DOCUMENTS_ONLY: 'yes' }).http).toEqual({ trustedDocumentsOnly: true });
    expect(loadConfig({ TRUSTED_DOCUMENTS_ONLY: 'false' }).http).toEqual({ trustedDocumentsOnly: false });
    expect(() => loadConfig({ TRUSTED_DOCUMENTS_ONLY: 'sometimes' })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUSTED_DOCUMENTS_ONLY: 'sometimes' })).toThrow(/TRUSTED_DOCUMENTS_ONLY: Invalid enum value/);
  });
});

describe('TRUSTED_DOCUMENTS_ONLY=true', () => {
  let t: TestGateway;
  let viewer: string;
  let clinician: string;
  let http: ReturnType<typeof client>;
  const patients = () => t.gateway.orm.em.fork().count(Patient, {});
  /** What would move if anything ran: SQL statements, cache lookups, rows (counting them is one statement more). */
  const activity = async () => ({ sql: t.sql.count, hits: t.gateway.cache.counters.hits, misses: t.gateway.cache.counters.misses, patients: await patients() });

  beforeAll(async () => {
    t = await startTestGateway({ ...testConfig(sqliteDatabase()), http: { trustedDocumentsOnly: true } });
    await seedForCache(t);
    [viewer, clinician] = await Promise.all([t.token('viewer'), t.token('clinician')]);
    http = client(t);
  });
  afterAll(() => t?.close());

  it('refuses query text with a 400 PERSISTED_QUERY_NOT_FOUND and runs nothing', async () => {
    const before = await activity();
    const refused = [
      await http.post({ query: op('Dashboard'), variables: {} }, viewer),
      await http.get({ query: op('Dashboard') }, viewer),
      await http.post({ query: op('RegisterPatient'), variables: { input: { name: 'Untrusted', status: 'OUTPATIENT' } } }, clinician),
      await http.post({ query: '{ __typename }' }, viewer),
      await http.post({}, viewer),
      await http.get({}, viewer),
    ];
    for (const a of refused) {
      expect({ status: a.status, code: codeOf(a), data: a.body.data }).toEqual({ status: 400, code: 'PERSISTED_QUERY_NOT_FOUND', data: undefined });
      expect(a.headers.get('cache-control')).toBe('no-store');
    }
    expect(refused[0].body.errors?.[0].message).toBe('This gateway runs trusted documents only: send a documentId instead of query text.');
    expect(await activity()).toEqual({ ...before, sql: before.sql + 1 });
  });

  it('still runs ids, queries and mutations alike', async () => {
    const byGet = await http.get({ documentId: idOf('Dashboard'), variables: JSON.stringify({ recentLimit: 2 }) }, viewer);
    const byPost = await http.post({ documentId: idOf('Dashboard'), variables: { recentLimit: 2 } }, viewer);
    expect([byGet.status, byPost.status, hitOf(byGet), hitOf(byPost)]).toEqual([200, 200, false, true]);
    expect((byGet.body.data as { recentPatients: unknown[] }).recentPatients).toHaveLength(2);
    expect(byPost.body.data).toEqual(byGet.body.data);

    const before = await patients();
    const written = await http.post({ documentId: idOf('RegisterPatient'), variables: { input: { name: 'Trusted', status: 'INPATIENT' } } }, clinician);
    expect((written.body.data as { registerPatient: { name: string } }).registerPatient.name).toBe('Trusted');
    expect(await patients()).toBe(before + 1);
  });
});
