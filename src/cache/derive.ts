import type { CanonicalRequest } from './keying/canonical';
import type { OperationRequest } from './keying/keys';
import type { Fence, Lookup, ResponseStore, StoredResponse } from './stores/store';

/**
 * An answer computed from another cached answer instead of the database (e.g. a filtered ward
 * map from the whole one). Only for requests whose document is exactly `base`'s, with
 * variables `applies` accepts; the base is looked up as `base` without variables, and what it
 * shows is exactly as fresh as the base.
 */
export interface AnswerDerivation {
  base: { query: string; operationName: string };
  applies(variables: Record<string, unknown> | null | undefined): boolean;
  /** The derived `data`, from the base's `data` and the request's coerced variables. */
  derive(baseData: unknown, variables: Record<string, unknown>): unknown;
}

/** A derived hit, with the fence read with its base. */
export type Derived = { hit: StoredResponse; fence: Fence };

const MAX_DERIVED_PER_BASE = 512;

/**
 * Answers a miss from the cached base when a derivation applies: the derived hit, null when no
 * derivation applies or the base is not cached either (or a promise of that, like a lookup).
 */
export function createDerivations(derivations: readonly AnswerDerivation[], canonical: (op: OperationRequest) => CanonicalRequest | null) {
  const known = derivations.map((d) => ({ ...d, text: canonical({ ...d.base, variables: null })?.text }));
  /** Per base body (the very Buffer a store returns for one stored copy): its parsed data and derived bodies. */
  const derivedFrom = new WeakMap<Buffer, { data: unknown; bodies: Map<string, Buffer> }>();

  return function derived(store: ResponseStore, scope: number, op: OperationRequest, c: CanonicalRequest, baseKey: (base: OperationRequest) => string | null): Derived | null | Promise<Derived | null> {
    if (known.length === 0) return null;
    const d = known.find((x) => x.text === c.text && x.applies(op.variables));
    const key = d ? baseKey({ ...d.base, variables: null }) : null;
    if (!d || key === null) return null;
    const settle = (found: Lookup): Derived | null => {
      if (!found.hit) return null;
      let memo = derivedFrom.get(found.hit.body);
      if (!memo) derivedFrom.set(found.hit.body, (memo = { data: (JSON.parse(found.hit.body.toString('utf8')) as { data: unknown }).data, bodies: new Map() }));
      let body = memo.bodies.get(c.variables);
      if (!body) {
        body = Buffer.from(JSON.stringify({ data: d.derive(memo.data, JSON.parse(c.variables) as Record<string, unknown>) }));
        if (memo.bodies.size < MAX_DERIVED_PER_BASE) memo.bodies.set(c.variables, body);
      }
      return { hit: { body, storedAt: found.hit.storedAt, freshUntil: found.hit.freshUntil }, fence: found.fence };
    };
    const found = store.lookup(scope, key);
    return found instanceof Promise ? found.then(settle) : settle(found);
  };
}
