import type { WriteIntent } from '../stores/store';
import { entityTags, FEEDS, rootTag, type Effect } from './dependencies';

/**
 * A committed change, turned into what it evicts through FEEDS. Two producers call this: the ORM
 * subscriber (the gateway's own writes, with entities) and the change capture (every committed
 * change, read from the database's change log, with plain ids); both hand over the same shape.
 */

/** Tags to evict per scope, plus scopes to purge whole; the intents announced before commit. */
export interface Pending {
  tags: Map<number, Set<string>>;
  purge: Set<number>;
  intents?: Map<number, WriteIntent>;
}

/** What FEEDS needs of a changed row: its id and the ids of the rows it points at. */
export type Row = { id?: number; hospital?: { id: number } } & Record<string, unknown>;

export const emptyPending = (): Pending => ({ tags: new Map(), purge: new Set() });

export const isEmpty = (p: Pending) => p.tags.size === 0 && p.purge.size === 0;

function add(p: Pending, scope: number, tags: Iterable<string>): void {
  let set = p.tags.get(scope);
  if (!set) p.tags.set(scope, (set = new Set()));
  for (const t of tags) set.add(t);
}

export function merge(into: Pending, from: Pending): void {
  for (const [scope, tags] of from.tags) add(into, scope, tags);
  for (const scope of from.purge) into.purge.add(scope);
}

function apply(p: Pending, scope: number, type: string, entity: Row, effects: Effect[]): void {
  for (const e of effects) {
    if ('root' in e) add(p, scope, [rootTag(e.root)]);
    else if ('self' in e) {
      if (entity.id != null) add(p, scope, entityTags(type, entity.id, e.self));
    } else {
      const target = entity[e.related] as { id?: number } | undefined;
      if (target?.id != null) add(p, scope, entityTags(e.type, target.id, e.facet));
    }
  }
}

/**
 * One row created, updated (`props`: the changed property names) or deleted. A type without
 * declarations (a hospital) purges its whole scope: safe, if blunt.
 */
export function feedChange(p: Pending, scope: number, type: string, op: 'create' | 'update' | 'delete', entity: Row, props: readonly string[] = []): void {
  const feeds = FEEDS[type];
  if (type === 'Hospital' || !feeds) {
    p.purge.add(scope);
    return;
  }
  if (op === 'create') apply(p, scope, type, entity, feeds.create);
  else if (op === 'delete') apply(p, scope, type, entity, feeds.delete);
  else for (const prop of props) apply(p, scope, type, entity, feeds.update[prop] ?? feeds.update['*'] ?? []);
}

/** The members of a collection (M:N, a patient's tags) changed. */
export function feedCollection(p: Pending, scope: number, type: string, owner: Row, property: string): void {
  const effects = FEEDS[type]?.collections?.[property];
  if (effects) apply(p, scope, type, owner, effects);
  else p.purge.add(scope);
}
