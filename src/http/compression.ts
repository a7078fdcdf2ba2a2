import { constants, crc32, createBrotliCompress, createGzip, type BrotliCompress, type Gzip } from 'node:zlib';

/**
 * Compression of cached answers (contract: "HTTP caching"). A stored `{"data":…}` body is
 * compressed once per process, asynchronously (zlib's thread pool: a 200 KB ward map never
 * blocks the event loop), into gzip and brotli copies of everything but its last brace. Each
 * copy ends on a flush (byte-aligned, stream not finished), so an answer is sent as that copy
 * followed by a few bytes built per request: the answer's own ending (`,"extensions":{"cache":
 * {"hit":true,"ageMs":…}}}`) as an uncompressed final block, then for gzip the CRC-32 and size
 * of the whole. The data is compressed once; `ageMs` stays exact on every hit.
 *
 * Copies are memoised per stored Buffer (the in-process store and Redis' local tier hand back
 * the same Buffer on each hit) and, for stores that hand back fresh Buffers, by the body's ETag
 * (its SHA-256: same ETag, same bytes) in a map bounded to MEMO_BYTES of compressed copies. A
 * miss's answer fills the same map, so the hits after it do not compress again.
 */
export type Coding = 'br' | 'gzip';

/** Answers smaller than this are sent plain: compression would save next to nothing. */
export const MIN_COMPRESS_BYTES = 1024;
/** Brotli quality: 5 compresses a 200 KB ward map in ~2–3 ms, within ~10% of the best ratio. */
const BROTLI_QUALITY = 5;
const GZIP_LEVEL = 6;
/** The ETag-keyed memo's bound, in bytes of compressed copies. */
const MEMO_BYTES = 16 * 1024 * 1024;

/** The compressed copies of one body's prefix (all of it but the closing brace). */
interface Packed {
  /** gzip header and deflate blocks, flushed; null when not smaller than the plain prefix. */
  readonly gzip: Buffer | null;
  /** Brotli meta-blocks, flushed; null when it does not beat gzip (or the plain prefix). */
  readonly br: Buffer | null;
  /** CRC-32 and length of the plain prefix, for gzip's trailer. */
  readonly crc: number;
  readonly size: number;
}

/** What to send: the chosen copy; `tail(suffix)` gives the bytes that end it. */
export interface Encoded {
  readonly coding: Coding;
  readonly head: Buffer;
  tail(suffix: Buffer): Buffer;
}

/**
 * Accept-Encoding → the codings we offer that it accepts, best first (RFC 9110 §12.5.3: q-values,
 * `*` for any coding not named, `x-gzip` as gzip; on equal q, br first). Absent or empty: none.
 */
export function acceptedCodings(header: string | undefined): Coding[] {
  if (!header) return [];
  const q = new Map<string, number>();
  for (const element of header.split(',')) {
    const [name, ...params] = element.split(';');
    const token = name.trim().toLowerCase();
    if (!token) continue;
    let weight = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(param);
      if (match) weight = Math.min(1, Number(match[1]));
      else if (/^\s*q\s*=/i.test(param)) weight = 0; // a malformed weight: not accepted
    }
    const key = token === 'x-gzip' ? 'gzip' : token;
    q.set(key, Math.max(weight, q.get(key) ?? 0));
  }
  const any = q.get('*') ?? 0;
  const offered: Array<[Coding, number]> = [
    ['br', q.get('br') ?? any],
    ['gzip', q.get('gzip') ?? any],
  ];
  return offered
    .filter(([, weight]) => weight > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([coding]) => coding);
}

/** A bounded memo of parsed Accept-Encoding values (clients send a handful of distinct ones). */
function createAcceptMemo(): (header: string | undefined) => Coding[] {
  const memo = new Map<string, Coding[]>();
  return (header) => {
    if (!header) return [];
    let codings = memo.get(header);
    if (codings === undefined) {
      if (memo.size >= 256) memo.clear();
      memo.set(header, (codings = acceptedCodings(header)));
    }
    return codings;
  };
}

/** Writes `input` and flushes: the output up to there, byte-aligned, the stream left unfinished. */
function flushed(stream: Gzip | BrotliCompress, input: Buffer, mode: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('error', reject);
    stream.write(input);
    stream.flush(mode, () => {
      stream.destroy();
      resolve(Buffer.concat(chunks));
    });
  });
}

async function pack(prefix: Buffer): Promise<Packed> {
  const brotli = createBrotliCompress({
    params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: prefix.length, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
  });
  const [gzip, br] = await Promise.all([
    flushed(createGzip({ level: GZIP_LEVEL }), prefix, constants.Z_SYNC_FLUSH),
    flushed(brotli, prefix, constants.BROTLI_OPERATION_FLUSH),
  ]);
  const gzipPays = gzip.length < prefix.length;
  const brPays = br.length < (gzipPays ? gzip.length : prefix.length);
  return { gzip: gzipPays ? gzip : null, br: brPays ? br : null, crc: crc32(prefix), size: prefix.length };
}

/**
 * gzip: a final stored deflate block (BFINAL=1, BTYPE=00, LEN, NLEN) holding the suffix, then
 * the member's trailer (CRC-32 and size, mod 2^32, of prefix + suffix). RFC 1951 §3.2.4, 1952.
 */
function gzipTail(packed: Packed, suffix: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + suffix.length + 8);
  out[0] = 0x01;
  out.writeUInt16LE(suffix.length, 1);
  out.writeUInt16LE(~suffix.length & 0xffff, 3);
  suffix.copy(out, 5);
  out.writeUInt32LE(crc32(suffix, packed.crc) >>> 0, 5 + suffix.length);
  out.writeUInt32LE((packed.size + suffix.length) >>> 0, 9 + suffix.length);
  return out;
}

/**
 * Brotli: an uncompressed meta-block holding the suffix (ISLAST=0, MNIBBLES=4, MLEN-1 in 16 bits,
 * ISUNCOMPRESSED=1, zero padding to the byte: 3 bytes), then an empty last one (ISLAST=1,
 * ISLASTEMPTY=1: 0x03). RFC 7932 §9.2.
 */
function brotliTail(suffix: Buffer): Buffer {
  const bits = ((suffix.length - 1) << 3) | (1 << 19);
  const out = Buffer.allocUnsafe(3 + suffix.length + 1);
  out[0] = bits & 0xff;
  out[1] = (bits >>> 8) & 0xff;
  out[2] = (bits >>> 16) & 0xff;
  suffix.copy(out, 3);
  out[3 + suffix.length] = 0x03;
  return out;
}

function choose(packed: Packed, codings: Coding[]): Encoded | null {
  for (const coding of codings) {
    const head = packed[coding];
    if (head) return { coding, head, tail: coding === 'gzip' ? (suffix) => gzipTail(packed, suffix) : brotliTail };
  }
  return null;
}

export interface Compression {
  /**
   * How to send a stored `{"data":…}` body to a request with this Accept-Encoding: null to send
   * it plain (not accepted, under MIN_COMPRESS_BYTES, or nothing smaller); a promise while its
   * copies are being made (the first hit of an answer in this process, or concurrent ones).
   */
  forStored(body: Buffer, etag: string, acceptEncoding: string | undefined): Encoded | null | Promise<Encoded | null>;
  /** The same for an answer Apollo computed, given the text of its data part but the closing brace. */
  forAnswer(prefix: string, etag: string, acceptEncoding: string | undefined): Encoded | null | Promise<Encoded | null>;
}

export function createCompression(): Compression {
  const accepted = createAcceptMemo();
  const byBuffer = new WeakMap<Buffer, Packed | Promise<Packed>>();
  const byEtag = new Map<string, Packed | Promise<Packed>>();
  let memoBytes = 0;
  const bytesOf = (p: Packed) => (p.gzip?.length ?? 0) + (p.br?.length ?? 0);

  function remember(etag: string, packed: Packed): void {
    byEtag.delete(etag);
    byEtag.set(etag, packed);
    memoBytes += bytesOf(packed);
    for (const [key, old] of byEtag) {
      if (memoBytes <= MEMO_BYTES) break;
      if (old instanceof Promise) continue;
      byEtag.delete(key);
      memoBytes -= bytesOf(old);
    }
  }

  /** The copies for this ETag: memoised, or made now from `prefix()`. */
  function packedFor(etag: string, prefix: () => Buffer): Packed | Promise<Packed> {
    const known = byEtag.get(etag);
    if (known !== undefined) return known;
    const making = pack(prefix())
      .catch((): Packed => ({ gzip: null, br: null, crc: 0, size: 0 })) // never fails an answer: plain instead
      .then((packed) => {
        remember(etag, packed);
        return packed;
      });
    byEtag.set(etag, making);
    return making;
  }

  const settle = (packed: Packed | Promise<Packed>, codings: Coding[]) => (packed instanceof Promise ? packed.then((p) => choose(p, codings)) : choose(packed, codings));

  return {
    forStored(body, etag, acceptEncoding) {
      const codings = accepted(acceptEncoding);
      if (codings.length === 0 || body.length < MIN_COMPRESS_BYTES) return null;
      let packed = byBuffer.get(body);
      if (packed === undefined) {
        const found = packedFor(etag, () => body.subarray(0, body.length - 1));
        byBuffer.set(body, found);
        if (found instanceof Promise) void found.then((p) => byBuffer.set(body, p));
        packed = found;
      }
      return settle(packed, codings);
    },
    forAnswer(prefix, etag, acceptEncoding) {
      const codings = accepted(acceptEncoding);
      if (codings.length === 0 || Buffer.byteLength(prefix) + 1 < MIN_COMPRESS_BYTES) return null;
      return settle(packedFor(etag, () => Buffer.from(prefix, 'utf8')), codings);
    },
  };
}
