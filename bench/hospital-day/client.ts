/**
 * The load's HTTP client: node:http POSTs on kept-alive connections (one agent per gateway),
 * timed on this process's monotonic clock from the moment the request is issued (agent queueing
 * included) and from the moment it got a connection ("on the wire"), to its last byte. No answer
 * within the timeout (counted from the issue) counts as a timeout.
 */
import { Agent, request } from 'node:http';

export const TIMEOUT_MS = 30_000;
const EMPTY = Buffer.alloc(0);

export interface Reply {
  /** 0 when no HTTP answer came (timeout or transport error). */
  status: number;
  /** The Retry-After header, if any. */
  retryAfter: string | null;
  /** The answer's bytes (decoded only when needed: most are 187 KB ward maps served from the cache). */
  body: Buffer;
  startedAt: number;
  /** When the request got its connection and was written (NaN if it never did). */
  sentAt: number;
  endedAt: number;
  outcome: 'answered' | 'timeout' | 'transport';
  error: string | null;
}

export class HttpClient {
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly maxSocketsPerGateway: number) {}

  private agent(host: string): Agent {
    let a = this.agents.get(host);
    // Idle sockets closed after 4 s, before the server's keep-alive timeout (Node's 5 s) closes
    // them: otherwise a request sent on a socket the server is closing fails with ECONNRESET.
    if (!a) this.agents.set(host, (a = new Agent({ keepAlive: true, maxSockets: this.maxSocketsPerGateway, timeout: 4000 })));
    return a;
  }

  /** POST `body` (JSON) to `<baseUrl>/graphql` with a bearer token. Never rejects. */
  post(baseUrl: string, body: string, token: string, timeoutMs = TIMEOUT_MS): Promise<Reply> {
    const startedAt = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      let sentAt = NaN;
      const finish = (r: Omit<Reply, 'startedAt' | 'sentAt' | 'endedAt'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...r, startedAt, sentAt, endedAt: performance.now() });
      };
      const url = new URL('/graphql', baseUrl);
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent(url.host),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const retry = res.headers['retry-after'];
            finish({ status: res.statusCode ?? 0, retryAfter: retry === undefined ? null : String(retry), body: Buffer.concat(chunks), outcome: 'answered', error: null });
          });
          res.on('error', (err) => finish({ status: 0, retryAfter: null, body: EMPTY, outcome: 'transport', error: err.message }));
        },
      );
      const timer = setTimeout(() => {
        finish({ status: 0, retryAfter: null, body: EMPTY, outcome: 'timeout', error: `no answer within ${timeoutMs} ms` });
        req.destroy();
      }, timeoutMs);
      req.on('error', (err) => finish({ status: 0, retryAfter: null, body: EMPTY, outcome: 'transport', error: err.message }));
      req.once('socket', () => (sentAt = performance.now()));
      req.end(body);
    });
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

const HIT = '"extensions":{"cache":{"hit":';

/** `extensions.cache.hit` of an answer without decoding it (the hit path splices it at the end). */
export function cacheHit(body: Buffer): boolean | null {
  const at = body.lastIndexOf(HIT);
  if (at === -1) return null;
  return body[at + HIT.length] === 116; // 't'
}

/** The answer without its `extensions` suffix: equal bytes for every hit on one cached entry. */
export function dataPart(body: Buffer): Buffer {
  const at = body.lastIndexOf(',"extensions":{"cache":');
  return at === -1 ? body : body.subarray(0, at);
}

/** The error codes of a GraphQL answer (`NO_CODE` for an error without one); [] when it has none or is not JSON. */
export function errorCodes(parsed: { errors?: Array<{ extensions?: { code?: unknown } }> } | null): string[] {
  return (parsed?.errors ?? []).map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'NO_CODE'));
}
