/**
 * What every command shares without loading the gateway (so that usage errors and --help answer
 * fast): output, the failure type, and the store check.
 */
import type { CliContext } from './context';

/** A failure with a message for the operator and an exit code (no usage text). */
export class CliFailure extends Error {
  override name = 'CliFailure';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface Output {
  /** One line on stdout (results). */
  out(line: string): void;
  /** One line on stderr (warnings, failures). */
  err(line: string): void;
}

export const stdio: Output = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** A message when Redis does not answer (the store is degraded), else null. */
export function storeProblem(ctx: CliContext): string | null {
  if (ctx.gateway.cache.store.state() === 'up') return null;
  return `the cache store (${ctx.describeCache()}) does not answer`;
}

/** The one JSON document a command prints with --json (indented: read by people too, parsed by scripts). */
export function printJson(io: Output, doc: unknown): void {
  io.out(JSON.stringify(doc, null, 2));
}
