import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

export interface Answer {
  status: number;
  body: Buffer;
  ms: number;
}

/** One POST on a kept-alive connection, timed from send to the last byte. */
export function post(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `extensions.cache` of a GraphQL answer (the gateway always sets it on cacheable reads). */
export function cacheOutcome(answer: Answer): { hit: boolean; ageMs: number } | undefined {
  const parsed = JSON.parse(answer.body.toString('utf8')) as { extensions?: { cache?: { hit: boolean; ageMs: number } } };
  return parsed.extensions?.cache;
}

export function closeAgent(): void {
  agent.destroy();
}
