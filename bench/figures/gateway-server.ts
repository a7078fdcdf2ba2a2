/**
 * A gateway under test for bench/figures/run.ts, configured from the environment like
 * src/main.ts; BENCH_RECORD_FIGURES=0 leaves its requests out of the figures (the recorder is
 * not called), which is what the run compares against. Answers over IPC with the figures'
 * own count of hits, so the run can check every hit was (or was not) recorded.
 */
import { loadConfig } from '../../src/config/config';
import { createGateway } from '../../src/gateway';
import { serveIpc } from '../lib/proc';

async function main(): Promise<void> {
  const gateway = await createGateway(loadConfig(process.env), { recordFigures: process.env.BENCH_RECORD_FIGURES !== '0' });
  const url = await gateway.listen();
  process.once('SIGTERM', () => {
    gateway.close().finally(() => process.exit(0));
  });
  serveIpc(
    {
      recorded: async () => {
        const self = (await gateway.figures.read(1)).processes.find((p) => p.self);
        return { hits: self?.hits ?? 0, misses: self?.misses ?? 0 };
      },
    },
    { url },
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`figures gateway-server failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
