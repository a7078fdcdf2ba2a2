import {
  ChangeSetType,
  helper,
  type ChangeSet,
  type EventSubscriber,
  type FlushEventArgs,
  type TransactionEventArgs,
  type UnitOfWork,
} from '@mikro-orm/core';
import { entityTags, FEEDS, rootTag, type Effect } from './dependencies';

/** Where committed changes go: the response cache (or anything else that wants them). */
export interface InvalidationTarget {
  invalidate(scope: number, tags: string[]): Promise<number>;
  purge(scope: number): Promise<number>;
}

/** Tags to evict per scope, plus scopes to purge whole. */
export interface Pending {
  tags: Map<number, Set<string>>;
  purge: Set<number>;
}

type Row = { id?: number; hospital?: { id: number } } & Record<string, unknown>;

function scopeOf(className: string, entity: Row): number | null {
  if (className === 'Hospital') return entity.id ?? null;
  return entity.hospital?.id ?? null;
}

function add(p: Pending, scope: number, tags: Iterable<string>): void {
  let set = p.tags.get(scope);
  if (!set) p.tags.set(scope, (set = new Set()));
  for (const t of tags) set.add(t);
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

/** Reads the unit of work at flush time (before the SQL runs) into tags per scope. */
export function collectChanges(uow: UnitOfWork): Pending {
  const p: Pending = { tags: new Map(), purge: new Set() };
  for (const cs of uow.getChangeSets() as ChangeSet<Row>[]) {
    const type = cs.meta.className;
    const entity = (cs.type === ChangeSetType.DELETE ? (cs.originalEntity ?? cs.entity) : cs.entity) as Row;
    const scope = scopeOf(type, cs.entity);
    if (scope === null) continue;
    const feeds = FEEDS[type];
    if (type === 'Hospital' || !feeds) {
      p.purge.add(scope); // no declaration: be safe, drop the hospital's answers
      continue;
    }
    if (cs.type === ChangeSetType.CREATE) apply(p, scope, type, cs.entity, feeds.create);
    else if (cs.type === ChangeSetType.DELETE) apply(p, scope, type, { ...entity, ...cs.entity }, feeds.delete);
    else {
      for (const prop of Object.keys(cs.payload)) apply(p, scope, type, cs.entity, feeds.update[prop] ?? feeds.update['*'] ?? []);
    }
  }
  for (const coll of uow.getCollectionUpdates()) {
    const owner = coll.owner as Row;
    const type = helper(coll.owner).__meta.className;
    const scope = scopeOf(type, owner);
    if (scope === null) continue;
    const effects = FEEDS[type]?.collections?.[coll.property.name];
    if (effects) apply(p, scope, type, owner, effects);
    else p.purge.add(scope);
  }
  return p;
}

function merge(into: Pending, from: Pending): void {
  for (const [scope, tags] of from.tags) add(into, scope, tags);
  for (const scope of from.purge) into.purge.add(scope);
}

const isEmpty = (p: Pending) => p.tags.size === 0 && p.purge.size === 0;

/** MikroORM marks savepoints with a parent-transaction symbol; the root has none. */
function rootTransaction(trx: object): object {
  let current = trx as Record<symbol, unknown>;
  for (;;) {
    const sym = Object.getOwnPropertySymbols(current).find((s) => s.description === 'parentTransaction');
    const parent = sym ? current[sym] : undefined;
    if (!parent || typeof parent !== 'object') return current;
    current = parent as Record<symbol, unknown>;
  }
}

/**
 * Turns committed ORM changes into cache invalidations, after the commit and awaited (MikroORM
 * awaits async subscriber hooks), so a mutation answers only once its stale answers are gone.
 * Inside an explicit transaction, changes wait for the root commit and are dropped on rollback.
 */
export class CacheInvalidationSubscriber implements EventSubscriber {
  private readonly byTransaction = new WeakMap<object, Pending>();
  private readonly byFlush = new WeakMap<object, Pending>();

  constructor(private readonly target: InvalidationTarget) {}

  onFlush(args: FlushEventArgs): void {
    const changes = collectChanges(args.uow);
    if (isEmpty(changes)) return;
    const trx = args.em.getTransactionContext<object>();
    const key = trx ? rootTransaction(trx) : args.uow;
    const map = trx ? this.byTransaction : this.byFlush;
    const pending = map.get(key);
    if (pending) merge(pending, changes);
    else map.set(key, changes);
  }

  /** A flush outside any transaction committed its own implicit one. */
  async afterFlush(args: FlushEventArgs): Promise<void> {
    const pending = this.byFlush.get(args.uow);
    if (!pending) return;
    this.byFlush.delete(args.uow);
    await this.deliver(pending);
  }

  async afterTransactionCommit(args: TransactionEventArgs): Promise<void> {
    if (!args.transaction) return;
    const pending = this.byTransaction.get(args.transaction as object);
    if (!pending) return;
    this.byTransaction.delete(args.transaction as object);
    await this.deliver(pending);
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    if (args.transaction) this.byTransaction.delete(args.transaction as object);
  }

  private async deliver(p: Pending): Promise<void> {
    await Promise.all([
      ...[...p.purge].map((scope) => this.target.purge(scope)),
      ...[...p.tags].filter(([scope]) => !p.purge.has(scope)).map(([scope, tags]) => this.target.invalidate(scope, [...tags])),
    ]);
  }
}
