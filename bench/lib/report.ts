import type { Measured } from './hits';
import { cpuPerResponse, cpuSummary } from './hits';
import type { InvalidationCase } from './invalidation';

/** A latency distribution's tail, in ms. */
export interface Stall {
  p99: number;
  max: number;
}

/**
 * The gateway's stores: `memory` (no REDIS_URL), `redis` (REDIS_URL, CACHE_LOCAL_MAX_MB=0: every
 * hit reads its body from Redis) and `redis-local` (REDIS_URL, default CACHE_LOCAL_MAX_MB: the
 * in-process tier over Redis).
 */
export type GatewayStore = 'memory' | 'redis' | 'redis-local';

/** One gateway under hit load, measured in the same interleaved slices as the limits. */
export interface GatewayHit {
  store: GatewayStore;
  /** What sets this gateway apart, when more than its store (the 1 s Redis budget). */
  variant?: string;
  gateway: Measured;
  /** Requests under hit load the gateway counted as misses (must be 0). */
  gatewayMisses: number;
  /** SQL statements the gateway ran under hit load (misses and sampled self-checks). */
  statements: number;
  /** The gateway's event-loop delay over the whole interleaved measurement. */
  loopDelay: Stall;
  /** Memory store only: the same gateway with CACHE_VERIFY_RATE=0 (the self-check's cost). */
  noVerify?: Measured;
  /** Hits the gateway checked in the background during the measurement. */
  verifications?: number;
}

/** One read of the contract under hit load: the two limits and every gateway store. */
export interface HitCase {
  name: string;
  /** The request, for the report (operation and variables). */
  request: string;
  answerBytes: number;
  /** bench/bare-server.ts, BARE_STORE=memory: node:http, the same JWT check, the bytes from memory. */
  limit: Measured;
  /** bench/bare-server.ts, BARE_STORE=redis: the same, the bytes from one Redis GET. */
  limitRedis: Measured;
  /** limit-redis's own GET times under that load. */
  redisGet: Stall;
  /** For reference: the limit with jose's HMAC check on every request (no verified-token cache). */
  limitJose?: Measured;
  gateways: GatewayHit[];
  /** WardMapping: a redis-local gateway with CACHE_REDIS_TIMEOUT_MS=1000, for default / 1 s. */
  budget1s?: GatewayHit;
}

export interface MissRow {
  name: string;
  store: GatewayStore;
  samples: number[];
  sqlPerMiss: number[];
}

/** bench/peer-server.ts on the same SQLite file: sequential requests, untimed warm-up first. */
export interface PeerRow {
  name: string;
  samples: number[];
  /** SQL statements per timed request, when the peer reports them (its `stats` command). */
  sqlPerRequest: number[];
  /** Where its `data` first differs from the gateway's (ignoring `updatedAt`); null: the same. */
  difference: string | null;
  notes: string[];
}

export interface PeerResult {
  /** null: no peer measured; the reason is in `note`. */
  rows: PeerRow[] | null;
  note: string;
}

export interface Report {
  header: string[];
  /** Things the run noticed that put its figures in doubt (shown under the header). */
  warnings: string[];
  hits: HitCase[];
  misses: MissRow[];
  peer: PeerResult;
  invalidation: InvalidationCase[];
  /** The HTTP-caching section (compressed hits, 304s), rendered by bench/lib/encodings.ts. */
  http?: string[];
  /** Set when the run stopped early: what was measured until then is still reported. */
  failure?: string;
}

/** The issue's acceptance figures, each a ratio to a baseline measured in the same run. */
export const TARGETS = {
  /** WardMapping hit, redis-local: req/s ≥ 0.6 × limit's. */
  wardMappingRedisLocal: 0.6,
  /** Dashboard hit, every store: req/s ≥ 0.8 × limit's. */
  dashboard: 0.8,
  /** Every hit case: p99 ≤ 3 × limit's p99. */
  p99: 3,
  /** WardMapping hit, redis-local: default Redis budget ≥ 0.9 × the same with a 1 s budget. */
  budget: 0.9,
  /** Every miss: p50 ≤ 1.5 × the peer's p50 on the same data. */
  miss: 1.5,
} as const;

/** The req/s target of a gateway hit (× limit), if the issue sets one for that case and store. */
export function throughputTarget(name: string, store: GatewayStore): number | undefined {
  if (name === 'Dashboard') return TARGETS.dashboard;
  if (name === 'WardMapping' && store === 'redis-local') return TARGETS.wardMappingRedisLocal;
  return undefined;
}

/** Other processes' share of the server core above which a run's ratios are flagged as unreliable. */
const BUSY_CORE = 0.2;

const f = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
const kb = (n: number) => (n >= 10_240 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1024).toFixed(1)} KB`);
const mark = (ok: boolean) => (ok ? '✓' : '✗');
const loadShare = (m: Measured) => m.cpu.processes[1] / m.cpu.wallS;
const serverName = (g: GatewayHit) => `gateway ${g.store}${g.variant ? `, ${g.variant}` : ''}`;

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

/** The figures the issue sets, one line each, from the detail tables' numbers. */
function acceptance(r: Report): string[][] {
  const rows: string[][] = [];
  const hit = (name: string) => r.hits.find((h) => h.name === name);
  const gw = (name: string, store: GatewayStore) => hit(name)?.gateways.find((g) => g.store === store);
  const notMeasured = (figure: string, target: string) => rows.push([figure, target, 'not measured in this run', '–']);

  const wm = hit('WardMapping');
  const wmLocal = gw('WardMapping', 'redis-local');
  const wmTarget = `≥ ${TARGETS.wardMappingRedisLocal}× limit`;
  if (wm && wmLocal) {
    const ratio = wmLocal.gateway.rps / wm.limit.rps;
    rows.push(['WardMapping hit, redis-local', wmTarget, `${x(ratio)} limit (${x(wmLocal.gateway.rps / wm.limitRedis.rps)} limit-redis)`, mark(ratio >= TARGETS.wardMappingRedisLocal)]);
  } else notMeasured('WardMapping hit, redis-local', wmTarget);

  for (const store of ['memory', 'redis', 'redis-local'] as const) {
    const d = hit('Dashboard');
    const g = gw('Dashboard', store);
    const target = `≥ ${TARGETS.dashboard}× limit`;
    if (!d || !g) {
      notMeasured(`Dashboard hit, ${store}`, target);
      continue;
    }
    const ratio = g.gateway.rps / d.limit.rps;
    rows.push([`Dashboard hit, ${store}`, target, `${x(ratio)} limit`, mark(ratio >= TARGETS.dashboard)]);
  }

  for (const h of r.hits) {
    const parts = h.gateways.map((g) => ({ store: g.store, ratio: g.gateway.p99 / h.limit.p99 }));
    const ok = parts.every((p) => p.ratio <= TARGETS.p99);
    const measured = parts.map((p) => `${p.store} ${x(p.ratio)}${p.ratio <= TARGETS.p99 ? '' : ' ✗'}`).join(', ');
    rows.push([`${h.name} hit p99, each store`, `≤ ${TARGETS.p99}× limit's p99 (${f(h.limit.p99)} ms)`, measured, mark(ok)]);
  }

  const budgetTarget = `≥ ${TARGETS.budget}×`;
  if (wmLocal && wm?.budget1s) {
    const ratio = wmLocal.gateway.rps / wm.budget1s.gateway.rps;
    rows.push(['WardMapping hit, redis-local, default settings / read budget 1 s', budgetTarget, `${x(ratio)} (${int(wmLocal.gateway.rps)} / ${int(wm.budget1s.gateway.rps)} req/s)`, mark(ratio >= TARGETS.budget)]);
  } else notMeasured('WardMapping hit, redis-local, default settings / read budget 1 s', budgetTarget);

  const names = [...new Set(r.misses.map((m) => m.name))];
  for (const name of names) {
    const target = `≤ ${TARGETS.miss}× peer p50`;
    const peer = r.peer.rows?.find((p) => p.name === name);
    const misses = r.misses.filter((m) => m.name === name);
    if (!peer || peer.samples.length === 0) {
      const own = misses.map((m) => `${m.store} ${f(quantile(m.samples, 0.5))} ms`).join(', ');
      rows.push([`${name} miss p50`, target, `${own}; ${peer ? peer.notes.join('; ') : r.peer.note}`, '–']);
      continue;
    }
    const peerP50 = quantile(peer.samples, 0.5);
    const parts = misses.map((m) => ({ store: m.store, ratio: quantile(m.samples, 0.5) / peerP50 }));
    const measured = `${parts.map((p) => `${p.store} ${x(p.ratio)}${p.ratio <= TARGETS.miss ? '' : ' ✗'}`).join(', ')} (peer ${f(peerP50)} ms${peer.difference ? ', **not the same data**' : ''})`;
    rows.push([`${name} miss p50`, target, measured, mark(parts.every((p) => p.ratio <= TARGETS.miss))]);
  }
  return rows;
}

function hitRows(h: HitCase): string[][] {
  const rows: string[][] = [];
  const what = `hit ${h.name} (${kb(h.answerBytes)})`;
  const limitCpu = cpuPerResponse(h.limit);
  const limitRow = (server: string, m: Measured, notes: string[]) => {
    if (loadShare(m) > 0.95) notes.push('**load generator saturated**');
    rows.push([what, server, int(m.rps), f(m.p50), f(m.p99), x(m.rps / h.limit.rps), x(m.rps / h.limitRedis.rps), x(m.p99 / h.limit.p99), `${int(cpuPerResponse(m))} (${x(cpuPerResponse(m) / limitCpu)})`, '', [cpuSummary(m), ...notes].join('; ')]);
  };
  limitRow('limit', h.limit, [...(h.limit.non2xx + h.limit.errors > 0 ? [`**${h.limit.non2xx + h.limit.errors} failed requests**`] : [])]);
  limitRow('limit-redis', h.limitRedis, [`its Redis GET p99 ${f(h.redisGet.p99)} ms, max ${f(h.redisGet.max)} ms`, ...(h.limitRedis.non2xx + h.limitRedis.errors > 0 ? [`**${h.limitRedis.non2xx + h.limitRedis.errors} failed requests**`] : [])]);
  if (h.limitJose) limitRow('limit, jose on every request', h.limitJose, ['for reference: no verified-token cache']);

  const gatewayRow = (g: GatewayHit, extra: string[]) => {
    const m = g.gateway;
    const ratio = m.rps / h.limit.rps;
    const p99Ratio = m.p99 / h.limit.p99;
    const goal = throughputTarget(h.name, g.store);
    const verdict = [
      ...(goal !== undefined && !g.variant ? [`${mark(ratio >= goal)} ≥ ${goal}× limit`] : []),
      `${mark(p99Ratio <= TARGETS.p99)} p99 ≤ ${TARGETS.p99}×`,
      ...extra,
    ].join(', ');
    const failed = m.non2xx + m.errors + g.gatewayMisses;
    const notes = [cpuSummary(m), `event-loop delay p99 ${f(g.loopDelay.p99)} ms, max ${f(g.loopDelay.max)} ms`];
    if (loadShare(m) > 0.95) notes.push('**load generator saturated: compare CPU per hit, not req/s**');
    if (failed > 0) {
      notes.push(
        `**${failed} requests not answered as hits** (non-2xx ${m.non2xx}, errors ${m.errors}, counted as cache misses ${g.gatewayMisses}, ${g.statements} SQL statements${g.store === 'memory' ? '' : '; with Redis: lookups past the read budget (or while Redis was judged down) answer as misses'})`,
      );
    }
    if (g.noVerify) {
      const nv = g.noVerify;
      notes.push(
        `self-check at the default rate (${g.verifications ?? 0} hits recomputed): gateway with it off ${int(nv.rps)} req/s, p99 ${f(nv.p99)} ms, ${int(cpuPerResponse(nv))} µs/hit → with it on ${((m.rps / nv.rps) * 100).toFixed(0)}% of the req/s, ${((cpuPerResponse(m) / cpuPerResponse(nv)) * 100).toFixed(0)}% of the CPU per hit`,
      );
    }
    rows.push([what, serverName(g), int(m.rps), f(m.p50), f(m.p99), `**${x(ratio)}**`, x(m.rps / h.limitRedis.rps), x(p99Ratio), `${int(cpuPerResponse(m))} (${x(cpuPerResponse(m) / limitCpu)})`, verdict, notes.join('; ')]);
  };
  for (const g of h.gateways) gatewayRow(g, []);
  if (h.budget1s) {
    const local = h.gateways.find((g) => g.store === 'redis-local');
    const ratio = local ? local.gateway.rps / h.budget1s.gateway.rps : NaN;
    gatewayRow(h.budget1s, local ? [`${mark(ratio >= TARGETS.budget)} default / 1 s = ${x(ratio)} (≥ ${TARGETS.budget}×)`] : []);
  }
  return rows;
}

function missRows(r: Report): string[][] {
  const rows: string[][] = [];
  const names = [...new Set([...r.misses.map((m) => m.name), ...(r.peer.rows ?? []).map((p) => p.name)])];
  for (const name of names) {
    const peer = r.peer.rows?.find((p) => p.name === name);
    const peerP50 = peer && peer.samples.length > 0 ? quantile(peer.samples, 0.5) : NaN;
    for (const m of r.misses.filter((row) => row.name === name)) {
      const p50 = quantile(m.samples, 0.5);
      const ratio = p50 / peerP50;
      const sql = [...new Set(m.sqlPerMiss)].join(' or ');
      const verdict = Number.isFinite(ratio) ? `${mark(ratio <= TARGETS.miss)} ≤ ${TARGETS.miss}× peer` : 'no peer';
      rows.push([`miss ${name}`, `gateway ${m.store}`, f(p50), f(Math.max(...m.samples)), x(ratio), sql, verdict, `${m.samples.length} misses one at a time, each after a purge of the scope`]);
    }
    if (peer) {
      const notes = [`${peer.samples.length} sequential requests after an untimed warm-up`, ...peer.notes];
      notes.push(peer.difference ? `**its data differs from the gateway's** at ${peer.difference} (gateway vs peer)` : "same data as the gateway's (ignoring updatedAt)");
      const sql = [...new Set(peer.sqlPerRequest)].join(' or ');
      rows.push([`miss ${name}`, 'peer', f(peerP50), peer.samples.length ? f(Math.max(...peer.samples)) : '–', peer.samples.length ? '1.00×' : '–', sql, '', notes.join('; ')]);
    } else {
      rows.push([`miss ${name}`, 'peer', '–', '–', '–', '', '', r.peer.note]);
    }
  }
  return rows;
}

/** Share of core 0 that went to processes other than the one measured, at worst, over the hit measurements. */
function busiestServerCore(r: Report): number {
  const all = r.hits.flatMap((h) => [h.limit, h.limitRedis, ...(h.limitJose ? [h.limitJose] : []), ...h.gateways.map((g) => g.gateway), ...(h.budget1s ? [h.budget1s.gateway] : [])]);
  return Math.max(0, ...all.map((m) => (m.cpu.cores[0] - m.cpu.processes[0]) / m.cpu.wallS));
}

/** The acceptance figures, then the detail: hits, misses, invalidation. */
export function renderReport(r: Report): string {
  const busy = busiestServerCore(r);
  const hitHead = ['measurement', 'server', 'req/s', 'p50 ms', 'p99 ms', '× limit', '× limit-redis', "p99 × limit's", "CPU µs/answer (× limit's)", 'target', 'notes'];
  const missHead = ['measurement', 'server', 'p50 ms', 'max ms', '× peer p50', 'SQL per miss', 'target', 'notes'];
  const invHead = ['measurement', 'median ms', 'max ms', 'notes'];
  const inv = r.invalidation.map((c) => [c.label, f(c.medianMs), f(c.maxMs), `${int(c.unrelated)} unrelated answers in Redis; ${int(c.removed)} removed per call; median / max of ${c.reps} calls`]);
  return [
    ...r.header,
    ...(r.failure ? ['', `**The run stopped early: ${r.failure}.** What was measured until then follows.`] : []),
    ...r.warnings.map((w) => `\n**${w}**`),
    '',
    '## Acceptance figures',
    '',
    ...table(['figure', 'target', 'measured', ''], acceptance(r)),
    '',
    ...(busy > BUSY_CORE
      ? [
          `**Core 0 was not ours alone: up to ${Math.round(busy * 100)}% of it went to other processes during a measurement (other@0 in the notes). Ratios between servers taken then are unreliable: rerun on a quiet machine.**`,
          '',
        ]
      : []),
    '## Hits',
    '',
    ...table(hitHead, r.hits.flatMap(hitRows)),
    '',
    ...r.hits.map((h) => `- ${h.name}: \`${h.request}\``),
    '',
    '× limit / × limit-redis: req/s as a multiple of the limit\'s (bare node:http, same JWT check, same bytes from memory / from one Redis GET), same slices of the same run.',
    "CPU µs/answer: CPU time of the server process per answered request (all its threads), and as a multiple of the limit's. Steadier than req/s on a shared machine.",
    'CPU shares of one core during the measurement: srv = the server under test (core 0), load = autocannon, redis = redis-server (both on core 1), other@N = everything else on core N.',
    '',
    '## Misses',
    '',
    ...table(missHead, missRows(r)),
    '',
    ...(inv.length > 0 ? ['## Invalidation (Redis store)', '', ...table(invHead, inv), ''] : []),
    ...(r.http ?? []),
  ].join('\n');
}
