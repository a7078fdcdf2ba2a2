import { DefaultLogger, type LogContext, type LoggerOptions } from '@mikro-orm/core';

/**
 * Counts the SQL statements of one request. A class instance (not a plain object) so that
 * MikroORM's merging of logger contexts passes it by reference to every query of the fork.
 */
export class SqlCounter {
  count = 0;
}

/**
 * MikroORM's own logger, which also counts each query into the `sqlCounter` of its logger
 * context (set per request with `em.fork({ loggerContext: { sqlCounter } })`). Cheaper than an
 * AsyncLocalStorage, which would slow every promise of the process, cache hits included.
 */
export class SqlCountingLogger extends DefaultLogger {
  constructor(options: LoggerOptions) {
    super(options);
  }

  override logQuery(context: { query: string } & LogContext & { sqlCounter?: unknown }): void {
    if (context.sqlCounter instanceof SqlCounter) context.sqlCounter.count += 1;
    super.logQuery(context);
  }
}
