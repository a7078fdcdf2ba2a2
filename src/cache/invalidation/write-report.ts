import type { WriteIntent } from '../stores/store';

/**
 * One request's writes as the cache sees them. Handed to the request's EntityManager through
 * its logger context (a class instance, so MikroORM's merge of logger contexts passes it by
 * reference to transaction forks), so the ORM subscriber can find it, and read back when the
 * answer is sent.
 */
export class WriteReport {
  /** Committed changes whose invalidation the store did not confirm. */
  unconfirmed = 0;
  /** The write intent of the transaction running now (transactions of a request are sequential). */
  intent: WriteIntent | null = null;

  /** `hospitalId`: the caller's hospital, announced before each transaction starts. */
  constructor(readonly hospitalId: number | null = null) {}
}
