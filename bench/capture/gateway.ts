/**
 * A gateway process as production runs it (`node --import tsx src/main.ts`, NODE_ENV=production,
 * LOG_LEVEL=warn, configured by the environment only; see bench/hospital-day/gateways.ts), whose
 * warn-or-worse log lines are counted by message, so the report can say what went wrong.
 */
import { join } from 'node:path';
import { baseEnv } from '../../test/stress/cluster';
import { freePort, spawnProcess, waitForUrl } from '../../test/support/processes';

export const ROOT = join(__dirname, '..', '..');
export const SECRET = 'capture-bench-secret-0123456789-abcdefghijklmn';

export interface GatewayProc {
  name: string;
  url: string;
  pid: number;
  /** pino message → { level, count, first line's other fields (shortened) }. */
  problems: Map<string, { level: number; count: number; example: string }>;
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;

export async function startGateway(name: string, env: Record<string, string>): Promise<GatewayProc> {
  const port = await freePort();
  const proc = spawnProcess(`gateway ${name}`, process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { ...baseEnv(), NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), JWT_SECRET: SECRET, LOG_LEVEL: 'warn', ...env },
  });
  const problems: GatewayProc['problems'] = new Map();
  let partial = '';
  const onData = (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      let entry: Json;
      try {
        entry = JSON.parse(line) as Json;
      } catch {
        if (line.trim()) entry = { level: 50, msg: `(not JSON) ${line.slice(0, 200)}` };
        else continue;
      }
      const level = Number(entry.level ?? 0);
      if (level < 40) continue;
      const msg = String(entry.msg ?? '(no msg)');
      const seen = problems.get(msg);
      if (seen) seen.count++;
      else {
        const { level: _l, time: _t, service: _s, msg: _m, ...rest } = entry;
        problems.set(msg, { level, count: 1, example: JSON.stringify(rest).slice(0, 400) });
      }
    }
  };
  proc.child.stdout?.on('data', onData);
  proc.child.stderr?.on('data', onData);
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
    problems,
    stop: async () => {
      const exit = await proc.stop(12_000);
      // Apollo re-raises SIGTERM after its own stop: ending by the signal is expected.
      if (exit.code !== 0 && exit.signal !== 'SIGTERM') process.stderr.write(`gateway ${name} exited ${JSON.stringify(exit)}; last output:\n${proc.output().slice(-1500)}\n`);
    },
  };
}
