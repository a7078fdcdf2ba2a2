import type { ServerResponse } from 'node:http';
import type { HTTPGraphQLResponse } from '@apollo/server';
import { hitSuffix, type SharedAnswer, type StoredResponse } from '../cache';
import { ErrorCode } from '../errors/errors';
import { matchesIfNoneMatch, NO_STORE, REVALIDATE } from './conditional';

/**
 * How /graphql answers go out: hits from the stored bytes, Apollo's answers, answers shared
 * with identical requests, refusals. Each successful query answer carries its ETag and
 * `Cache-Control: private, no-cache`, and is a 304 without a body when the request's
 * If-None-Match names that ETag (`ifNoneMatch` is given for GETs only: RFC 9110 would have
 * other methods refused with a 412, which no GraphQL client expects). Everything else is
 * `no-store`.
 */
export const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** 304: the validators only (the request id is on `res` already, or in `headers`). */
function sendNotModified(res: ServerResponse, etag: string, headers: string[] = []): number {
  res.writeHead(304, ['etag', etag, 'cache-control', REVALIDATE, ...headers]);
  res.end();
  return 304;
}

/**
 * A hit: the stored `{"data":…}` bytes with the cache extension spliced in before the last
 * brace, written as one writev (headers, body, suffix) without copying the body. Headers go
 * as a flat array straight to writeHead: no header object to build and merge (the suffix is
 * ASCII, so its length in bytes is its length in characters). Returns the status sent.
 */
export function sendHit(res: ServerResponse, hit: StoredResponse, requestId: string, etag: string, ifNoneMatch: string | undefined, stale = false): number {
  if (matchesIfNoneMatch(ifNoneMatch, etag)) return sendNotModified(res, etag, ['x-request-id', requestId]);
  const suffix = hitSuffix(hit.storedAt, stale);
  const length = hit.body.length - 1 + suffix.length;
  res.writeHead(200, ['content-type', JSON_TYPE, 'content-length', String(length), 'etag', etag, 'cache-control', REVALIDATE, 'x-request-id', requestId]);
  res.cork();
  res.write(hit.body.subarray(0, hit.body.length - 1));
  res.end(suffix, 'latin1');
  return 200;
}

/** A hit as an answer to share with identical requests waiting in this process. */
export function sharedHit(hit: StoredResponse, etag: string): SharedAnswer {
  const body = hit.body.subarray(0, hit.body.length - 1).toString('utf8') + hitSuffix(hit.storedAt, false);
  return { status: 200, headers: [['content-type', JSON_TYPE], ['etag', etag], ['cache-control', REVALIDATE]], body };
}

/**
 * Apollo's answer, with `etag` when it is a successful query answer (else `no-store`). Returns
 * it whole, body included even when this request got a 304, to share with identical requests.
 */
export async function writeApolloResponse(res: ServerResponse, response: HTTPGraphQLResponse, etag: string | null, ifNoneMatch: string | undefined): Promise<SharedAnswer | null> {
  if (etag) response.headers.set('etag', etag);
  response.headers.set('cache-control', etag ? REVALIDATE : NO_STORE);
  const status = response.status ?? 200;
  if (response.body.kind === 'complete') {
    const answer: SharedAnswer = { status, headers: [...response.headers], body: response.body.string };
    if (etag && matchesIfNoneMatch(ifNoneMatch, etag)) sendNotModified(res, etag);
    else sendShared(res, answer, undefined);
    return answer;
  }
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = status;
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
  return null;
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
