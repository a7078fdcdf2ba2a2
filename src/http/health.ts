import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Orm } from '../db/orm';
import { sendJson } from './graphql-handler';

export interface CacheHealth {
  backend: 'memory' | 'redis';
  state: 'up' | 'degraded';
}

/** `/health`: the process answers. */
export function healthRoute(_req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' });
}

async function databaseUp(orm: Orm, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = orm.em
    .getConnection()
    .execute('select 1')
    .then(() => true)
    .catch(() => false);
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What /ready says of the change capture (src/capture). */
export interface CaptureHealth {
  state: 'off' | 'up' | 'lagging' | 'down';
  boundMs: number;
  failClosedMs: number;
  appliedAgeMs: number | null;
  error: string | null;
  /** This process reads the change log now. */
  reader: boolean;
}

/**
 * `/ready`: 200 only while the database answers; the cache's and the change capture's states
 * are reported either way (while capture is down the cache is bypassed, so answers stay right).
 */
export function readyRoute(orm: Orm, cache: () => CacheHealth, capture: () => CaptureHealth) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const db = await databaseUp(orm, 2000);
    sendJson(res, db ? 200 : 503, { status: db ? 'ready' : 'unavailable', database: db ? 'up' : 'down', cache: cache(), capture: capture() });
  };
}
