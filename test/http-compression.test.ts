/**
 * Compression of answers (contract: "HTTP caching"): a cached answer is compressed once and
 * served by the request's Accept-Encoding (br, gzip, q-values, `*`, identity), with
 * Content-Encoding and `Vary: Accept-Encoding`, the same weak ETag for every encoding, 304s
 * under any encoding, small answers plain, and read-your-writes kept. Raw bytes over node:http
 * (fetch would decompress), decompressed here with node:zlib. On the in-process store, on Redis
 * with its local tier, and on Redis without it (every hit a fresh Buffer).
 */
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { GatewayConfig } from '../src/config/config';
import { acceptedCodings, createCompression, MIN_COMPRESS_BYTES } from '../src/http/compression';
import { op, seedForCache, type CacheFixture } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';
import { describeWith, REDIS_TEST_URL } from './support/services';

interface Raw {
  status: number;
  encoding: string | null;
  vary: string | null;
  etag: string | null;
  length: number | null;
  /** The bytes on the wire. */
  wire: Buffer;
  /** The body after undoing Content-Encoding. */
  text: string;
}

function decode(encoding: string | null, wire: Buffer): Buffer {
  if (encoding === 'gzip') return gunzipSync(wire);
  if (encoding === 'br') return brotliDecompressSync(wire);
  if (encoding === null) return wire;
  throw new Error(`unexpected Content-Encoding ${encoding}`);
}

/** One request over node:http: the raw bytes and headers, no decompression on the way. */
function raw(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const wire = Buffer.concat(chunks);
        const header = (name: string) => (res.headers[name] === undefined ? null : String(res.headers[name]));
        const encoding = header('content-encoding');
        const length = header('content-length');
        resolve({ status: res.statusCode ?? 0, encoding, vary: header('vary'), etag: header('etag'), length: length === null ? null : Number(length), wire, text: decode(encoding, wire).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `ageMs` is the only part of two hits of one answer that may differ. */
const sameButAge = (text: string) => text.replace(/"ageMs":\d+/, '"ageMs":0');
const cacheOf = (a: Raw) => (JSON.parse(a.text) as { extensions?: { cache?: { hit: boolean } } }).extensions?.cache?.hit;

describe('Accept-Encoding negotiation (acceptedCodings)', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ['', []],
    ['identity', []],
    ['br', ['br']],
    ['gzip', ['gzip']],
    ['x-gzip', ['gzip']],
    ['GZIP, BR', ['br', 'gzip']],
    ['gzip, deflate, br, zstd', ['br', 'gzip']],
    ['br;q=0.5, gzip', ['gzip', 'br']],
    ['gzip;q=0.8, br;q=0.9', ['br', 'gzip']],
    ['gzip ; q=0.7 , br ; q=0.7', ['br', 'gzip']],
    ['br;q=0, gzip', ['gzip']],
    ['gzip;q=0', []],
    ['*', ['br', 'gzip']],
    ['*;q=0.5, gzip', ['gzip', 'br']],
    ['*, br;q=0', ['gzip']],
    ['deflate, zstd', []],
    ['br;q=high, gzip', ['gzip']],
  ])('%p → %p', (header, expected) => {
    expect(acceptedCodings(header)).toEqual(expected);
  });
});

describe('compressed copies (createCompression)', () => {
  const body = Buffer.from(JSON.stringify({ data: { rows: Array.from({ length: 200 }, (_, i) => ({ id: String(i), name: `Ünïcode patient ${i}`, bed: `Bed ${i % 17}` })) } }));
  const suffixes = [',"extensions":{"cache":{"hit":true,"ageMs":0}}}', ',"extensions":{"cache":{"hit":true,"ageMs":123456,"stale":true}}}', '}'];

  it.each(['gzip', 'br'] as const)('%s: the copy plus any ending decompresses to the body with that ending, byte for byte', async (coding) => {
    const encoded = await createCompression().forStored(body, 'W/"a"', coding);
    expect(encoded?.coding).toBe(coding);
    const prefix = body.subarray(0, body.length - 1);
    for (const suffix of suffixes) {
      const wire = Buffer.concat([encoded?.head ?? Buffer.alloc(0), encoded?.tail(Buffer.from(suffix)) ?? Buffer.alloc(0)]);
      expect(decode(coding, wire).equals(Buffer.concat([prefix, Buffer.from(suffix)]))).toBe(true);
      expect(wire.length).toBeLessThan(body.length / 3);
    }
  });

  it('compresses once per stored Buffer, and once per ETag for fresh Buffers of the same bytes', async () => {
    const compression = createCompression();
    const first = compression.forStored(body, 'W/"b"', 'gzip, br');
    expect(first).toBeInstanceOf(Promise);
    const made = await first;
    expect(made?.coding).toBe('br');
    const again = compression.forStored(body, 'W/"b"', 'br'); // settled: no promise any more
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as { head: Buffer }).head).toBe(made?.head);
    const copy = Buffer.from(body); // what Redis without its local tier hands back
    const byEtag = compression.forStored(copy, 'W/"b"', 'br');
    expect(byEtag).not.toBeInstanceOf(Promise);
    expect((byEtag as { head: Buffer }).head).toBe(made?.head);
    const gzip = compression.forStored(copy, 'W/"b"', 'gzip');
    expect(gzip).not.toBeInstanceOf(Promise);
    expect((gzip as { coding: string }).coding).toBe('gzip');
  });

  it(`leaves bodies under ${MIN_COMPRESS_BYTES} bytes, and requests that accept neither coding, to be sent plain`, () => {
    const compression = createCompression();
    const small = Buffer.from(`{"data":{"x":"${'a'.repeat(MIN_COMPRESS_BYTES - 18)}"}}`);
    expect(small.length).toBe(MIN_COMPRESS_BYTES - 1);
    expect(compression.forStored(small, 'W/"c"', 'gzip, br')).toBeNull();
    expect(compression.forStored(body, 'W/"d"', 'identity')).toBeNull();
    expect(compression.forStored(body, 'W/"d"', undefined)).toBeNull();
  });
});

const stores: Array<[string, (c: GatewayConfig) => GatewayConfig, jest.Describe]> = [
  ['memory store', (c) => c, describe],
  ['Redis store', (c) => ({ ...c, redisUrl: REDIS_TEST_URL }), describeWith('Redis')],
  ['Redis store without the local tier', (c) => ({ ...c, redisUrl: REDIS_TEST_URL, cache: { ...c.cache, localMaxBytes: 0 } }), describeWith('Redis')],
];

for (const [name, withStore, describeStore] of stores) {
  describeStore(`HTTP compression (${name})`, () => {
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

    const getOp = (operation: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) =>
      raw(`${t.url}/graphql?${new URLSearchParams({ query: op(operation), variables: JSON.stringify(variables) }).toString()}`, 'GET', { authorization: `Bearer ${viewer}`, ...headers });
    const ae = (value: string | undefined): Record<string, string> => (value === undefined ? {} : { 'accept-encoding': value });

    it('serves a hit by Accept-Encoding, decompressing to the plain hit byte for byte, with Vary and the same ETag', async () => {
      const cases: Array<[string | undefined, string | null]> = [
        [undefined, null],
        ['identity', null],
        ['br', 'br'],
        ['gzip', 'gzip'],
        ['gzip, deflate, br', 'br'],
        ['br;q=0.5, gzip;q=1', 'gzip'],
        ['gzip;q=0.5, br;q=0.9', 'br'],
        ['*', 'br'],
        ['deflate, zstd', null],
        ['gzip;q=0, br;q=0', null],
      ];
      for (const [operation, variables] of [['WardMapping', {}], ['Dashboard', {}]] as const) {
        const miss = await getOp(operation, variables);
        const plain = await getOp(operation, variables);
        expect({ miss: cacheOf(miss), plain: cacheOf(plain), encoding: plain.encoding, vary: plain.vary }).toEqual({ miss: false, plain: true, encoding: null, vary: 'Accept-Encoding' });
        expect(plain.wire.length).toBeGreaterThan(MIN_COMPRESS_BYTES);
        for (const [accept, expected] of cases) {
          const hit = await getOp(operation, variables, ae(accept));
          expect({ operation, accept, status: hit.status, encoding: hit.encoding, vary: hit.vary, etag: hit.etag, length: hit.length, hit: cacheOf(hit) }).toEqual({
            operation,
            accept,
            status: 200,
            encoding: expected,
            vary: 'Accept-Encoding',
            etag: miss.etag,
            length: hit.wire.length,
            hit: true,
          });
          expect(sameButAge(hit.text)).toBe(sameButAge(plain.text));
          if (expected) expect(hit.wire.length).toBeLessThan(plain.wire.length / 2);
        }
      }
    });

    it('answers If-None-Match with the current ETag by a 304 without a body under any encoding', async () => {
      const first = await getOp('WardMapping', {}, ae('br'));
      for (const accept of [undefined, 'gzip', 'br', 'gzip, br', 'identity']) {
        const again = await getOp('WardMapping', {}, { ...ae(accept), 'if-none-match': first.etag as string });
        expect({ accept, status: again.status, wire: again.wire.length, encoding: again.encoding, vary: again.vary, etag: again.etag }).toEqual({ accept, status: 304, wire: 0, encoding: null, vary: 'Accept-Encoding', etag: first.etag });
      }
    });

    it('sends a miss compressed too, and its hits with the same ETag', async () => {
      const miss = await getOp('WardMapping', {}, ae('gzip'));
      const hit = await getOp('WardMapping', {}, ae('br'));
      const plain = await getOp('WardMapping', {});
      expect([miss, hit, plain].map((a) => ({ encoding: a.encoding, hit: cacheOf(a), etag: a.etag }))).toEqual([
        { encoding: 'gzip', hit: false, etag: plain.etag },
        { encoding: 'br', hit: true, etag: plain.etag },
        { encoding: null, hit: true, etag: plain.etag },
      ]);
      const dataOf = (a: Raw) => a.text.slice(0, a.text.lastIndexOf(',"extensions":'));
      expect(dataOf(miss)).toBe(dataOf(plain));
    });

    it(`never compresses an answer under ${MIN_COMPRESS_BYTES} bytes`, async () => {
      const variables = { id: fx.outpatient };
      const miss = await getOp('Patient', variables, ae('gzip, br'));
      const hit = await getOp('Patient', variables, ae('gzip, br'));
      expect([miss, hit].map((a) => ({ status: a.status, encoding: a.encoding, vary: a.vary, hit: cacheOf(a), small: a.wire.length < MIN_COMPRESS_BYTES }))).toEqual([
        { status: 200, encoding: null, vary: 'Accept-Encoding', hit: false, small: true },
        { status: 200, encoding: null, vary: 'Accept-Encoding', hit: true, small: true },
      ]);
    });

    it('keeps read-your-writes: after a write the compressed answer carries the new data and its new ETag', async () => {
      const total = (a: Raw) => (JSON.parse(a.text) as { data: { dashboardStats: { totalPatients: number } } }).data.dashboardStats.totalPatients;
      await getOp('Dashboard', {}, ae('br'));
      const before = await getOp('Dashboard', {}, ae('br'));
      expect({ encoding: before.encoding, hit: cacheOf(before) }).toEqual({ encoding: 'br', hit: true });
      const written = await raw(`${t.url}/graphql`, 'POST', { authorization: `Bearer ${clinician}` }, JSON.stringify({ query: op('RegisterPatient'), variables: { input: { name: 'Compressed Write', status: 'OUTPATIENT' } } }));
      expect(JSON.parse(written.text)).not.toHaveProperty('errors');
      for (const accept of ['br', 'gzip']) {
        const after = await getOp('Dashboard', {}, { ...ae(accept), 'if-none-match': before.etag as string });
        expect({ accept, status: after.status, encoding: after.encoding, total: total(after) }).toEqual({ accept, status: 200, encoding: accept, total: total(before) + 1 });
        expect(after.etag).not.toBe(before.etag);
      }
      const plain = await getOp('Dashboard', {});
      const br = await getOp('Dashboard', {}, ae('br'));
      expect({ hit: cacheOf(br), etag: br.etag, total: total(br) }).toEqual({ hit: true, etag: plain.etag, total: total(before) + 1 });
      expect(sameButAge(br.text)).toBe(sameButAge(plain.text));
    });
  });
}
