/**
 * HTTP caching (contract: "HTTP caching"): every successful query answer carries an ETag of its
 * data (a miss and the hits of the answer it stored share it) and `Cache-Control: private,
 * no-cache`; a GET naming the current ETag in If-None-Match gets a 304 without a body; after a
 * write the old ETag gets the new data; mutations and errors are `no-store`. On the in-process
 * and the Redis store, through real gateways over seeded SQLite data.
 */
import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../src/config/config';
import { createDocumentRegistry } from '../src/contract/documents';
import { op, seedForCache, type CacheFixture } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type GqlResult, type TestGateway } from './support/gateway';
import { describeWith, REDIS_TEST_URL } from './support/services';

type Body = GqlResult['body'];
interface Answer {
  status: number;
  etag: string | null;
  cacheControl: string | null;
  text: string;
  body: Body | null;
}

/** The ETag computed here from an answer's data alone: weak, base64url SHA-256 of `{"data":…}`. */
const etagOfData = (body: Body | null): string => `W/"${createHash('sha256').update(JSON.stringify({ data: body?.data })).digest('base64url')}"`;
const hitOf = (a: Answer) => (a.body?.extensions?.cache as { hit: boolean } | undefined)?.hit;
const codeOf = (a: Answer) => a.body?.errors?.[0]?.extensions?.code;
const IDS = createDocumentRegistry().ids();

const stores: Array<[string, (c: GatewayConfig) => GatewayConfig, jest.Describe]> = [
  ['memory store', (c) => c, describe],
  ['Redis store', (c) => ({ ...c, redisUrl: REDIS_TEST_URL }), describeWith('Redis')],
];

for (const [name, withStore, describeStore] of stores) {
  describeStore(`HTTP caching (${name})`, () => {
    let t: TestGateway;
    let fx: CacheFixture;
    let viewer: string;
    let clinician: string;

    beforeAll(async () => {
      t = await startTestGateway(withStore(testConfig(sqliteDatabase())));
      fx = await seedForCache(t);
      [viewer, clinician] = await Promise.all([t.token('viewer'), t.token('clinician')]);
    });
    afterAll(() => t?.close());
    beforeEach(() => t.gateway.cache.invalidation.purge(1));

    async function answer(res: Response): Promise<Answer> {
      const text = await res.text();
      return { status: res.status, etag: res.headers.get('etag'), cacheControl: res.headers.get('cache-control'), text, body: text ? (JSON.parse(text) as Body) : null };
    }
    const auth = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
    const post = async (payload: Record<string, unknown>, token: string | null = viewer, headers: Record<string, string> = {}) =>
      answer(await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(token), ...headers }, body: JSON.stringify(payload) }));
    const get = async (params: Record<string, string>, token: string | null = viewer, headers: Record<string, string> = {}) =>
      answer(await fetch(`${t.url}/graphql?${new URLSearchParams(params).toString()}`, { headers: { ...auth(token), ...headers } }));
    const getOp = (operation: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) =>
      get({ query: op(operation), variables: JSON.stringify(variables) }, viewer, headers);

    it('gives a miss and its hits, over POST and GET, the same ETag of the data and Cache-Control: private, no-cache', async () => {
      const reads: Array<[string, Record<string, unknown>]> = [
        ['Dashboard', {}],
        // The filtered map first: after the whole one it would be a hit derived from it (below).
        ['WardMapping', { filter: { wardIds: [fx.inpatient.wardId] } }],
        ['WardMapping', {}],
        ['WardFilters', {}],
        ['Patient', { id: fx.inpatient.patientId }],
      ];
      for (const [operation, variables] of reads) {
        const miss = await post({ query: op(operation), variables });
        const hit = await post({ query: op(operation), variables });
        const again = await getOp(operation, variables);
        const byId = await get({ documentId: IDS[operation], variables: JSON.stringify(variables) });
        const seen = [miss, hit, again, byId].map((a) => ({ status: a.status, hit: hitOf(a), etag: a.etag, cacheControl: a.cacheControl }));
        const etag = etagOfData(miss.body);
        expect({ operation, seen }).toEqual({
          operation,
          seen: [
            { status: 200, hit: false, etag, cacheControl: 'private, no-cache' },
            { status: 200, hit: true, etag, cacheControl: 'private, no-cache' },
            { status: 200, hit: true, etag, cacheControl: 'private, no-cache' },
            { status: 200, hit: true, etag, cacheControl: 'private, no-cache' },
          ],
        });
        expect(hit.body?.data).toEqual(miss.body?.data);
        expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]{43}"$/);
      }
      // A filtered map derived from the cached whole one: the ETag of the bytes it serves.
      await t.gateway.cache.invalidation.purge(1);
      await post({ query: op('WardMapping'), variables: {} });
      const derived = await getOp('WardMapping', { filter: { tagIds: [fx.tagId] } });
      expect({ status: derived.status, hit: hitOf(derived), etag: derived.etag }).toEqual({ status: 200, hit: true, etag: etagOfData(derived.body) });
    });

    it('answers a GET naming the current ETag with a 304 without a body; any other ETag, or a POST, gets the answer', async () => {
      const first = await getOp('Dashboard', { recentLimit: 5 });
      const etag = first.etag as string;
      const opaque = etag.slice(2); // the same tag in its strong form: compared weakly
      for (const ifNoneMatch of [etag, opaque, `"something-else", ${etag}`, '*']) {
        const again = await getOp('Dashboard', { recentLimit: 5 }, { 'if-none-match': ifNoneMatch });
        expect({ ifNoneMatch, status: again.status, text: again.text, etag: again.etag, cacheControl: again.cacheControl }).toEqual({ ifNoneMatch, status: 304, text: '', etag, cacheControl: 'private, no-cache' });
      }
      const other = await getOp('Dashboard', { recentLimit: 5 }, { 'if-none-match': 'W/"not-this-one"' });
      expect({ status: other.status, etag: other.etag, data: other.body?.data }).toEqual({ status: 200, etag, data: first.body?.data });
      // A 304 answers GETs only (RFC 9110 would have a POST refused with a 412): a POST gets the answer.
      const posted = await post({ query: op('Dashboard'), variables: { recentLimit: 5 } }, viewer, { 'if-none-match': etag });
      expect({ status: posted.status, etag: posted.etag, data: posted.body?.data }).toEqual({ status: 200, etag, data: first.body?.data });
    });

    it('keeps the ETag while the data does not change: a recomputed answer with the same data is a 304 too', async () => {
      const variables = { id: fx.outpatient };
      const first = await getOp('Patient', variables);
      await t.gateway.cache.invalidation.purge(1);
      const misses = t.gateway.cache.counters.misses;
      const recomputed = await getOp('Patient', variables, { 'if-none-match': first.etag as string });
      expect({ status: recomputed.status, text: recomputed.text, etag: recomputed.etag }).toEqual({ status: 304, text: '', etag: first.etag });
      expect(t.gateway.cache.counters.misses).toBe(misses + 1);
    });

    it('gives identical concurrent misses (sharing one execution) the same ETag, and a 304 to those that name it', async () => {
      const variables = { id: fx.outpatient };
      const known = await getOp('Patient', variables);
      await t.gateway.cache.invalidation.purge(1);
      const answers = await Promise.all([
        ...Array.from({ length: 4 }, () => getOp('Patient', variables, { 'if-none-match': known.etag as string })),
        ...Array.from({ length: 4 }, () => post({ query: op('Patient'), variables })),
      ]);
      expect(answers.map((a) => [a.status, a.etag])).toEqual([...Array(4).fill([304, known.etag]), ...Array(4).fill([200, known.etag])]);
      expect(answers.slice(4).map((a) => a.body?.data)).toEqual(Array(4).fill(known.body?.data));
    });

    it('after a write, gives the old ETag the new data and a new ETag, and the new ETag a 304', async () => {
      const before = await getOp('Dashboard', {});
      const total = (a: Answer) => (a.body?.data as { dashboardStats: { totalPatients: number } }).dashboardStats.totalPatients;
      const write = await post({ query: op('RegisterPatient'), variables: { input: { name: 'Etag Write', status: 'OUTPATIENT' } } }, clinician);
      expect(write.body?.errors).toBeUndefined();
      const after = await getOp('Dashboard', {}, { 'if-none-match': before.etag as string });
      expect(after.status).toBe(200);
      expect(total(after)).toBe(total(before) + 1);
      expect(after.etag).not.toBe(before.etag);
      expect(after.etag).toBe(etagOfData(after.body));
      const unchanged = await getOp('Dashboard', {}, { 'if-none-match': after.etag as string });
      expect({ status: unchanged.status, text: unchanged.text, etag: unchanged.etag }).toEqual({ status: 304, text: '', etag: after.etag });

      // An answer without a computation time (Patient): its ETag moves with the write that changes it.
      const variables = { id: fx.inpatient.patientId };
      const patient = await getOp('Patient', variables);
      const tagged = await post({ query: op('TagPatient'), variables: { patientId: fx.inpatient.patientId, tagId: fx.tagId } }, clinician);
      expect(tagged.body?.errors).toBeUndefined();
      const fresh = await getOp('Patient', variables, { 'if-none-match': patient.etag as string });
      expect(fresh.status).toBe(200);
      expect((fresh.body?.data as { patient: { tags: Array<{ id: string }> } }).patient.tags.map((tag) => tag.id)).toContain(fx.tagId);
      expect(fresh.etag).toBe(etagOfData(fresh.body));
      expect(fresh.etag).not.toBe(patient.etag);
      expect((await getOp('Patient', variables, { 'if-none-match': fresh.etag as string })).status).toBe(304);
    });

    it('marks mutations and errors no-store, without an ETag, and never answers them with a 304', async () => {
      const refusals: Array<[string, Answer, unknown]> = [
        ['mutation', await post({ query: op('RegisterPatient'), variables: { input: { name: 'No Store', status: 'OUTPATIENT' } } }, clinician), undefined],
        ['bad token, POST', await post({ query: op('Dashboard') }, 'not-a-token'), 'UNAUTHENTICATED'],
        ['bad token, GET', await get({ query: op('Dashboard') }, 'not-a-token', { 'if-none-match': '*' }), 'UNAUTHENTICATED'],
        ['no token, by id', await get({ documentId: IDS.Dashboard }, null, { 'if-none-match': '*' }), 'UNAUTHENTICATED'],
        ['invalid variables', await post({ query: op('Dashboard'), variables: { recentLimit: 0 } }), 'BAD_USER_INPUT'],
        ['too low a role', await post({ query: op('CacheStats') }), 'FORBIDDEN'],
        ['mutation over GET', await get({ query: op('RegisterPatient'), variables: '{}' }, clinician), undefined],
        ['unknown id', await get({ documentId: `sha256:${'1'.repeat(64)}` }), 'PERSISTED_QUERY_NOT_FOUND'],
      ];
      for (const [what, a, code] of refusals) {
        expect({ what, etag: a.etag, cacheControl: a.cacheControl }).toEqual({ what, etag: null, cacheControl: 'no-store' });
        expect(a.status).not.toBe(304);
        if (code) expect({ what, code: codeOf(a) }).toEqual({ what, code });
      }
      const malformed = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(viewer) }, body: '{"query":' });
      expect({ status: malformed.status, cacheControl: malformed.headers.get('cache-control') }).toEqual({ status: 400, cacheControl: 'no-store' });
    });

    it('gives an uncached query answer (the live cache statistics) an ETag and private, no-cache too', async () => {
      const admin = await t.token('admin');
      const stats = await post({ query: op('CacheStats') }, admin);
      expect(hitOf(stats)).toBe(false);
      expect({ etag: stats.etag, cacheControl: stats.cacheControl }).toEqual({ etag: etagOfData(stats.body), cacheControl: 'private, no-cache' });
    });
  });
}
