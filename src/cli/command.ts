import type { CliContext } from './context';

/** What a command's parse step returns: help, or the work to do once the context is open. */
export type Prepared = { help: true } | { help: false; run: (ctx: CliContext) => Promise<number> };

export interface Command {
  name: string;
  /** One line for the global usage. */
  summary: string;
  usage: string;
  /** Parses the command's arguments (throws UsageError) before anything is opened. */
  prepare(args: readonly string[]): Prepared;
}
