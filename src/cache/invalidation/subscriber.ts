import {
  ChangeSetType,
  helper,
  type ChangeSet,
  type EventSubscriber,
  type FlushEventArgs,
  type TransactionEventArgs,
  type UnitOfWork,
} from '@mikro-orm/core';
import { CacheStoreUnavailableError } from '../../errors/errors';
import type { Logger } from '../../observability/logger';
import type { WriteIntent } from '../stores/store';
import { emptyPending, feedChange, feedCollection, isEmpty, merge, type Pending, type Row } from './feed';
import { WriteReport } from './write-report';

/** Where committed changes go: the response cache (or anything else that wants them). */
export interface InvalidationTarget {
  beginWrite(scope: number): Promise<WriteIntent>;
  releaseWrite(intent: WriteIntent): Promise<void>;
  invalidate(scope: number, tags: string[], intent?: WriteIntent): Promise<number>;
  purge(scope: number, intent?: WriteIntent): Promise<number>;
}

function scopeOf(className: string, entity: Row): number | null {
  if (className === 'Hospital') return entity.id ?? null;
  return entity.hospital?.id ?? null;
}

/** Reads the unit of work at flush time (before the SQL runs) into tags per scope. */
export function collectChanges(uow: UnitOfWork): Pending {
  const p = emptyPending();
  for (const cs of uow.getChangeSets() as ChangeSet<Row>[]) {
    const type = cs.meta.className;
    const entity = (cs.type === ChangeSetType.DELETE ? (cs.originalEntity ?? cs.entity) : cs.entity) as Row;
    const scope = scopeOf(type, cs.entity);
    if (scope === null) continue;
    if (cs.type === ChangeSetType.CREATE) feedChange(p, scope, type, 'create', cs.entity);
    else if (cs.type === ChangeSetType.DELETE) feedChange(p, scope, type, 'delete', { ...entity, ...cs.entity });
    else feedChange(p, scope, type, 'update', cs.entity, Object.keys(cs.payload));
  }
  for (const coll of uow.getCollectionUpdates()) {
    const owner = coll.owner as Row;
    const type = helper(coll.owner).__meta.className;
    const scope = scopeOf(type, owner);
    if (scope !== null) feedCollection(p, scope, type, owner, coll.property.name);
  }
  return p;
}


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

const reportOf = (em: FlushEventArgs['em']): WriteReport | null => {
  const report = em.getLoggerContext({ disableContextResolution: true }).cacheWrites;
  return report instanceof WriteReport ? report : null;
};

/**
 * Turns committed ORM changes into cache invalidations, in two steps around the transaction:
 * - before BEGIN, the caller's hospital gets a write intent in the store (before, so that no
 *   database lock is held while Redis is waited for); if the store cannot confirm it, the write
 *   is refused and nothing changes. A transaction that touches another hospital too gets that
 *   hospital's intent before COMMIT;
 * - after COMMIT, the invalidation runs and is awaited (MikroORM awaits async subscriber hooks),
 *   so a mutation answers only once its stale answers are gone. If the store cannot confirm it
 *   in time, the write is reported through the request's WriteReport (the client is told), and
 *   the open intent makes every process purge the hospital before serving it again.
 * Inside an explicit transaction, changes wait for the root commit and are dropped on rollback.
 */
export class CacheInvalidationSubscriber implements EventSubscriber {
  private readonly byTransaction = new WeakMap<object, Pending>();
  private readonly byFlush = new WeakMap<object, Pending>();

  constructor(
    private readonly target: InvalidationTarget,
    private readonly logger: Logger,
  ) {}

  private async announce(scope: number): Promise<WriteIntent> {
    try {
      return await this.target.beginWrite(scope);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, hospitalId: scope }, 'write refused: the cache store did not confirm its write intent');
      throw new CacheStoreUnavailableError();
    }
  }

  async beforeTransactionStart(args: TransactionEventArgs): Promise<void> {
    const report = reportOf(args.em);
    if (report?.hospitalId == null) return;
    if (report.intent) await this.target.releaseWrite(report.intent); // left by a failed start
    report.intent = null;
    report.intent = await this.announce(report.hospitalId);
  }

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

  private pendingOf(args: TransactionEventArgs): Pending | undefined {
    return (args.transaction && this.byTransaction.get(args.transaction as object)) || (args.uow && this.byFlush.get(args.uow)) || undefined;
  }

  async beforeTransactionCommit(args: TransactionEventArgs): Promise<void> {
    const pending = this.pendingOf(args);
    if (!pending) return;
    const report = reportOf(args.em);
    const intents = new Map<number, WriteIntent>();
    if (report?.intent) intents.set(report.intent.scope, report.intent);
    pending.intents = intents;
    for (const scope of new Set([...pending.tags.keys(), ...pending.purge])) {
      if (!intents.has(scope)) intents.set(scope, await this.announce(scope));
    }
  }

  /** A flush outside any explicit transaction committed its own implicit one. */
  async afterFlush(args: FlushEventArgs): Promise<void> {
    const pending = this.byFlush.get(args.uow);
    if (!pending) return;
    this.byFlush.delete(args.uow);
    await this.deliver(pending, args.em);
  }

  async afterTransactionCommit(args: TransactionEventArgs): Promise<void> {
    const pending = args.transaction ? this.byTransaction.get(args.transaction as object) : undefined;
    if (pending) {
      this.byTransaction.delete(args.transaction as object);
      await this.deliver(pending, args.em);
    } else if (!(args.uow && this.byFlush.has(args.uow))) {
      await this.releaseOwn(args.em); // nothing changed: the intent is not needed
    }
  }

  async afterTransactionRollback(args: TransactionEventArgs): Promise<void> {
    const pending = this.pendingOf(args);
    if (args.transaction) this.byTransaction.delete(args.transaction as object);
    if (args.uow) this.byFlush.delete(args.uow);
    const own = reportOf(args.em)?.intent;
    await Promise.all([...(pending?.intents?.values() ?? [])].filter((i) => i !== own).map((i) => this.target.releaseWrite(i)));
    await this.releaseOwn(args.em);
  }

  private async releaseOwn(em: FlushEventArgs['em']): Promise<void> {
    const report = reportOf(em);
    if (!report?.intent) return;
    const intent = report.intent;
    report.intent = null;
    await this.target.releaseWrite(intent);
  }

  private async deliver(p: Pending, em: FlushEventArgs['em']): Promise<void> {
    const report = reportOf(em);
    const intents = p.intents ?? new Map<number, WriteIntent>();
    if (report?.intent && !intents.has(report.intent.scope)) intents.set(report.intent.scope, report.intent);
    const scopes = new Set([...p.purge, ...p.tags.keys()]);
    const results = await Promise.allSettled([
      ...[...p.purge].map((scope) => this.target.purge(scope, intents.get(scope))),
      ...[...p.tags].filter(([scope]) => !p.purge.has(scope)).map(([scope, tags]) => this.target.invalidate(scope, [...tags], intents.get(scope))),
    ]);
    // An intent of a hospital this transaction did not change after all is released.
    if (report?.intent) {
      if (!scopes.has(report.intent.scope)) await this.target.releaseWrite(report.intent);
      report.intent = null;
    }
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length === 0) return;
    // Committed already: the write stands. Tell the request, and log for the operator.
    if (report) report.unconfirmed += failed.length;
    this.logger.error(
      { err: (failed[0].reason as Error).message, hospitals: [...scopes] },
      'committed write not confirmed by the cache store: its hospital stays fenced off until purged',
    );
  }
}
