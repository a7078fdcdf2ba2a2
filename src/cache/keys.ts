import { hash } from 'node:crypto';

export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * Bounds of the memo below: clients repeat a handful of requests, so when it is full it simply
 * starts over. Long documents or variables are hashed every time instead of being kept, so the
 * memo holds at most ~1,000 × 16 KB of text.
 */
const MEMO_ENTRIES = 10_000;
const MEMO_DOCUMENTS = 1_000;
const MEMO_MAX_TEXT = 16_384;
const MEMO_MAX_VARIABLES = 512;

/**
 * Keys by canonical text (the canonicalizer hands out one string per document, so this lookup
 * is by identity and the string's cached hash), then by role class and variables.
 */
const memo = new Map<string, Map<string, string>>();
let memoEntries = 0;

function digest(roleClass: string, canonicalText: string, variables: string): string {
  // The same digest as feeding the NUL-separated parts to a Hash object one by one, at about
  // half the cost (no Hash object per call).
  return hash('sha256', `${roleClass}\0${canonicalText}\0${variables}`, 'base64url');
}

/**
 * The response key: the role class, the canonical operation text and its coerced variables
 * (src/cache/canonical.ts). The hospital is not in the hash: it is the key's scope (prefix).
 * A pure function of its arguments, so it is memoised: a hit then costs two Map lookups
 * instead of a SHA-256 over the whole document.
 */
export function responseKey(roleClass: string, canonicalText: string, variables: string): string {
  if (variables.length > MEMO_MAX_VARIABLES || canonicalText.length > MEMO_MAX_TEXT) return digest(roleClass, canonicalText, variables);
  let byRest = memo.get(canonicalText);
  const rest = `${roleClass}\0${variables}`;
  const known = byRest?.get(rest);
  if (known !== undefined) return known;
  const key = digest(roleClass, canonicalText, variables);
  if (memoEntries >= MEMO_ENTRIES || (!byRest && memo.size >= MEMO_DOCUMENTS)) {
    memo.clear();
    memoEntries = 0;
    byRest = undefined;
  }
  if (!byRest) memo.set(canonicalText, (byRest = new Map()));
  byRest.set(rest, key);
  memoEntries += 1;
  return key;
}
