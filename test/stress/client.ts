import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';
import { SignJWT } from 'jose';

/**
 * The harness's GraphQL client: the contract's operations, signed tokens, and one request with
 * its timing (monotonic clock of this process), HTTP status, errors and cache extension.
 */

export const HOSPITAL_ID = '1';

export type Role = 'viewer' | 'clinician' | 'admin';

/** The contract's operations by name, printed one per document (as the frontend sends them). */
export function loadOperations(gatewayRoot: string): Map<string, string> {
  const file = join(gatewayRoot, 'src', 'contract', 'operations.graphql');
  const doc = parse(readFileSync(file, 'utf8'));
  const ops = new Map<string, string>();
  for (const def of doc.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION && def.name) ops.set(def.name.value, print(def as OperationDefinitionNode));
  }
  return ops;
}

export function signToken(secret: string, role: Role, subject: string): Promise<string> {
  return new SignJWT({ hospitalId: HOSPITAL_ID, role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime('6h')
    .sign(new TextEncoder().encode(secret));
}

/** A gateway process as the clients see it. */
export interface Endpoint {
  name: string;
  url: string;
}

export interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

export interface Answer {
  operation: string;
  variables: Record<string, unknown>;
  process: string;
  /** performance.now() before the request was sent / after the whole answer was read. */
  startedAt: number;
  endedAt: number;
  /** 0 when no HTTP answer arrived (transportError says why). */
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
  data: any;
  errors: GraphQLErrorBody[];
  /** extensions.cache.hit; null when the answer carried no cache extension. */
  hit: boolean | null;
  ageMs: number | null;
  requestId: string | null;
  transportError: string | null;
}

export const REQUEST_TIMEOUT_MS = 20_000;

export class Client {
  constructor(private readonly ops: Map<string, string>) {}

  async request(to: Endpoint, operation: string, variables: Record<string, unknown>, token: string): Promise<Answer> {
    const query = this.ops.get(operation);
    if (!query) throw new Error(`no contract operation ${operation}`);
    const answer: Answer = {
      operation,
      variables,
      process: to.name,
      startedAt: performance.now(),
      endedAt: 0,
      status: 0,
      data: null,
      errors: [],
      hit: null,
      ageMs: null,
      requestId: null,
      transportError: null,
    };
    try {
      const res = await fetch(`${to.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables, operationName: operation }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      answer.status = res.status;
      answer.requestId = res.headers.get('x-request-id');
      const text = await res.text();
      answer.endedAt = performance.now();
      let body: { data?: unknown; errors?: GraphQLErrorBody[]; extensions?: { cache?: { hit?: unknown; ageMs?: unknown } } };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        answer.transportError = `HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`;
        return answer;
      }
      answer.data = body.data ?? null;
      answer.errors = Array.isArray(body.errors) ? body.errors : [];
      const cache = body.extensions?.cache;
      answer.hit = typeof cache?.hit === 'boolean' ? cache.hit : null;
      answer.ageMs = typeof cache?.ageMs === 'number' ? cache.ageMs : null;
    } catch (err) {
      answer.endedAt = performance.now();
      answer.transportError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    return answer;
  }
}

/** The error codes of an answer (`NO_CODE` for an error without one). */
export function errorCodes(a: Answer): string[] {
  return a.errors.map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'NO_CODE'));
}

/** A successful answer: HTTP 200, no errors, data present. */
export function isClean(a: Answer): boolean {
  return a.transportError === null && a.status === 200 && a.errors.length === 0 && a.data != null;
}

/** Fetches text (metrics) with a timeout; null when it fails. */
export async function fetchText(url: string, timeoutMs = 10_000): Promise<string | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}
