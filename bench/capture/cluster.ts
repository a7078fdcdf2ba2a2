/**
 * A private PostgreSQL cluster (initdb on a free port and a temporary directory; as root, run as
 * the `postgres` user), after test/support/own-postgres.ts, but with the server's settings given
 * per start (wal_level), fsync left on (commits cost what they cost in production), a copy of the
 * data directory for a second cluster with the same rows, and removal of everything at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/processes';

const asRoot = process.getuid?.() === 0;

export function postgresBin(): string {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b)) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return join('/usr/lib/postgresql', versions[versions.length - 1], 'bin');
}

function ownedByPostgres(path: string): void {
  if (!asRoot) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  chownSync(path, uid, gid);
}

/** Clusters not removed yet: an interrupted run removes them on its way out. */
export const liveClusters = new Set<Cluster>();

export class Cluster {
  private running = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** initdb in a new temporary directory. */
  static async create(): Promise<Cluster> {
    const dir = mkdtempSync(join(tmpdir(), 'wardcache-capbench-pg-'));
    chmodSync(dir, 0o700);
    ownedByPostgres(dir);
    const c = new Cluster(dir, await freePort());
    liveClusters.add(c);
    c.run('initdb', ['-D', c.data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    return c;
  }

  /** A second cluster with a copy of this one's data directory (this one must be stopped). */
  async copy(): Promise<Cluster> {
    if (this.running) throw new Error('stop the cluster before copying it');
    const dir = mkdtempSync(join(tmpdir(), 'wardcache-capbench-pg-'));
    chmodSync(dir, 0o700);
    ownedByPostgres(dir);
    const c = new Cluster(dir, await freePort());
    liveClusters.add(c);
    execFileSync('cp', ['-a', this.data, c.data]);
    return c;
  }

  get data(): string {
    return join(this.dir, 'data');
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Connection arguments for the client tools (pgbench, pg_recvlogical, psql). */
  clientArgs(database: string): string[] {
    return ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', database];
  }

  private run(tool: string, args: string[]): void {
    const cmd = join(postgresBin(), tool);
    const r = asRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8', timeout: 120_000 })
      : spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  }

  /** Starts the server with `settings` (name → value) on top of initdb's defaults. */
  start(settings: Record<string, string> = {}): void {
    const opts = [`-p ${this.port}`, `-k ${this.dir}`, '-c listen_addresses=127.0.0.1', ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)];
    this.run('pg_ctl', ['-D', this.data, '-l', join(this.dir, 'log'), '-w', '-t', '60', '-o', opts.join(' '), 'start']);
    this.running = true;
  }

  stop(): void {
    if (!this.running) return;
    this.run('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', '-t', '60', 'stop']);
    this.running = false;
  }

  /** Stops it (if running) and deletes its directory. */
  remove(): void {
    try {
      this.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
      liveClusters.delete(this);
    }
  }
}
