import { hash } from 'node:crypto';

export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * The response key: the role class, the canonical operation text and its coerced variables
 * (src/cache/canonical.ts). The hospital is not in the hash: it is the key's scope (prefix).
 * Callers remember it per document (the canonicalizer's entries), so a hit does not hash.
 */
export function responseKey(roleClass: string, canonicalText: string, variables: string): string {
  // One string to hash: the same digest as the NUL-separated parts fed one by one, at about
  // half the cost (no Hash object per call).
  return hash('sha256', `${roleClass}\0${canonicalText}\0${variables}`, 'base64url');
}
