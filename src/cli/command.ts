import type { CliContext } from './context';
import type { Output } from './output';

/**
 * What a command's parse step returns: help, the work to do once the context (database, cache)
 * is open, or work that needs neither (`offline`: the dependency map is declarations only).
 */
export type Prepared =
  | { help: true }
  | { help: false; run: (ctx: CliContext) => Promise<number> }
  | { help: false; offline: (io: Output) => Promise<number> };

export interface Command {
  name: string;
  /** One line for the global usage. */
  summary: string;
  usage: string;
  /** Parses the command's arguments (throws UsageError) before anything is opened. */
  prepare(args: readonly string[]): Prepared;
}
