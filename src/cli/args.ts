import { parseArgs } from 'node:util';

/** Bad command line: the main prints the message and the usage text on stderr and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** The usage text to print with the message (the command's own, or the global one). */
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
export type ParsedValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** util.parseArgs, strict and without positionals, with -h/--help always allowed. */
export function parseOptions(args: readonly string[], options: OptionSpec, usage: string): { help: boolean; values: ParsedValues } {
  try {
    const { values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    });
    return { help: values.help === true, values: values as ParsedValues };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), usage);
  }
}

/** The last value of a string option (a repeated option: the last one wins, as usual). */
export function stringValue(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof last === 'string' ? last : undefined;
}

/** Every value of a `multiple` string option, comma lists split: `--target A,B --target C`. */
export function stringList(values: ParsedValues, name: string): string[] {
  const v = values[name];
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return all
    .filter((x): x is string => typeof x === 'string')
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean);
}

/** A hospital id: a positive integer. */
export function parseHospital(raw: string | undefined, usage: string): number | null {
  if (raw === undefined) return null;
  const text = raw.trim();
  const n = Number(text);
  if (!/^[1-9][0-9]*$/.test(text) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--hospital must be a positive integer (a hospital id), got "${raw}"`, usage);
  }
  return n;
}

/** Seconds, non-negative, decimals allowed (`--max-age 0.5`). */
export function parseSeconds(raw: string | undefined, name: string, fallback: number, usage: string): number {
  if (raw === undefined) return fallback;
  const text = raw.trim();
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n)) {
    throw new UsageError(`--${name} must be a number of seconds (0 or more), got "${raw}"`, usage);
  }
  return n;
}

/** An integer within [min, max] (`--limit 50`), or the fallback when absent. */
export function parseInteger(raw: string | undefined, name: string, range: { min: number; max: number; fallback: number }, usage: string): number {
  if (raw === undefined) return range.fallback;
  const text = raw.trim();
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || n < range.min || n > range.max) {
    throw new UsageError(`--${name} must be a whole number from ${range.min} to ${range.max}, got "${raw}"`, usage);
  }
  return n;
}

/** The option every command takes: one JSON document on stdout instead of text. */
export const JSON_OPTION = { json: { type: 'boolean' } } as const satisfies OptionSpec;
