import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kind, parse, print, visit, type OperationDefinitionNode, type OperationTypeNode } from 'graphql';
import { OPERATIONS_FILE } from './operations';

/**
 * Trusted documents: every operation of the contract (operations.graphql) has an id, so a client
 * can send `documentId` instead of the operation's text, and a gateway can refuse any other text
 * (TRUSTED_DOCUMENTS_ONLY).
 *
 * What is hashed: graphql-js 16's `print()` of a document holding that one operation definition,
 * `print({ kind: Kind.DOCUMENT, definitions: [definition] })`, as UTF-8. Printing drops comments,
 * blank lines and the other definitions of the file and indents by two spaces; there is no
 * trailing newline. The id is `sha256:` and the digest in lowercase hex (71 characters). The
 * printed text is also what runs, so a request by id and the same text sent as `query` are one
 * request to everything after the HTTP layer (same cache entries).
 */
export interface TrustedDocument {
  /** `sha256:<64 lowercase hex digits>` */
  id: string;
  /** The operation's name (what `operationName` must be, if a request sends one). */
  name: string;
  kind: OperationTypeNode;
  /** The printed definition: exactly the hashed text, and what runs. */
  text: string;
}

export interface DocumentRegistry {
  /** The document with this id (exact match: `sha256:` and lowercase hex). */
  get(id: string): TrustedDocument | undefined;
  /** Operation name → id, in the contract's order. */
  ids(): Record<string, string>;
}

/** The text a trusted document's id is the hash of (see TrustedDocument). */
export function documentText(definition: OperationDefinitionNode): string {
  return print({ kind: Kind.DOCUMENT, definitions: [definition] });
}

export function documentIdOf(text: string): string {
  return `sha256:${hash('sha256', text, 'hex')}`;
}

/**
 * The trusted documents of an operations file (default: the contract's copy in this folder).
 * Refuses, at start, what would make an id ambiguous or unrunnable: an unnamed or repeated
 * operation, or one that spreads a fragment (its one-definition document could not run).
 */
export function createDocumentRegistry(source: string = readFileSync(OPERATIONS_FILE, 'utf8')): DocumentRegistry {
  const byId = new Map<string, TrustedDocument>();
  const ids: Record<string, string> = {};
  for (const definition of parse(source).definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) {
      throw new Error(`Trusted documents: operations.graphql may hold operations only, not a ${definition.kind}`);
    }
    const name = definition.name?.value;
    if (!name) throw new Error('Trusted documents: every operation needs a name');
    if (name in ids) throw new Error(`Trusted documents: the operation ${name} is defined twice`);
    visit(definition, {
      FragmentSpread(spread) {
        throw new Error(`Trusted documents: ${name} spreads the fragment ${spread.name.value}; an id covers one operation definition, so operations may not use fragments`);
      },
    });
    const text = documentText(definition);
    const document: TrustedDocument = { id: documentIdOf(text), name, kind: definition.operation, text };
    byId.set(document.id, document);
    ids[name] = document.id;
  }
  return {
    get: (id) => byId.get(id),
    ids: () => ({ ...ids }),
  };
}
