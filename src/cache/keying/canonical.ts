import {
  getOperationAST,
  getVariableValues,
  Kind,
  parse,
  print,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { OperationRequest } from './keys';

export interface CanonicalOperation {
  /** The selected query and the fragments it uses, printed: comments, spacing and unrelated
   * operations of the document do not change it. */
  text: string;
  operation: OperationDefinitionNode;
  /** Every root field may be run by any reader: one answer for all roles. */
  sharedByReaders: boolean;
  /** Every root field is cached: identical misses are worth computing once across processes. */
  computeOnce: boolean;
  /** Coerced variables when the client sends none (computed on first use). */
  defaults?: string | null;
  /** Response keys already computed for this document, by role class and variables. */
  keys: Map<string, string>;
}

/** What a request's key is made of, with the document's key memo. */
export interface CanonicalRequest {
  text: string;
  /** The selected operation's name in the document ('' when anonymous), whether or not the client sent it. */
  operationName: string;
  variables: string;
  sharedByReaders: boolean;
  computeOnce: boolean;
  keys: Map<string, string>;
}

function usedFragments(doc: DocumentNode, set: SelectionSetNode, into: Map<string, FragmentDefinitionNode>): void {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FRAGMENT_SPREAD) {
      if (into.has(sel.name.value)) continue;
      const frag = doc.definitions.find((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === sel.name.value);
      if (!frag) continue;
      into.set(frag.name.value, frag);
      usedFragments(doc, frag.selectionSet, into);
    } else if (sel.selectionSet) usedFragments(doc, sel.selectionSet, into);
  }
}

/** False when any root field (through fragments too) is not in `fields`. */
function readersOnly(set: SelectionSetNode, doc: DocumentNode, readerFields: ReadonlySet<string>, seen = new Set<string>()): boolean {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      if (!sel.name.value.startsWith('__') && !readerFields.has(sel.name.value)) return false;
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      if (!readersOnly(sel.selectionSet, doc, readerFields, seen)) return false;
    } else if (!seen.has(sel.name.value)) {
      // A fragment cycle is invalid (Apollo's validation says so); here it just must not recurse.
      seen.add(sel.name.value);
      const frag = doc.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === sel.name.value);
      if (frag && frag.kind === Kind.FRAGMENT_DEFINITION && !readersOnly(frag.selectionSet, doc, readerFields, seen)) return false;
    }
  }
  return true;
}

/**
 * Maps a request to the key material of its answer. Parsing happens once per distinct document
 * text (a bounded memo), so the cache-hit path does not parse the documents clients repeat.
 * Variables are coerced with the operation's defaults, so `{}` and `{"recentLimit":30}` share
 * an answer. Returns null for anything that is not a single, valid-looking query.
 */
const MAX_MEMO_TEXT = 16 * 1024;

/**
 * `readerFields`: the root query fields every role may run (their answers do not depend on the
 * role); `cachedFields`: the root query fields whose answers are cached.
 */
export function createCanonicalizer(schema: GraphQLSchema, readerFields: ReadonlySet<string>, cachedFields: ReadonlySet<string>, maxDocuments = 2000) {
  const memo = new Map<string, CanonicalOperation | null>();

  function analyse(query: string, operationName: string | null | undefined): CanonicalOperation | null {
    try {
      return analyseParsed(parse(query, { noLocation: true }), operationName);
    } catch {
      return null; // not cacheable; Apollo answers whatever is wrong with it
    }
  }

  function analyseParsed(doc: DocumentNode, operationName: string | null | undefined): CanonicalOperation | null {
    const op = getOperationAST(doc, operationName);
    if (!op || op.operation !== 'query') return null;
    const fragments = new Map<string, FragmentDefinitionNode>();
    usedFragments(doc, op.selectionSet, fragments);
    const defs = [op, ...[...fragments.values()].sort((a, b) => a.name.value.localeCompare(b.name.value))];
    return {
      text: print({ kind: Kind.DOCUMENT, definitions: defs }),
      operation: op,
      sharedByReaders: readersOnly(op.selectionSet, doc, readerFields),
      computeOnce: readersOnly(op.selectionSet, doc, cachedFields),
      keys: new Map(),
    };
  }

  // Per request object: the HTTP layer hands repeated POST bodies over as one frozen object
  // (src/http/operation.ts), so a repeated request with variables skips coercing them again.
  const byRequest = new WeakMap<OperationRequest, CanonicalRequest | null>();

  return function canonical(op: OperationRequest): CanonicalRequest | null {
    if (!Object.isFrozen(op)) return canonicalOf(op);
    let known = byRequest.get(op);
    if (known === undefined) byRequest.set(op, (known = canonicalOf(op)));
    return known;
  };

  function canonicalOf(op: OperationRequest): CanonicalRequest | null {
    const memoKey = `${op.operationName ?? ''}\0${op.query}`;
    let found = memo.get(memoKey);
    if (found === undefined) {
      found = analyse(op.query, op.operationName);
      // Only documents of a dashboard's size are remembered: the memo stays small whatever is sent.
      if (op.query.length <= MAX_MEMO_TEXT) {
        if (memo.size >= maxDocuments) memo.delete(memo.keys().next().value as string);
        memo.set(memoKey, found);
      }
    }
    if (!found) return null;
    const none = !op.variables || Object.keys(op.variables).length === 0;
    if (none && found.defaults !== undefined) {
      return found.defaults === null ? null : { text: found.text, operationName: found.operation.name?.value ?? '', variables: found.defaults, sharedByReaders: found.sharedByReaders, computeOnce: found.computeOnce, keys: found.keys };
    }
    const coerced = getVariableValues(schema, found.operation.variableDefinitions ?? [], op.variables ?? {});
    const variables = coerced.errors ? null : JSON.stringify(coerced.coerced);
    if (none) found.defaults = variables;
    return variables === null ? null : { text: found.text, operationName: found.operation.name?.value ?? '', variables, sharedByReaders: found.sharedByReaders, computeOnce: found.computeOnce, keys: found.keys };
  }
}
