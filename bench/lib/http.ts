import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

export interface Answer {
  status: number;
  body: Buffer;
  ms: number;
}

/**
 * One POST on a kept-alive connection, timed from send to the last byte. With `timeoutMs`, a
 * server that has not answered by then fails the request (and its connection) instead of
 * hanging the run.
 */
export function post(url: string, body: string, headers: Record<string, string>, timeoutMs?: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - started }));
      res.on('error', reject);
    });
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

interface GraphQLAnswer {
  data?: unknown;
  errors?: Array<{ message?: string }>;
  extensions?: { cache?: { hit: boolean; ageMs: number } };
}

function parse(answer: Answer): GraphQLAnswer {
  try {
    return JSON.parse(answer.body.toString('utf8')) as GraphQLAnswer;
  } catch {
    return {};
  }
}

/** `extensions.cache` of a GraphQL answer (the gateway always sets it on cacheable reads). */
export function cacheOutcome(answer: Answer): { hit: boolean; ageMs: number } | undefined {
  return parse(answer).extensions?.cache;
}

/**
 * `data` of a GraphQL answer as canonical JSON (object keys sorted, `updatedAt` left out: it is
 * the time the answer was computed), so two servers' answers compare equal whatever order they
 * write fields in, whenever they computed them and whatever extensions they add; null when the
 * answer has no data or carries errors.
 */
export function canonicalData(answer: Answer): string | null {
  const parsed = parse(answer);
  if (parsed.data == null || (parsed.errors?.length ?? 0) > 0) return null;
  return JSON.stringify(parsed.data, (key, value: unknown) => {
    if (key === 'updatedAt') return undefined;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/**
 * Where two canonical `data` texts (from canonicalData) first differ, as a path with both
 * values ("wardMapping.wards[3].patients[0].bed: \"12\" vs \"12a\""); null when equal.
 */
export function firstDifference(a: string, b: string): string | null {
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v).slice(0, 60));
  const walk = (x: unknown, y: unknown, path: string): string | null => {
    if (x === y) return null;
    if (Array.isArray(x) && Array.isArray(y)) {
      for (let i = 0; i < Math.max(x.length, y.length); i++) {
        const d = walk(x[i], y[i], `${path}[${i}]`);
        if (d) return x.length === y.length ? d : `${d} (lengths ${x.length} vs ${y.length})`;
      }
      return null;
    }
    if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) {
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])];
      for (const k of keys) {
        const d = walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
        if (d) return d;
      }
      return null;
    }
    return `${path || '(root)'}: ${show(x)} vs ${show(y)}`;
  };
  return a === b ? null : walk(JSON.parse(a), JSON.parse(b), '');
}

/** The first error message of an answer, or its status and opening bytes: for failure notes. */
export function describe(answer: Answer): string {
  const message = parse(answer).errors?.[0]?.message;
  return message ? `${answer.status} "${message}"` : `${answer.status} ${answer.body.toString('utf8').slice(0, 200)}`;
}

export function closeAgent(): void {
  agent.destroy();
}
