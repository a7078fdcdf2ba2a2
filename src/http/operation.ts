import { getOperationAST, parse, type OperationTypeNode } from 'graphql';
import type { OperationRequest } from '../cache';

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

/** Bodies longer than this are parsed every time; with MEMO_ENTRIES that bounds the memo to ~8 MB. */
const MEMO_MAX_BYTES = 8_192;
const MEMO_ENTRIES = 1_000;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The operations of recently seen POST bodies. Dashboards send the same few bodies over and
 * over, and what parseJsonBody + operationOf make of a body depends only on its bytes and its
 * Content-Type, so both together are the memo key: a repeated request skips decoding and
 * JSON.parse on its way to the cache lookup. Entries are frozen copies shared by requests, so
 * they serve the lookup only; Apollo always gets a body parsed for its own request. Only
 * authenticated requests with a cacheable query add entries, and the memo is bounded (it
 * starts over when full). It decides nothing: auth, scoping and the store lookup still run
 * for every request.
 */
export function createOperationMemo() {
  const ops = new Map<string, OperationRequest>();
  return {
    /** The memo key of a POST body, or null when it is too large to keep. */
    keyOf(contentType: string | undefined, raw: Buffer): string | null {
      return raw.length > MEMO_MAX_BYTES ? null : `${contentType ?? ''}\n${raw.toString('latin1')}`;
    },
    get: (key: string): OperationRequest | undefined => ops.get(key),
    remember(key: string, op: OperationRequest): void {
      if (ops.size >= MEMO_ENTRIES) ops.clear();
      ops.set(key, deepFreeze(structuredClone(op)));
    },
  };
}

/**
 * The kind of operation a request selects (`query`, `mutation`, `subscription`; null when its
 * text does not parse or select one), for the answer's Cache-Control. Asked only of answers
 * Apollo computed (never on the hit path); memoised per text and name, bounded like the memo
 * above.
 */
export function createOperationKinds() {
  const kinds = new Map<string, OperationTypeNode | null>();
  return function kindOf(op: OperationRequest): OperationTypeNode | null {
    const id = `${op.operationName ?? ''}\n${op.query}`;
    let kind = kinds.get(id);
    if (kind === undefined) {
      try {
        kind = getOperationAST(parse(op.query), op.operationName)?.operation ?? null;
      } catch {
        kind = null;
      }
      if (op.query.length <= MEMO_MAX_BYTES) {
        if (kinds.size >= MEMO_ENTRIES) kinds.clear();
        kinds.set(id, kind);
      }
    }
    return kind;
  };
}
