/**
 * What one run counted on the client side: per operation (the reads, and each write kind), the
 * answers by kind, latencies, hits; the writes' outcomes; skipped refreshes; stale reads found.
 * Every request is counted in the RunStats that was current when it was sent (warm-up or run).
 */
import { cacheHit, type Reply } from './client';

export class OpStats {
  sent = 0;
  /** Got an HTTP answer (any status). */
  answered = 0;
  /** HTTP 200 without GraphQL errors. */
  ok = 0;
  hits = 0;
  misses = 0;
  /** OK answers without extensions.cache (writes have none). */
  noCache = 0;
  timeouts = 0;
  s503 = 0;
  s503RetryAfter = 0;
  /** Latencies (ms) of OK answers and of 503s, from the issue and from the connection (on the wire). */
  readonly lat: number[] = [];
  readonly wire: number[] = [];
  readonly lat503: number[] = [];
  readonly wire503: number[] = [];
  /** Other answers: "HTTP 500", "HTTP 200 CONFLICT", "transport: …" → count. */
  readonly errors = new Map<string, number>();

  error(what: string): void {
    this.errors.set(what, (this.errors.get(what) ?? 0) + 1);
  }

  errorCount(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }
}

export interface StaleExample {
  op: string;
  hit: boolean | null;
  kind: 'stale' | 'wrong';
  what: string;
}

export class RunStats {
  readonly ops = new Map<string, OpStats>();
  readonly refreshes = { due: 0, skipped: 0 };
  readonly writes = { planned: 0, skippedBusy: 0, noTarget: 0, done: 0, refused: new Map<string, number>(), ambiguous: 0 };
  /** Checked answers; answers with a stale field, and with a wrong one (check.ts), from hits and executed. */
  readonly stale = { checked: 0, staleHits: 0, staleExecuted: 0, wrongHits: 0, wrongExecuted: 0, examples: [] as StaleExample[] };

  op(name: string): OpStats {
    let s = this.ops.get(name);
    if (!s) this.ops.set(name, (s = new OpStats()));
    return s;
  }

  /** Counts one reply; `codes` are its GraphQL error codes (from the caller's parse). */
  record(op: OpStats, r: Reply, codes: string[]): void {
    if (r.outcome === 'timeout') {
      op.timeouts += 1;
      return;
    }
    if (r.outcome === 'transport') {
      op.error(`transport: ${r.error ?? '?'}`);
      return;
    }
    op.answered += 1;
    const ms = r.endedAt - r.startedAt;
    if (r.status === 503) {
      op.s503 += 1;
      op.lat503.push(ms);
      op.wire503.push(r.endedAt - r.sentAt);
      if (r.retryAfter !== null) op.s503RetryAfter += 1;
      return;
    }
    if (r.status === 200 && codes.length === 0) {
      op.ok += 1;
      op.lat.push(ms);
      op.wire.push(r.endedAt - r.sentAt);
      const hit = cacheHit(r.body);
      if (hit === true) op.hits += 1;
      else if (hit === false) op.misses += 1;
      else op.noCache += 1;
      return;
    }
    op.error(`HTTP ${r.status}${codes.length ? ` ${[...new Set(codes)].join(',')}` : ''}`);
  }

  /** One checked answer with findings: counted once per kind it has; a few kept as examples. */
  finding(op: string, hit: boolean | null, kind: 'stale' | 'wrong', what: string): void {
    if (kind === 'stale') this.stale[hit ? 'staleHits' : 'staleExecuted'] += 1;
    else this.stale[hit ? 'wrongHits' : 'wrongExecuted'] += 1;
    const same = this.stale.examples.filter((e) => e.kind === kind);
    if (same.length < 5 && !same.some((e) => e.what === what)) this.stale.examples.push({ op, hit, kind, what });
  }
}

/** The q-quantile of a sample (NaN when empty); sorts in place. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))];
}
