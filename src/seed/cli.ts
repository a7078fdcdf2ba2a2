/**
 * `npm run seed -- --hospitals 2 --wards 40 --patients 20000 --events 25 --seed 1`
 *
 * Replaces every row of the database named by DATABASE_URL (default: the SQLite file
 * data/wardcache.sqlite) with the reference data set of ../shared/dataset: exactly the rows
 * that `reference-generator.mjs` writes for the same arguments. It writes around the ORM, so
 * it drops the cached answers of the replaced hospitals from the shared Redis itself (a gateway
 * with an in-process cache must be restarted).
 */
import { parseArgs } from 'node:util';
import { parseDatabaseUrl, type DatabaseConfig } from '../config/config';
import { initORM, migrate } from '../db/orm';
import { purgeSharedCache } from '../cache';
import { Hospital } from '../modules/hospital/hospital.entity';
import { seedDatabase, type SeedOptions } from './seed';

export const USAGE = `Usage: npm run seed -- [options]

Replaces ALL data in the database named by DATABASE_URL (file:/path.sqlite or
postgres://…; default data/wardcache.sqlite) with the reference data set: exactly
the rows of ../shared/dataset/reference-generator.mjs for the same arguments.

Options:
  --hospitals H   hospitals, ids 1..H                  (default 2)
  --wards W       wards per hospital, 20-40 beds each  (default 40)
  --patients P    patients per hospital                (default 20000)
  --events E      mean clinical events per patient, 0+ (default 25)
  --seed S        random seed, 0+; same arguments, same rows (default 1)
  -h, --help      show this help
`;

/** The reference generator's defaults. */
const DEFAULTS = { hospitals: 2, wards: 40, patients: 20000, events: 25, seed: 1 } as const;
/** Options that may be 0 (as in the generator); the others must be positive. */
const ZERO_ALLOWED: ReadonlySet<string> = new Set(['events', 'seed']);
type NumericOption = keyof typeof DEFAULTS;
const NUMERIC_OPTIONS = Object.keys(DEFAULTS) as NumericOption[];

export class UsageError extends Error {
  override name = 'UsageError';
}

export type CliCommand = { help: true } | { help: false; options: SeedOptions };

/** Parses the command line (without node and script); throws UsageError on bad input. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        hospitals: { type: 'string' },
        wards: { type: 'string' },
        patients: { type: 'string' },
        events: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return { help: true };
  const options: SeedOptions = { ...DEFAULTS };
  for (const key of NUMERIC_OPTIONS) {
    const raw = values[key];
    if (raw === undefined) continue;
    const text = String(raw).trim();
    const n = Number(text);
    const min = ZERO_ALLOWED.has(key) ? 0 : 1;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) {
      throw new UsageError(`--${key} must be a ${min === 0 ? 'non-negative' : 'positive'} integer, got "${String(raw)}"`);
    }
    options[key] = n;
  }
  return { help: false, options };
}

/** For messages: the database without its password. */
export function describeDatabase(db: DatabaseConfig): string {
  if (db.kind === 'sqlite') return `sqlite ${db.path}`;
  try {
    const url = new URL(db.url);
    if (url.password) url.password = '***';
    return `postgresql ${url.toString()}`;
  } catch {
    return 'postgresql (unparseable URL)';
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`seed: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (command.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { options } = command;
  const db = parseDatabaseUrl(process.env.DATABASE_URL);
  const where = describeDatabase(db);
  // Progress goes to stderr, and only for a terminal: stdout carries the one-line summary.
  const progress = process.stderr.isTTY ? (msg: string) => process.stderr.write(`seed: ${msg}\n`) : undefined;
  // The migrator logs through the ORM logger (stdout by default); keep stdout for the summary.
  const orm = await initORM(db, { logger: (msg: string) => process.stderr.write(`${msg}\n`) });
  try {
    await migrate(orm);
    const before = await orm.em.fork().find(Hospital, {}, { fields: ['id'] });
    const s = await seedDatabase(orm, options, progress);
    // The seed writes around the ORM, so no invalidation ran: drop the old answers explicitly.
    const scopes = new Set([...before.map((h) => h.id), ...Array.from({ length: options.hospitals }, (_, i) => i + 1)]);
    const purge = await purgeSharedCache(process.env, scopes);
    if (purge && !purge.ok) process.stderr.write('seed: WARNING: Redis did not answer; restart the gateways to drop cached answers\n');
    process.stdout.write(
      `Seeded ${where} (seed ${options.seed}): ${s.hospitals} hospitals, ${s.wards} wards, ${s.tags} tags, ` +
        `${s.patients} patients, ${s.admissions} open and ${s.dischargedAdmissions} discharged admissions, ${s.events} events ` +
        `in ${(s.ms / 1000).toFixed(1)}s\n`,
    );
    return 0;
  } finally {
    await orm.close(true);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`seed: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
