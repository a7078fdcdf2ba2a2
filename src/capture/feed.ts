import { emptyPending, feedChange, feedCollection, type Pending } from '../cache';
import type { ChangeRow } from './log';

/** Column → ORM property per entity (`latest_event_at` → `latestEventAt`, `ward_id` → `ward`). */
export type PropertyNames = ReadonlyMap<string, ReadonlyMap<string, string>>;

const OPS = { c: 'create', u: 'update', d: 'delete' } as const;

/**
 * Rows of the change log into what they evict (but rows of this cache's own gateways, see
 * origin.ts), through the same declarations as the ORM's own
 * changes (FEEDS). `everything`: a row that names no hospital (a truncate, a bulk load, a tag
 * row whose patient is gone) drops every hospital's answers, the only safe reading of it.
 */
export function feedRows(rows: readonly ChangeRow[], properties: PropertyNames, ownOrigin: string | null = null): { pending: Pending; everything: boolean } {
  const pending = emptyPending();
  let everything = false;
  for (const r of rows) {
    if (ownOrigin !== null && r.origin === ownOrigin) continue; // evicted already by this cache's ORM subscriber
    if (r.op === 't' || r.hospitalId === null) {
      everything = true;
      continue;
    }
    const scope = r.hospitalId;
    const entity = { id: r.rowId ?? undefined, hospital: { id: scope }, patient: r.patientId === null ? undefined : { id: r.patientId } };
    if (r.op === 'l') {
      feedCollection(pending, scope, r.entity, entity, r.props ?? '');
      continue;
    }
    const names = properties.get(r.entity);
    const props = (r.props ?? '').split(',').filter(Boolean).map((column) => names?.get(column) ?? column);
    feedChange(pending, scope, r.entity, OPS[r.op], entity, props);
  }
  return { pending, everything };
}
