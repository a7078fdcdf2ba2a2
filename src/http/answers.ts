import type { ServerResponse } from 'node:http';
import type { HTTPGraphQLResponse } from '@apollo/server';
import { hitSuffix, type SharedAnswer, type StoredResponse } from '../cache';
import { ErrorCode } from '../errors/errors';
import type { Encoded } from './compression';
import { matchesIfNoneMatch, NO_STORE, REVALIDATE, VARY } from './conditional';

/**
 * How /graphql answers go out: hits from the stored bytes, Apollo's answers, answers shared
 * with identical requests, refusals. Each successful query answer carries its ETag and
 * `Cache-Control: private, no-cache`, and is a 304 without a body when the request's
 * If-None-Match names that ETag (`ifNoneMatch` is given for GETs only: RFC 9110 would have
 * other methods refused with a 412, which no GraphQL client expects). Everything else is
 * `no-store`. An answer with an ETag also carries `Vary: Accept-Encoding`, and goes compressed
 * (`Content-Encoding`) when given an `Encoded` copy (src/http/compression.ts): same data, same
 * ETag (a weak one), fewer bytes.
 */
export const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** 304: the validators only (the request id is on `res` already, or in `headers`). */
function sendNotModified(res: ServerResponse, etag: string, headers: string[] = []): number {
  res.writeHead(304, ['etag', etag, 'cache-control', REVALIDATE, 'vary', VARY, ...headers]);
  res.end();
  return 304;
}

/**
 * A hit: the stored `{"data":…}` bytes with the cache extension spliced in before the last
 * brace, written as one writev (headers, body, suffix) without copying the body. Headers go
 * as a flat array straight to writeHead: no header object to build and merge (the suffix is
 * ASCII, so its length in bytes is its length in characters). With `encoded`, the body's
 * compressed copy goes instead, then the suffix as its compressed stream's last bytes. Returns
 * the status sent.
 */
export function sendHit(res: ServerResponse, hit: StoredResponse, requestId: string, etag: string, ifNoneMatch: string | undefined, stale = false, encoded: Encoded | null = null): number {
  if (matchesIfNoneMatch(ifNoneMatch, etag)) return sendNotModified(res, etag, ['x-request-id', requestId]);
  const suffix = hitSuffix(hit.storedAt, stale);
  if (encoded) {
    const tail = encoded.tail(Buffer.from(suffix, 'latin1'));
    const length = encoded.head.length + tail.length;
    res.writeHead(200, ['content-type', JSON_TYPE, 'content-length', String(length), 'content-encoding', encoded.coding, 'vary', VARY, 'etag', etag, 'cache-control', REVALIDATE, 'x-request-id', requestId]);
    res.cork();
    res.write(encoded.head);
    res.end(tail);
    return 200;
  }
  const length = hit.body.length - 1 + suffix.length;
  res.writeHead(200, ['content-type', JSON_TYPE, 'content-length', String(length), 'vary', VARY, 'etag', etag, 'cache-control', REVALIDATE, 'x-request-id', requestId]);
  res.cork();
  res.write(hit.body.subarray(0, hit.body.length - 1));
  res.end(suffix, 'latin1');
  return 200;
}

/** A hit as an answer to share with identical requests waiting in this process. */
export function sharedHit(hit: StoredResponse, etag: string): SharedAnswer {
  const body = hit.body.subarray(0, hit.body.length - 1).toString('utf8') + hitSuffix(hit.storedAt, false);
  return { status: 200, headers: [['content-type', JSON_TYPE], ['vary', VARY], ['etag', etag], ['cache-control', REVALIDATE]], body };
}

/** A successful answer's compressed copy and the rest of its text (after its data's closing brace's place). */
export interface EncodedAnswer {
  encoded: Encoded;
  suffix: string;
}

/**
 * Apollo's answer, with `etag` when it is a successful query answer (else `no-store`), sent
 * compressed when `compressed` is given. Returns it whole and plain, body included even when this
 * request got a 304, to share with identical requests.
 */
export async function writeApolloResponse(res: ServerResponse, response: HTTPGraphQLResponse, etag: string | null, ifNoneMatch: string | undefined, compressed: EncodedAnswer | null = null): Promise<SharedAnswer | null> {
  if (etag) {
    response.headers.set('etag', etag);
    response.headers.set('vary', VARY);
  }
  response.headers.set('cache-control', etag ? REVALIDATE : NO_STORE);
  const status = response.status ?? 200;
  if (response.body.kind === 'complete') {
    const answer: SharedAnswer = { status, headers: [...response.headers], body: response.body.string };
    if (etag && matchesIfNoneMatch(ifNoneMatch, etag)) sendNotModified(res, etag);
    else if (compressed) sendEncoded(res, answer, compressed);
    else sendShared(res, answer, undefined);
    return answer;
  }
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = status;
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
  return null;
}

function sendEncoded(res: ServerResponse, answer: SharedAnswer, { encoded, suffix }: EncodedAnswer): void {
  const tail = encoded.tail(Buffer.from(suffix, 'utf8'));
  for (const [key, value] of answer.headers) if (key !== 'content-length') res.setHeader(key, value);
  res.setHeader('content-encoding', encoded.coding);
  res.setHeader('content-length', encoded.head.length + tail.length);
  res.statusCode = answer.status;
  res.cork();
  res.write(encoded.head);
  res.end(tail);
}

/**
 * Past the bound on database work (src/backpressure): refused at once, before anything ran, and
 * shared with identical requests waiting on this one. Retry-After in seconds.
 */
export function overloaded(): SharedAnswer {
  const message = 'The gateway is at capacity: too many requests are waiting for the database. Nothing was run or changed; retry in a second.';
  const body = JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.ServiceUnavailable, retryable: true } }] });
  return { status: 503, headers: [['content-type', JSON_TYPE], ['retry-after', '1'], ['cache-control', NO_STORE]], body };
}

/** An answer shared by the request that computed it (or a refusal); returns the status sent. */
export function sendShared(res: ServerResponse, answer: SharedAnswer, ifNoneMatch: string | undefined): number {
  const etag = answer.status === 200 ? answer.headers.find(([key]) => key === 'etag')?.[1] : undefined;
  if (etag && matchesIfNoneMatch(ifNoneMatch, etag)) return sendNotModified(res, etag);
  for (const [key, value] of answer.headers) res.setHeader(key, value);
  res.statusCode = answer.status;
  res.end(answer.body);
  return answer.status;
}
