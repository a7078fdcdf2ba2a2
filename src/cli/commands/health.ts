import { JSON_OPTION, parseHospital, parseOptions, parseSeconds, stringValue } from '../args';
import type { Command } from '../command';
import type { CliContext } from '../context';
import { plural } from '../format';
import { printJson } from '../output';
import type { Principal } from '../../auth/tokens';
import { hotOperations, WARM_TARGETS, type WarmTarget } from '../../jobs/hot-operations';

export const DEFAULT_MAX_AGE_SECONDS = 600;

/** Ages in seconds, like --max-age: "312s", with a decimal below 10 s ("0.4s"). */
const seconds = (ms: number) => (ms < 10_000 ? `${(Math.floor(ms / 100) / 10).toFixed(1)}s` : `${Math.floor(ms / 1000)}s`);

export const HEALTH_USAGE = `Usage: npm run cache -- health [--max-age SECONDS] [--hospital H] [--json]

Checks that every hot answer (${WARM_TARGETS.join(', ')}) of every hospital is in the
shared cache now, under the very key the frontend's request uses, and is not too old.

Options:
  --max-age S    oldest acceptable answer, in seconds (default ${DEFAULT_MAX_AGE_SECONDS}; decimals allowed)
  --hospital H   only hospital H (default: every hospital in the database)
  --json         one JSON document on stdout: {healthy, maxAgeSeconds, checks: [{hospitalId,
                 target, state (present, too_old, missing, not_cacheable), ageMs}]}
  -h, --help     show this help

Exit code 0: "all N hot answers present, oldest Xs". Exit code 1: every missing or too old
answer is listed on stderr (run: npm run cache -- warm).
`;

export interface HealthOptions {
  hospital: number | null;
  maxAgeSeconds: number;
  json: boolean;
}

export function parseHealthArgs(args: readonly string[]): { help: true } | { help: false; options: HealthOptions } {
  const { help, values } = parseOptions(args, { 'max-age': { type: 'string' }, hospital: { type: 'string' }, ...JSON_OPTION }, HEALTH_USAGE);
  if (help) return { help: true };
  return {
    help: false,
    options: {
      hospital: parseHospital(stringValue(values, 'hospital'), HEALTH_USAGE),
      maxAgeSeconds: parseSeconds(stringValue(values, 'max-age'), 'max-age', DEFAULT_MAX_AGE_SECONDS, HEALTH_USAGE),
      json: values.json === true,
    },
  };
}

type Check = { hospitalId: number; target: WarmTarget } & ({ state: 'present' | 'too old'; ageMs: number } | { state: 'missing' | 'unavailable' | 'not cacheable' });

export async function runHealth(ctx: CliContext, options: HealthOptions): Promise<number> {
  const hospitals = await ctx.hospitals(options.hospital);
  const { cache } = ctx.gateway;
  const ops = hotOperations();
  const maxAgeMs = options.maxAgeSeconds * 1000;
  const checks: Check[] = [];
  for (const hospital of hospitals) {
    // A viewer of the hospital: read answers are shared by every role ("reader" key class).
    const principal: Principal = { userId: 'cli', hospitalId: hospital.id, role: 'viewer' };
    for (const target of WARM_TARGETS) {
      const key = cache.keyFor(principal, ops[target]);
      if (key === null) {
        checks.push({ hospitalId: hospital.id, target, state: 'not cacheable' });
        continue;
      }
      const found = await cache.store.lookup(hospital.id, key);
      const now = Date.now();
      if (found.hit) {
        const ageMs = Math.max(0, now - found.hit.storedAt);
        checks.push({ hospitalId: hospital.id, target, state: ageMs > maxAgeMs ? 'too old' : 'present', ageMs });
      } else {
        // A null fence on a miss: the store is degraded (Redis did not answer), not a real miss.
        checks.push({ hospitalId: hospital.id, target, state: found.fence === null ? 'unavailable' : 'missing' });
      }
    }
  }
  const unavailable = checks.filter((c) => c.state === 'unavailable').length;
  if (unavailable > 0) {
    ctx.err(`health: cannot tell whether ${plural(unavailable, 'hot answer')} of ${checks.length} are cached: the cache store (${ctx.describeCache()}) does not answer`);
    return 1;
  }
  const bad = checks.filter((c) => c.state !== 'present');
  if (options.json) {
    printJson(ctx, { healthy: bad.length === 0, maxAgeSeconds: options.maxAgeSeconds, checks: checks.map((c) => ({ ageMs: null, ...c, state: c.state.replace(' ', '_') })) });
    return bad.length === 0 ? 0 : 1;
  }
  if (checks.length === 0) {
    ctx.out('health: the database has no hospitals; no hot answers to check');
    return 0;
  }
  if (bad.length === 0) {
    const present = checks.flatMap((c) => (c.state === 'present' ? [c] : []));
    const oldest = present.reduce((a, b) => (b.ageMs > a.ageMs ? b : a));
    ctx.out(
      `health: all ${checks.length} hot answers present, oldest ${seconds(oldest.ageMs)} ` +
        `(hospital ${oldest.hospitalId} ${oldest.target}; max age ${options.maxAgeSeconds}s)`,
    );
    return 0;
  }
  const count = (state: Check['state']) => bad.filter((c) => c.state === state).length;
  const parts = (['missing', 'too old', 'not cacheable'] as const).filter((s) => count(s) > 0).map((s) => `${count(s)} ${s}`);
  ctx.err(`health: ${bad.length} of ${checks.length} hot answers not served from the cache (${parts.join(', ')}; max age ${options.maxAgeSeconds}s):`);
  for (const c of bad) {
    const detail =
      c.state === 'too old'
        ? `too old: ${seconds(c.ageMs)} (max ${options.maxAgeSeconds}s)`
        : c.state === 'not cacheable'
          ? 'not cacheable (the operation has no cache key)'
          : 'missing';
    ctx.err(`  hospital ${c.hospitalId} ${c.target}: ${detail}`);
  }
  if (count('missing') + count('too old') > 0) ctx.err('health: warm them with: npm run cache -- warm');
  return 1;
}

export const healthCommand: Command = {
  name: 'health',
  summary: 'check that every hot answer is cached now and not too old (exit 1 if not)',
  usage: HEALTH_USAGE,
  prepare(args) {
    const parsed = parseHealthArgs(args);
    return parsed.help ? parsed : { help: false, run: (ctx) => runHealth(ctx, parsed.options) };
  },
};
