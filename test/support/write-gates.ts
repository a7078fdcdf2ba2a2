import type { EventSubscriber } from '@mikro-orm/core';
import type { Orm } from '../../src/db/orm';
import { onWriteLockWait } from '../../src/db/sqlite-write-lock';

export interface FlushHold {
  /** Resolves once the held flush has started: its transaction has done its reads. */
  reached: Promise<void>;
  /** Lets the held flush go on. */
  release(): void;
}

/**
 * Holds the next flush of `orm` (a mutation's writes, inside its transaction, after its reads)
 * until released: one writer of two that cross is stopped between its read and its write.
 */
export function holdNextFlush(orm: Orm): FlushHold {
  let reached = () => undefined as void;
  let release = () => undefined as void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const hold: FlushHold = { reached: new Promise<void>((resolve) => (reached = resolve)), release: () => release() };
  let armed = true;
  const subscriber: EventSubscriber = {
    async beforeFlush() {
      if (!armed) return;
      armed = false;
      reached();
      await held;
    },
  };
  orm.em.getEventManager().registerSubscriber(subscriber);
  return hold;
}

/** Resolves the first time a write of `orm` finds the SQLite write lock taken and waits for it. */
export function nextWriteLockWait(orm: Orm): Promise<void> {
  return new Promise<void>((resolve) => {
    const off = onWriteLockWait(orm, () => {
      off();
      resolve();
    });
  });
}
