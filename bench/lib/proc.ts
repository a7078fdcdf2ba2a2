import { spawn, type ChildProcess } from 'node:child_process';

/** A child process pinned to one core, spoken to over Node's IPC channel (request → reply). */
export interface Pinned {
  readonly proc: ChildProcess;
  /** The first `{ type: 'ready' }` message the child sends. */
  readonly ready: Promise<Record<string, unknown>>;
  call<T = Record<string, unknown>>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

export interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

/** `taskset -c <core> node --import tsx [nodeArgs] <script>`: taskset execs, so the pid is node's. */
export function spawnPinned(core: number, script: string, env: Record<string, string>, nodeArgs: string[] = []): Pinned {
  const proc = spawn('taskset', ['-c', String(core), process.execPath, '--import', 'tsx', ...nodeArgs, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    proc.once('exit', (code, signal) => {
      exited = true;
      for (const w of waiting.values()) w.reject(new Error(`${script} exited (${code ?? signal})`));
      resolve();
    }),
  );
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    proc.on('message', (msg: Record<string, unknown>) => {
      if (msg.type === 'ready') resolve(msg);
      const reply = msg as unknown as Reply;
      const w = typeof reply.id === 'number' ? waiting.get(reply.id) : undefined;
      if (!w) return;
      waiting.delete(reply.id);
      if (reply.error) w.reject(new Error(reply.error));
      else w.resolve(reply.result);
    });
  });
  ready.catch(() => undefined); // observed by whoever awaits it

  return {
    proc,
    ready,
    call<T>(cmd: string, args: Record<string, unknown> = {}) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        proc.send({ id, cmd, ...args });
      });
    },
    async stop() {
      if (exited) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Child side: answers `{ id, cmd }` messages from the handlers and announces readiness. */
export function serveIpc(handlers: Record<string, (msg: Record<string, unknown>) => Promise<unknown> | unknown>, ready: Record<string, unknown>): void {
  const send = (msg: unknown) => process.send?.(msg);
  process.on('message', (msg: Record<string, unknown>) => {
    const id = msg.id as number;
    const handler = handlers[msg.cmd as string];
    if (!handler) return send({ id, error: `unknown command ${String(msg.cmd)}` });
    Promise.resolve()
      .then(() => handler(msg))
      .then(
        (result) => send({ id, result }),
        (err: unknown) => send({ id, error: err instanceof Error ? err.stack ?? err.message : String(err) }),
      );
  });
  // The driver died without stopping us: end too (SIGTERM runs the process's own shutdown).
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  send({ type: 'ready', ...ready });
}
