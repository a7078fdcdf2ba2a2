/**
 * Gateway processes as production runs them: `node --import tsx src/main.ts`, configured by the
 * environment only (NODE_ENV=production, JWT_SECRET, LOG_LEVEL=warn, the database and Redis;
 * every other setting at its default), pinned to one core. Their log lines (pino writes JSON to
 * stdout) are scanned as they come: "warm failed" warnings and every warn/error line are counted.
 */
import { join } from 'node:path';
import { freePort, spawnProcess, waitForUrl, type ManagedProcess } from '../../test/support/processes';
import { baseEnv } from '../../test/stress/cluster';
import { pinned } from './services';

export const ROOT = join(__dirname, '..', '..');
export const SECRET = 'hospital-day-bench-secret-0123456789-abcdefghij';

export interface GatewayProc {
  name: string;
  url: string;
  pid: number;
  /** Log lines so far: "warm failed" warnings, every line at warn or above, and a few examples of the latter. */
  logs: { warmFailed: number; warnOrWorse: number; examples: string[] };
  stop(): Promise<void>;
}

/** pino's numeric levels: 40 warn, 50 error, 60 fatal. */
function scanLogs(proc: ManagedProcess, logs: GatewayProc['logs']): void {
  let partial = '';
  const onData = (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes('warm failed')) logs.warmFailed += 1;
      const level = /"level":(\d+)/.exec(line);
      if (level && Number(level[1]) >= 40) {
        logs.warnOrWorse += 1;
        if (logs.examples.length < 5 && !line.includes('warm failed')) logs.examples.push(line.slice(0, 300));
      }
    }
  };
  proc.child.stdout?.on('data', onData);
  proc.child.stderr?.on('data', onData);
}

export async function startGateway(
  name: string,
  core: number | null,
  services: { databaseUrl: string; redisUrl: string },
  extraEnv: Record<string, string> = {},
): Promise<GatewayProc> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    JWT_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const [cmd, args] = pinned(core, process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')]);
  const proc = spawnProcess(`gateway ${name}`, cmd, args, { cwd: ROOT, env });
  const logs = { warmFailed: 0, warnOrWorse: 0, examples: [] as string[] };
  scanLogs(proc, logs);
  const url = `http://127.0.0.1:${port}`;
  const died = proc.exited.then((exit) => {
    throw new Error(`gateway ${name} exited ${JSON.stringify(exit)} while starting:\n${proc.output().slice(-3000)}`);
  });
  died.catch(() => undefined);
  await Promise.race([waitForUrl(`${url}/health`, { timeoutMs: 180_000, intervalMs: 250 }), died]);
  return {
    name,
    url,
    pid: proc.pid,
    logs,
    stop: async () => {
      const exit = await proc.stop(12_000);
      // In production Apollo stops on SIGTERM too and then re-raises it, so the process ends by
      // the signal before main.ts's own shutdown has finished: expected here, anything else is not.
      if (exit.code !== 0 && exit.signal !== 'SIGTERM') process.stderr.write(`gateway ${name} exited ${JSON.stringify(exit)}; last output:\n${proc.output().slice(-1500)}\n`);
    },
  };
}

export async function startGateways(count: number, core: number | null, services: { databaseUrl: string; redisUrl: string }): Promise<GatewayProc[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => startGateway(`g${i + 1}`, core, services)));
}
