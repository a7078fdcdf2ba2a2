/**
 * `npm run cache -- <command> [options]`: the operators' cache management commands (warm,
 * invalidate, keys, evict, stats, health, deps), run from a separate process against the
 * database (DATABASE_URL) and the shared Redis cache (REDIS_URL, CACHE_REDIS_PREFIX) of the
 * running gateways. Every command takes --json: one JSON document on stdout instead of text.
 *
 * Exit codes: 0 done / healthy, 1 failed / unhealthy, 2 bad usage or configuration.
 */
import { ConfigError } from '../config/config';
import { UsageError } from './args';
import type { Command } from './command';
import type { CliContext } from './context';
import { CliFailure, stdio, storeProblem, type Output } from './output';
import { depsCommand } from './commands/deps';
import { evictCommand } from './commands/evict';
import { healthCommand } from './commands/health';
import { keysCommand } from './commands/keys';
import { invalidateCommand } from './commands/invalidate';
import { statsCommand } from './commands/stats';
import { warmCommand } from './commands/warm';

export const COMMANDS: readonly Command[] = [warmCommand, invalidateCommand, keysCommand, evictCommand, statsCommand, healthCommand, depsCommand];

const width = Math.max(...COMMANDS.map((c) => c.name.length));
export const USAGE = `Usage: npm run cache -- <command> [options]

Manages the response cache shared by the running gateways, from a separate process: it uses
the same environment as the gateways (DATABASE_URL, REDIS_URL, CACHE_REDIS_PREFIX, …).
Without REDIS_URL each process has its own cache, which these commands cannot reach.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`npm run cache -- <command> --help\` for a command's options.
Exit codes: 0 done/healthy, 1 failed/unhealthy, 2 bad usage or configuration.
`;

const failure = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

/** A command that needs no database nor cache: its failures are reported as the others' are. */
async function runOffline(command: Command, run: () => Promise<number>, io: Output): Promise<number> {
  try {
    return await run();
  } catch (err) {
    io.err(err instanceof CliFailure ? `cache ${command.name}: ${err.message}` : `cache ${command.name}: failed: ${failure(err)}`);
    return err instanceof CliFailure ? err.exitCode : 1;
  }
}

/** Runs one command line (without node and script); resolves with the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: Output = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(`cache: a command is required\n\n${USAGE.trimEnd()}`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && !command) {
      io.err(`cache: unknown command "${topic}"\n\n${USAGE.trimEnd()}`);
      return 2;
    }
    io.out((command ? command.usage : USAGE).trimEnd());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`cache: unknown command "${name}"\n\n${USAGE.trimEnd()}`);
    return 2;
  }

  let prepared: ReturnType<Command['prepare']>;
  try {
    prepared = command.prepare(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`cache ${command.name}: ${err.message}\n\n${(err.usage ?? command.usage).trimEnd()}`);
    return 2;
  }
  if (prepared.help) {
    io.out(command.usage.trimEnd());
    return 0;
  }
  if ('offline' in prepared) return runOffline(command, () => prepared.offline(io), io);

  let ctx: CliContext;
  try {
    // Loaded only now: the gateway's modules take a while, and usage errors need none of them.
    const { openContext } = await import('./context');
    ctx = await openContext(env, io);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`cache: ${err.message}`);
      return 2;
    }
    io.err(`cache: could not open the database or the cache: ${failure(err)}`);
    return 1;
  }
  try {
    // Redis unreachable from the start: say so once, rather than per hospital and target.
    const problem = storeProblem(ctx);
    if (problem) throw new CliFailure(problem, 1);
    return await prepared.run(ctx);
  } catch (err) {
    if (err instanceof CliFailure) {
      io.err(`cache ${command.name}: ${err.message}`);
      return err.exitCode;
    }
    io.err(`cache ${command.name}: failed: ${failure(err)}`);
    return 1;
  } finally {
    await ctx.close().catch((err: unknown) => io.err(`cache: closing failed: ${failure(err)}`));
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`cache: failed: ${failure(err)}\n`);
      process.exitCode = 1;
    },
  );
}
