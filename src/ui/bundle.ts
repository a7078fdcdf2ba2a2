import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import type { Route } from '../http/router';
import { CONTENT_TYPES, SECURITY_HEADERS } from './static-file';

interface Bundle {
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

/**
 * A page's browser code (its client/main.ts: the ward dashboard's, the cache console's) as one
 * ES module holding the page's TypeScript and the npm packages it imports, built by esbuild
 * in memory (about 60 ms, once per process, on the first request) and kept. Nothing is written
 * to disk and nothing is fetched: every import resolves in node_modules.
 */
function buildClient(entry: string): Bundle {
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  const body = Buffer.from(file.contents);
  return { body, gzip: gzipSync(body), etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}

/** Serves the built client (ETag → 304, gzip when accepted), built on first request. */
export function clientBundleRoute(entry: string): Route {
  let bundle: Bundle | null = null;
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Method not allowed');
      return;
    }
    bundle ??= buildClient(entry);
    const headers = { ...SECURITY_HEADERS, 'content-type': CONTENT_TYPES.js, 'cache-control': 'no-cache', etag: bundle.etag, vary: 'accept-encoding' };
    if (req.headers['if-none-match'] === bundle.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? bundle.gzip : bundle.body;
    res.writeHead(200, { ...headers, 'content-length': String(body.length), ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
