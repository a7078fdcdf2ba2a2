/**
 * The gateway under test, as its own process (run.ts pins it to core 0). Configured from the
 * environment like src/main.ts; counts SQL statements through MikroORM's onQuery and answers
 * run.ts over IPC (statement count, cache counters, purge of a scope to force misses).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config';
import { createGateway } from '../src/gateway';
import { serveIpc } from './lib/proc';

async function main(): Promise<void> {
  let statements = 0;
  const gateway = await createGateway(loadConfig(process.env), {
    ormOverrides: {
      onQuery: (sql: string) => {
        statements += 1;
        return sql;
      },
    },
  });
  const url = await gateway.listen();
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  process.once('SIGTERM', () => {
    // A clean exit, so `--cpu-prof` writes its profile.
    gateway.close().finally(() => process.exit(0));
  });
  serveIpc(
    {
      stats: () => ({ statements, ...gateway.cache.counters }),
      /** Event-loop delay since the last call (ms): a stalled loop shows here, not in CPU use. */
      loopDelay: () => {
        const out = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
        delay.reset();
        return out;
      },
      purge: async (msg) => ({ removed: await gateway.cache.invalidation.purge(Number(msg.scope)) }),
    },
    { url, backend: gateway.cache.store.backend },
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway-server failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
