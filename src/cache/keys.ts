import { createHash } from 'node:crypto';
import type { Role } from '../auth/roles';

export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * The response key: the caller's role and the request exactly as sent (document text,
 * operation name, variables). The hospital is not in the hash because it is the key's scope
 * (its prefix). Computed once per request from the raw body, so the HTTP fast path and the
 * envelop plugin agree on it without parsing the document.
 */
export function responseKey(role: Role, op: OperationRequest): string {
  return createHash('sha256')
    .update(role)
    .update('\0')
    .update(op.operationName ?? '')
    .update('\0')
    .update(op.query)
    .update('\0')
    .update(op.variables ? JSON.stringify(op.variables) : '{}')
    .digest('base64url');
}
