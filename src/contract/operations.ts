import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';

/**
 * The operations the ward dashboard frontend and the admin console send, copied verbatim from
 * the shared contract (a test keeps the copy identical). Each one is also available as its own
 * document, printed the way a client that sends one operation per request would send it.
 */
export const OPERATIONS_FILE = join(__dirname, 'operations.graphql');

export function loadContractOperations(file = OPERATIONS_FILE): Map<string, string> {
  const doc = parse(readFileSync(file, 'utf8'));
  const ops = new Map<string, string>();
  for (const def of doc.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION && def.name) {
      ops.set(def.name.value, print(def as OperationDefinitionNode));
    }
  }
  return ops;
}
