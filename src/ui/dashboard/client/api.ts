import type { DashboardConfig } from './config';

/** A read's answer and what the page shows about its age. */
export interface Answer<T> {
  data: T;
  /** extensions.cache of the answer (hit, ageMs), when the gateway sent it. */
  cache: { hit: boolean; ageMs: number } | null;
  /** When this browser received it (ms since the epoch). */
  receivedAt: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
  extensions?: { cache?: { hit?: boolean; ageMs?: number } };
}

/** The URL of a read by trusted-document id: `/graphql?documentId=…&variables=…` (no token in it). */
export function readUrl(config: DashboardConfig, name: keyof DashboardConfig['documents'], variables?: Record<string, unknown>): string {
  const params = new URLSearchParams({ documentId: config.documents[name] });
  if (variables && Object.keys(variables).length > 0) params.set('variables', JSON.stringify(variables));
  return `${config.endpoint}?${params.toString()}`;
}

/**
 * GET with the bearer token in the Authorization header. The browser's HTTP cache keeps each
 * answer and revalidates it with its ETag (`Cache-Control: private, no-cache` → 304 when the
 * data did not change), so an unchanged panel costs a 304, not the answer.
 */
export async function read<T>(config: DashboardConfig, token: string, name: keyof DashboardConfig['documents'], variables?: Record<string, unknown>): Promise<Answer<T>> {
  let res: Response;
  try {
    res = await fetch(readUrl(config, name, variables), { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  } catch (err) {
    throw new ApiError('NETWORK', `The gateway did not answer (${(err as Error).message})`);
  }
  let body: GraphQLBody<T>;
  try {
    body = (await res.json()) as GraphQLBody<T>;
  } catch {
    throw new ApiError(`HTTP_${res.status}`, `The gateway answered ${res.status} without JSON`);
  }
  const first = body.errors?.[0];
  if (first) throw new ApiError(first.extensions?.code ?? `HTTP_${res.status}`, first.message);
  if (!body.data) throw new ApiError(`HTTP_${res.status}`, 'The answer has no data');
  const cache = body.extensions?.cache;
  return {
    data: body.data,
    cache: cache && typeof cache.hit === 'boolean' && typeof cache.ageMs === 'number' ? { hit: cache.hit, ageMs: cache.ageMs } : null,
    receivedAt: Date.now(),
  };
}
