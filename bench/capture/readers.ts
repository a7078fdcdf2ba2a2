/**
 * Reads through the gateways while the writer commits: a few readers that keep Dashboard,
 * WardMapping and Patient answers cached (so the capture has something to evict), the warming of
 * each rename's Patient just before it (so the old name is a cached hit when the rename commits),
 * and the polling of Patient(id) after each rename until the new name shows ("visible lag").
 * Every answer goes through the freshness check.
 */
import type { Freshness } from './freshness';
import { observe } from './freshness';

export interface Gql {
  (gateway: number, op: string, variables?: Record<string, unknown>): Promise<{ data: unknown; hit: boolean | undefined; start: number; end: number }>;
  gateways: number;
}

/** A GraphQL client over the gateways' URLs; an answer with errors or a non-200 status throws. */
export function gqlClient(urls: string[], ops: Map<string, string>, token: string): Gql {
  const call = async (gateway: number, op: string, variables: Record<string, unknown> = {}) => {
    const query = ops.get(op);
    if (!query) throw new Error(`no contract operation ${op}`);
    const start = Date.now();
    const res = await fetch(`${urls[gateway]}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(20_000),
    });
    const body = (await res.json()) as { data?: unknown; errors?: unknown; extensions?: { cache?: { hit?: boolean } } };
    if (res.status !== 200 || body.errors) throw new Error(`${op} via gateway ${gateway + 1}: HTTP ${res.status} ${JSON.stringify(body.errors ?? body).slice(0, 200)}`);
    return { data: body.data, hit: body.extensions?.cache?.hit, start, end: Date.now() };
  };
  return Object.assign(call, { gateways: urls.length });
}

export interface ReadStats {
  reads: number;
  hits: number;
  errors: number;
  errorExamples: string[];
}

export const newReadStats = (): ReadStats => ({ reads: 0, hits: 0, errors: 0, errorExamples: [] });

/** One checked read; null if it failed (counted). */
export async function checkedRead(gql: Gql, fresh: Freshness, stats: ReadStats, gateway: number, op: string, variables?: Record<string, unknown>) {
  try {
    const a = await gql(gateway, op, variables);
    stats.reads++;
    if (a.hit) stats.hits++;
    for (const [key, value] of observe(op, a.data)) fresh.check(key, value, a.start, op);
    return a;
  } catch (err) {
    stats.errors++;
    if (stats.errorExamples.length < 3) stats.errorExamples.push(err instanceof Error ? err.message : String(err));
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `count` readers until `stop()`: Dashboard 30%, WardMapping 30%, Patient of a hot patient 40%, ~30 ms apart. */
export function startReaders(gql: Gql, fresh: Freshness, hot: number[], count: number) {
  const stats = newReadStats();
  let running = true;
  let n = 0;
  const loop = async (r: number) => {
    while (running) {
      const i = n++;
      const x = (i * 7 + r * 3) % 10;
      const gateway = (i + r) % gql.gateways;
      if (x < 3) await checkedRead(gql, fresh, stats, gateway, 'Dashboard');
      else if (x < 6) await checkedRead(gql, fresh, stats, gateway, 'WardMapping');
      else await checkedRead(gql, fresh, stats, gateway, 'Patient', { id: String(hot[(i * 13) % hot.length]) });
      await sleep(30);
    }
  };
  const loops = Array.from({ length: count }, (_, r) => loop(r));
  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Patient(id) through every gateway until it is a hit: the old answer is cached before the rename. */
export async function warmPatient(gql: Gql, fresh: Freshness, stats: ReadStats, id: number): Promise<boolean> {
  let all = true;
  for (let g = 0; g < gql.gateways; g++) {
    let hit = false;
    for (let k = 0; k < 3 && !hit; k++) hit = (await checkedRead(gql, fresh, stats, g, 'Patient', { id: String(id) }))?.hit === true;
    all &&= hit;
  }
  return all;
}

export interface Visible {
  /** Commit returned → the first answer with the new name arrived (ms); null: not within the patience. */
  ms: number | null;
  /** The first poll answered the old name from the cache (the eviction was what made it fresh). */
  staleHitFirst: boolean;
  polls: number;
}

/** Polls Patient(id) through one gateway every `everyMs` until it shows `name`. */
export async function pollUntilVisible(gql: Gql, fresh: Freshness, stats: ReadStats, gateway: number, id: number, name: string, committedAt: number, everyMs = 20, patienceMs = 10_000): Promise<Visible> {
  let polls = 0;
  let staleHitFirst = false;
  while (Date.now() - committedAt < patienceMs) {
    const a = await checkedRead(gql, fresh, stats, gateway, 'Patient', { id: String(id) });
    polls++;
    const shown = (a?.data as { patient?: { name?: string } } | undefined)?.patient?.name;
    if (a && shown === name) return { ms: a.end - committedAt, staleHitFirst, polls };
    if (polls === 1 && a?.hit) staleHitFirst = true;
    await sleep(everyMs);
  }
  return { ms: null, staleHitFirst, polls };
}
