import type { DocumentRegistry, TrustedDocument } from '../contract/documents';
import { HttpError } from './body';

/** The `extensions.code` of an unknown id, and of query text where only ids are accepted. */
export const PERSISTED_QUERY_NOT_FOUND = 'PERSISTED_QUERY_NOT_FOUND';

export interface DocumentResolverOptions {
  registry: DocumentRegistry;
  /** TRUSTED_DOCUMENTS_ONLY: a request without a documentId is refused before anything runs. */
  only: boolean;
}

export interface DocumentResolver {
  /** A POST body, with `documentId` replaced by the document's `query` and `operationName`. */
  body(body: unknown): unknown;
  /** A GET query string (`?…`), the same way. */
  search(search: string): string;
}

/**
 * Trusted documents at the door: a request naming a `documentId` becomes, before the token, the
 * cache lookup or Apollo see it, the same request with the document's text as `query` (and its
 * name as `operationName`, which the cache key ignores). Everything after (keys, hits, the
 * refusal of mutations over GET with a 405) treats both alike. Refusals are 400s that run
 * nothing: an unknown id, or query text in trusted-only mode (PERSISTED_QUERY_NOT_FOUND); an id
 * together with query text, or with another operation's name (BAD_REQUEST).
 */
export function createDocumentResolver({ registry, only }: DocumentResolverOptions): DocumentResolver {
  function chosen(documentId: unknown, hasQuery: boolean, operationName: unknown): TrustedDocument | null {
    if (documentId === undefined || documentId === null) {
      if (only) throw new HttpError(400, 'This gateway runs trusted documents only: send a documentId instead of query text.', PERSISTED_QUERY_NOT_FOUND);
      return null;
    }
    if (hasQuery) throw new HttpError(400, 'Send either a documentId or a query, not both.');
    if (typeof documentId !== 'string') throw new HttpError(400, 'documentId must be a string.');
    const document = registry.get(documentId);
    if (!document) throw new HttpError(400, 'No trusted document has this documentId.', PERSISTED_QUERY_NOT_FOUND);
    if (operationName != null && operationName !== document.name) {
      throw new HttpError(400, `operationName does not match the document: its operation is ${document.name}.`);
    }
    return document;
  }

  return {
    body(body) {
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        // Batches and empty or malformed bodies are Apollo's to refuse, unless only ids run.
        if (only) chosen(undefined, false, undefined);
        return body;
      }
      const { documentId, ...rest } = body as Record<string, unknown>;
      const document = chosen(documentId, rest.query != null, rest.operationName);
      return document ? { ...rest, query: document.text, operationName: document.name } : body;
    },
    search(search) {
      if (!search && !only) return search;
      const params = new URLSearchParams(search);
      const document = chosen(params.get('documentId'), params.has('query'), params.get('operationName'));
      if (!document) return search;
      params.delete('documentId');
      params.set('query', document.text);
      params.set('operationName', document.name);
      return `?${params.toString()}`;
    },
  };
}
