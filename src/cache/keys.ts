import { createHash } from 'node:crypto';

export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * The response key: the role class, the canonical operation text and its coerced variables
 * (src/cache/canonical.ts). The hospital is not in the hash: it is the key's scope (prefix).
 */
export function responseKey(roleClass: string, canonicalText: string, variables: string): string {
  return createHash('sha256').update(roleClass).update('\0').update(canonicalText).update('\0').update(variables).digest('base64url');
}
