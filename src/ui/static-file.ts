import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Route } from '../http/router';

export const CONTENT_TYPES = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  png: 'image/png',
} as const;

/**
 * The pages load nothing from anywhere but this gateway: the browser enforces it (scripts only
 * from our own asset routes, requests only to our own origin). GraphiQL sets inline styles and
 * its CSS embeds its fonts as data: URLs, hence those two allowances.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface Prepared {
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
}

function prepare(body: Buffer, contentType: string): Prepared {
  const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  // Text compresses well (graphiql.min.js: ~1 MB → ~250 kB); images are already compressed.
  const gzip = contentType.startsWith('text/') && body.length > 1024 ? gzipSync(body) : null;
  return { body, gzip, etag };
}

function send(req: IncomingMessage, res: ServerResponse, file: Prepared, headers: Record<string, string>): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('Method not allowed');
    return;
  }
  const common = { ...SECURITY_HEADERS, etag: file.etag, vary: 'accept-encoding', ...headers };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, common);
    res.end();
    return;
  }
  const useGzip = file.gzip !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = useGzip && file.gzip ? file.gzip : file.body;
  res.writeHead(200, { ...common, 'content-length': String(body.length), ...(useGzip ? { 'content-encoding': 'gzip' } : {}) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export interface StaticFileOptions {
  /** Absolute path of the file to serve. */
  file: string;
  contentType: string;
  /**
   * True for files whose URL carries their version (vendor files): cached for a year.
   * Otherwise the browser revalidates each time (ETag → 304).
   */
  immutable: boolean;
  /** Applied once to the file's text before serving (e.g. dropping a source map comment). */
  transform?: (text: string) => string;
}

/** A route serving one file, read and compressed on first request, then kept in memory. */
export function staticFile(options: StaticFileOptions): Route {
  let prepared: Prepared | null = null;
  const cacheControl = options.immutable ? 'public, max-age=31536000, immutable' : 'no-cache';
  return (req, res) => {
    if (!prepared) {
      const raw = readFileSync(options.file);
      const body = options.transform ? Buffer.from(options.transform(raw.toString('utf8')), 'utf8') : raw;
      prepared = prepare(body, options.contentType);
    }
    send(req, res, prepared, { 'content-type': options.contentType, 'cache-control': cacheControl });
  };
}

/** An HTML page built once (lazily, on first request) by `render`. */
export function htmlPage(render: () => string): Route {
  let prepared: Prepared | null = null;
  return (req, res) => {
    prepared ??= prepare(Buffer.from(render(), 'utf8'), CONTENT_TYPES.html);
    // Vary on accept too: /graphql answers a browser with this page and any other client with JSON.
    send(req, res, prepared, { 'content-type': CONTENT_TYPES.html, 'cache-control': 'no-cache', vary: 'accept, accept-encoding' });
  };
}

/**
 * JSON for a `<script type="application/json">` block: `<` is escaped so no text inside can
 * close the element (an operation's comment containing `</script>`, say).
 */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
