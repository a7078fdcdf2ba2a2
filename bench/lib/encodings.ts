/**
 * The HTTP-caching cases of `npm run bench`: one gateway's hit of one operation over GET, as
 * sent plain, gzip (`Accept-Encoding: gzip`), br (`Accept-Encoding: br`), and as a 304
 * (`If-None-Match` with the current ETag), measured in interleaved slices on the same gateway,
 * so each is a ratio to the plain hit of the same stretch of time: req/s, CPU per answer, body
 * bytes and bytes read per response (headers included).
 */
import { request } from 'node:http';
import type { LoadSpec } from '../load';
import { cpuPerResponse, cpuSummary, interleave, type Contender, type InterleaveOptions, type Measured } from './hits';
import type { Pinned } from './proc';

export type Variant = 'plain' | 'gzip' | 'br' | '304';
const VARIANTS: Variant[] = ['plain', 'gzip', 'br', '304'];

export interface EncodingRow {
  name: string;
  server: string;
  variant: Variant;
  /** The body's bytes on the wire (compressed when encoded; 0 for a 304). */
  bodyBytes: number;
  measured: Measured;
}

interface Probe {
  status: number;
  encoding: string | undefined;
  etag: string | undefined;
  bytes: number;
}

function probe(url: string, headers: Record<string, string>): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, encoding: res.headers['content-encoding'], etag: res.headers.etag, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

const CONNECTIONS = 32;

/**
 * Measures the four variants of one case on one gateway (primed: the answer is cached). `get`
 * is the case as a GET's path and query (`/graphql?query=…&variables=…`).
 */
export async function measureEncodings(
  load: Pinned,
  server: { label: string; child: Pinned; url: string },
  name: string,
  get: string,
  auth: Record<string, string>,
  timing: InterleaveOptions,
): Promise<EncodingRow[]> {
  const url = `${server.url}${get}`;
  const plain = await probe(url, auth);
  if (plain.status !== 200 || plain.encoding !== undefined || !plain.etag) throw new Error(`${name} on ${server.label}: the plain GET answered ${plain.status} ${plain.encoding ?? ''}`);
  const headersOf: Record<Variant, Record<string, string>> = {
    plain: auth,
    gzip: { ...auth, 'accept-encoding': 'gzip' },
    br: { ...auth, 'accept-encoding': 'br' },
    '304': { ...auth, 'accept-encoding': 'gzip, br', 'if-none-match': plain.etag },
  };
  const bodyBytes = new Map<Variant, number>();
  for (const variant of VARIANTS) {
    const seen = await probe(url, headersOf[variant]);
    const expected = variant === '304' ? { status: 304, encoding: undefined } : { status: 200, encoding: variant === 'plain' ? undefined : variant };
    if (seen.status !== expected.status || seen.encoding !== expected.encoding || seen.etag !== plain.etag) {
      throw new Error(`${name} on ${server.label}, ${variant}: expected ${JSON.stringify(expected)} with the plain ETag; got ${JSON.stringify(seen)}`);
    }
    bodyBytes.set(variant, seen.bytes);
  }
  const label = (variant: Variant) => `${server.label} ${name} GET ${variant}`;
  const contenders: Contender[] = VARIANTS.map((variant) => ({ label: label(variant), server: server.child, url }));
  const variantOf = new Map(VARIANTS.map((variant) => [label(variant), variant]));
  const spec = (target: string, durationS: number, c: Contender): LoadSpec => ({
    url: target,
    method: 'GET',
    body: '',
    headers: headersOf[variantOf.get(c.label) as Variant],
    connections: CONNECTIONS,
    durationS,
  });
  const measured = await interleave(load, contenders, spec, timing);
  return VARIANTS.map((variant, i) => ({ name, server: server.label, variant, bodyBytes: bodyBytes.get(variant) as number, measured: measured[i] }));
}

const f = (n: number, digits = 2) => n.toFixed(digits);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** A log line per row, as run.ts prints them while it measures. */
export function encodingLine(r: EncodingRow): string {
  const m = r.measured;
  return `${r.name} ${r.server} ${r.variant}: ${Math.round(m.rps)} req/s p99 ${f(m.p99)} ms ${Math.round(cpuPerResponse(m))} µs/req body ${r.bodyBytes} B, ${Math.round(m.bytesPerResponse)} B/response (${cpuSummary(m)})`;
}

/** The report's section: one row per variant, ratios to the plain hit of the same case and server. */
export function renderEncodings(rows: EncodingRow[]): string[] {
  if (rows.length === 0) return [];
  const head = ['case', 'server', 'request', 'body bytes', 'bytes read per response', '× plain bytes', 'req/s', '× plain req/s', 'p99 ms', 'CPU µs/answer (× plain)', 'notes'];
  const lines = rows.map((r) => {
    const plain = rows.find((p) => p.name === r.name && p.server === r.server && p.variant === 'plain') ?? r;
    const m = r.measured;
    const cpu = cpuPerResponse(m);
    const problems = [m.errors > 0 ? `${m.errors} errors` : '', r.variant !== '304' && m.non2xx > 0 ? `${m.non2xx} non-2xx` : ''].filter(Boolean);
    return [
      r.name,
      r.server,
      r.variant === '304' ? 'If-None-Match: current ETag' : r.variant === 'plain' ? 'no Accept-Encoding' : `Accept-Encoding: ${r.variant}`,
      int(r.bodyBytes),
      int(m.bytesPerResponse),
      f(m.bytesPerResponse / plain.measured.bytesPerResponse, 3),
      int(m.rps),
      f(m.rps / plain.measured.rps),
      f(m.p99),
      `${int(cpu)} (${f(cpu / cpuPerResponse(plain.measured))}×)`,
      [...problems, cpuSummary(m)].join('; '),
    ];
  });
  return [
    '## HTTP caching: compressed hits and 304s (GET)',
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
    '',
    'Each case on one gateway: the same GET hit with no Accept-Encoding (plain), with `gzip`, with `br`, and with If-None-Match naming its ETag (a 304 without a body), interleaved slice by slice; × plain is the ratio to the plain hit in the same slices. Bytes read per response include the status line and headers.',
    '',
  ];
}
