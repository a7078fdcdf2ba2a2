import { hash } from 'node:crypto';

/**
 * HTTP caching of GraphQL answers. A successful query answer carries an ETag of its data and
 * `Cache-Control: private, no-cache` (a browser may keep it, but asks again every time, sending
 * the ETag in If-None-Match; an unchanged answer is then a 304 without a body). Mutations,
 * errors and refusals carry `no-store`.
 */
export const REVALIDATE = 'private, no-cache';
export const NO_STORE = 'no-store';
/** On every answer with an ETag: its bytes depend on Accept-Encoding (src/http/compression.ts). */
export const VARY = 'Accept-Encoding';

const DATA_PREFIX = '{"data":';
const EXTENSIONS = ',"extensions":{';

/**
 * Weak (`W/"…"`): a miss and the hits of the answer it stored carry the same data but not the
 * same bytes (`extensions.cache.hit` and `ageMs` differ), so they are equivalent, not identical.
 */
function tagOf(data: string | Buffer): string {
  return `W/"${hash('sha256', data, 'base64url')}"`;
}

export interface Etags {
  /**
   * The ETag of a stored `{"data":…}` body (a hit): hashed once per stored Buffer and memoised
   * on it, so the hits the in-process store and Redis' local tier serve from the same bytes do
   * not hash again (a 190 KB ward map costs ~0.3 ms to hash, more than the rest of its hit).
   */
  ofStored(body: Buffer): string;
  /**
   * The ETag of an answer Apollo serialised (`{"data":…,"extensions":{…}}`, errors first when
   * there are any): the hash of its `{"data":…}` part, byte for byte what the cache stores for
   * it, so a miss and its hits share the ETag. Null when the answer carries errors.
   */
  ofAnswer(body: string): string | null;
}

export function createEtags(): Etags {
  const stored = new WeakMap<Buffer, string>();
  return {
    ofStored(body) {
      let tag = stored.get(body);
      if (tag === undefined) stored.set(body, (tag = tagOf(body)));
      return tag;
    },
    ofAnswer(body) {
      const parts = splitAnswer(body);
      return parts && tagOf(`${parts.prefix}}`);
    },
  };
}

/**
 * An answer Apollo serialised, split where its `{"data":…}` part loses its closing brace:
 * `prefix` + `}` is byte for byte what the cache stores, and `prefix` + `suffix` is the answer.
 * Null when the answer carries errors.
 */
export function splitAnswer(body: string): { prefix: string; suffix: string } | null {
  if (!body.startsWith(DATA_PREFIX)) return null;
  // The top-level extensions are the last member (Apollo orders errors, data, extensions) and
  // hold no "extensions" member themselves, so the last occurrence is theirs. A string inside
  // the data cannot contain the sequence: its quotes would be escaped.
  const found = body.lastIndexOf(EXTENSIONS);
  const at = found === -1 ? body.trimEnd().length - 1 : found;
  return { prefix: body.slice(0, at), suffix: body.slice(at) };
}

/**
 * Whether If-None-Match names this ETag (RFC 9110 §13.1.2: `*`, or a list compared weakly, i.e.
 * by the quoted part whatever the W/ prefix).
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.slice(etag.indexOf('"'));
  for (const [quoted] of header.matchAll(/"[^"]*"/g)) if (quoted === opaque) return true;
  return false;
}
