import type { OperationRequest } from '../cache/keys';

/**
 * The single operation a request carries, read from a POST body or a GET query string without
 * parsing the document; null for anything else (batches, malformed input: Apollo answers those).
 */
export function operationOf(method: string | undefined, body: unknown, search: string): OperationRequest | null {
  if (method === 'POST') {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
    const { query, operationName, variables } = body as Record<string, unknown>;
    if (typeof query !== 'string') return null;
    if (operationName != null && typeof operationName !== 'string') return null;
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
    return { query, operationName: operationName ?? null, variables: (variables as Record<string, unknown>) ?? null };
  }
  if (method === 'GET') {
    const params = new URLSearchParams(search);
    const query = params.get('query');
    if (!query) return null;
    let variables: Record<string, unknown> | null = null;
    const raw = params.get('variables');
    if (raw) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
        variables = parsed as Record<string, unknown>;
      } catch {
        return null;
      }
    }
    return { query, operationName: params.get('operationName'), variables };
  }
  return null;
}

/** Mutations are never cached, so they skip the lookup. */
export function looksLikeMutation(query: string): boolean {
  return /^\s*mutation\b/.test(query);
}
