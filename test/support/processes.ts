import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';

/**
 * Helpers for suites that run real processes (redis-server, gateway processes): spawn with the
 * output captured, wait for a line or a URL with a timeout, free ports, stop with a grace period.
 * Every process spawned here is also killed when the test process exits, whatever happened.
 */

/** Running children, and whether each leads a process group of its own. */
const live = new Map<ChildProcess, boolean>();

/** Signals a child, or its whole process group; false when it is already gone. */
function send(child: ChildProcess, group: boolean, sig: NodeJS.Signals): boolean {
  try {
    if (group && child.pid !== undefined) process.kill(-child.pid, sig);
    else return child.kill(sig);
    return true;
  } catch {
    return false; // ESRCH: already gone
  }
}
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [child, group] of live) send(child, group, 'SIGKILL');
  });
}

/** A port nobody listens on right now (the OS picks it; it is released before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** True when `cmd` can be run (e.g. `redis-server --version`). */
export function commandAvailable(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  return !r.error && r.status === 0;
}

/** `describe` when the command exists; otherwise fails under CI=true and skips loudly. */
export function describeWithCommand(cmd: string): jest.Describe {
  if (commandAvailable(cmd)) return describe;
  const message = `${cmd} is not on PATH`;
  if (process.env.CI === 'true') throw new Error(`${message}: CI=true requires it`);
  // eslint-disable-next-line no-console
  console.warn(`\n*** SKIPPING tests that need ${cmd}: ${message}. Install it to run them. ***\n`);
  return describe.skip;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout and stderr so far (interleaved, capped at the last 1 MB). */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Null while running. */
  exit(): Exit | null;
  /** Resolves with the first output line matching `pattern` (earlier output counts too). */
  waitForLine(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** To the process (or its whole group, for `group` spawns). */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL (to the whole group) after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<Exit>;
}

const OUTPUT_CAP = 1024 * 1024;

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Own process group, signalled as a whole: for launchers that run the real program as a child
   * (`tsx` does), so a SIGKILL cannot leave that child behind.
   */
  group?: boolean;
}

export function spawnProcess(name: string, cmd: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
  installExitHook();
  const group = options.group ?? false;
  const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
  if (child.pid === undefined) throw new Error(`${name}: could not spawn ${cmd}`);
  live.set(child, group);
  let text = '';
  let exitInfo: Exit | null = null;
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    if (text.length > OUTPUT_CAP) text = text.slice(text.length - OUTPUT_CAP);
    for (const l of [...listeners]) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(child);
      for (const l of [...listeners]) l();
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      text += `\n[spawn error] ${err.message}\n`;
      if (!exitInfo) {
        exitInfo = { code: null, signal: null };
        live.delete(child);
        for (const l of [...listeners]) l();
        resolve(exitInfo);
      }
    });
  });
  const tail = () => text.split('\n').slice(-40).join('\n');

  const proc: ManagedProcess = {
    name,
    child,
    pid: child.pid,
    output: () => text,
    exited,
    exit: () => exitInfo,
    waitForLine(pattern, timeoutMs = 30_000) {
      const matches = (line: string) => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line));
      return new Promise<string>((resolve, reject) => {
        const check = () => {
          const found = text.split('\n').find(matches);
          if (found !== undefined) return done(() => resolve(found));
          if (exitInfo) {
            return done(() =>
              reject(new Error(`${name} exited (${JSON.stringify(exitInfo)}) before printing ${String(pattern)}; output:\n${tail()}`)),
            );
          }
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`${name} did not print ${String(pattern)} within ${timeoutMs} ms; output:\n${tail()}`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    signal(sig) {
      if (!exitInfo) send(child, group, sig);
    },
    async stop(graceMs = 5000) {
      if (!exitInfo) {
        send(child, group, 'SIGCONT'); // a stopped process would never handle SIGTERM
        // To the leader only: a launcher relays it to its child once (tsx does); the whole
        // group would get it twice, and a second SIGTERM cuts a graceful shutdown short.
        send(child, false, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const forced = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            if (!exitInfo) send(child, group, 'SIGKILL');
            resolve();
          }, graceMs);
        });
        await Promise.race([exited, forced]);
        clearTimeout(timer);
      }
      const result = await exited;
      if (group) send(child, group, 'SIGKILL'); // whatever of the group outlived its leader
      return result;
    },
  };
  return proc;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `url` until `accept(response, body)` says yes (default: HTTP 200); rejects after
 * `timeoutMs` with the last status or error.
 */
export async function waitForUrl(
  url: string,
  options: { timeoutMs?: number; intervalMs?: number; accept?: (status: number, body: string) => boolean } = {},
): Promise<string> {
  const { timeoutMs = 30_000, intervalMs = 100, accept = (status) => status === 200 } = options;
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, Math.min(2000, deadline - Date.now()))) });
      const body = await res.text();
      if (accept(res.status, body)) return body;
      last = `HTTP ${res.status} ${body.slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(intervalMs);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms (last: ${last})`);
}

export type RedisAddress = { port: number } | { path: string };

/** Sends one inline command over a fresh connection; resolves with the first reply line. */
export function redisCommand(address: RedisAddress, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = 'path' in address ? createConnection({ path: address.path }) : createConnection({ host: '127.0.0.1', port: address.port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${command} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      const end = reply.indexOf('\r\n');
      if (end !== -1) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply.slice(0, end));
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

/** Polls PING until `+PONG` (not `-LOADING`): Redis has loaded its data and answers. */
export async function waitForRedis(address: RedisAddress, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    try {
      last = await redisCommand(address, 'PING');
      if (last === '+PONG') return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(50);
  }
  throw new Error(`redis at ${JSON.stringify(address)} did not answer PONG within ${timeoutMs} ms (last: ${last})`);
}

/**
 * A redis-server of the test's own, on a fixed port and data directory, so that it can be
 * stopped (SIGSTOP), killed (SIGKILL) and started again with its append-only file.
 */
export class RedisServer {
  private current: ManagedProcess | null = null;
  private starts = 0;

  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Unix socket of an `offline` start (no TCP port, so no client of the port can reach it). */
  get socketPath(): string {
    return join(this.dir, 'offline.sock');
  }

  get process(): ManagedProcess | null {
    return this.current;
  }

  /**
   * Starts (or restarts, from the same AOF) and waits for PONG. `offline`: listens only on
   * `socketPath`, not on the port, so the test can look at what the AOF brought back before any
   * client of the port sees it.
   */
  async start(options: { offline?: boolean } = {}): Promise<void> {
    if (this.current && !this.current.exit()) throw new Error('redis-server is already running');
    this.starts += 1;
    const listen = options.offline ? ['--port', '0', '--unixsocket', this.socketPath] : ['--port', String(this.port), '--bind', '127.0.0.1'];
    this.current = spawnProcess(`redis-server#${this.starts}`, 'redis-server', [
      ...listen,
      '--save', '',
      '--appendonly', 'yes',
      '--appendfsync', 'always',
      '--dir', this.dir,
    ]);
    try {
      await waitForRedis(options.offline ? { path: this.socketPath } : { port: this.port });
    } catch (err) {
      const output = this.current.output().slice(-4000);
      await this.kill();
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${output}`);
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.current) throw new Error('redis-server is not running');
    this.current.signal(sig);
  }

  /** SIGKILL: no shutdown, no final save; resolves once the process is gone (port released). */
  async kill(): Promise<void> {
    const p = this.current;
    if (!p || p.exit()) return;
    p.signal('SIGKILL');
    await p.exited;
  }

  /** For afterAll: gone whatever state it is in (a stopped process dies of SIGKILL too). */
  async destroy(): Promise<void> {
    await this.kill();
  }
}
