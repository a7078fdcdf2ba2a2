import type { ConsoleConfig } from './config';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A refused token does not get better by asking again: the console signs out on these. */
export const isRefusal = (err: ApiError): boolean => err.code === 'FORBIDDEN' || err.code === 'UNAUTHENTICATED';

interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

export type Gql = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

/**
 * POSTs to the gateway's own /graphql (a relative URL: the page's CSP allows no other origin),
 * with the admin token in the Authorization header and no cookies. The first GraphQL error
 * becomes an ApiError with its `extensions.code`.
 */
export function createGql(config: ConsoleConfig, token: string): Gql {
  return async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(config.endpoint, {
        method: 'POST',
        credentials: 'omit',
        cache: 'no-store',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
    } catch (err) {
      throw new ApiError('NETWORK', `The gateway did not answer (${(err as Error).message})`);
    }
    let body: GraphQLBody<T>;
    try {
      body = (await res.json()) as GraphQLBody<T>;
    } catch {
      throw new ApiError(`HTTP ${res.status}`, 'The gateway did not answer with GraphQL.');
    }
    const first = body.errors?.[0];
    if (first) throw new ApiError(first.extensions?.code ?? 'ERROR', first.message);
    if (!body.data) throw new ApiError(`HTTP ${res.status}`, 'The answer has no data.');
    return body.data;
  };
}
