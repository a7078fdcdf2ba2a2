import { hash } from 'node:crypto';

export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * The response key: the role class, the canonical operation text and its coerced variables
 * (src/cache/canonical.ts). The hospital is not in the hash: it is the key's scope (prefix).
 * One-shot `crypto.hash` over the NUL-joined parts: the same digest as feeding the parts to a
 * Hash object one by one, at about half the cost (no Hash object per request).
 */
export function responseKey(roleClass: string, canonicalText: string, variables: string): string {
  return hash('sha256', `${roleClass}\0${canonicalText}\0${variables}`, 'base64url');
}
