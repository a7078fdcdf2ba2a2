/**
 * Dashboard users: each refreshes every 10 s at its own random phase (so U users spread evenly:
 * U / 5 requests a second), sending the contract's Dashboard and WardMapping operations at once
 * (30% of users send WardMapping with a ward or tag filter of their own), each to a random
 * gateway. Like a dashboard that does not refetch while a fetch is pending, a user whose previous
 * refresh has not been answered skips this one (counted). Every answer is checked (check.ts).
 */
import type { Random } from '../../test/stress/random';
import type { ReadChecker, Verdict, WardFilter } from './check';
import type { HttpClient, Reply } from './client';
import type { RunStats } from './stats';
import type { HospitalModel } from './world';

export const PERIOD_MS = 10_000;
export const FILTERED_SHARE = 0.3;

export interface User {
  model: HospitalModel;
  token: string;
  phase: number;
  filter: WardFilter | null;
  wardBody: string;
  pending: number;
}

export interface UserContext {
  client: HttpClient;
  gateways: string[];
  ops: Map<string, string>;
  checker: ReadChecker;
  stats: () => RunStats;
  rng: Random;
}

/** Users with their hospital (alternating), token, phase and ward-map filter, sorted by phase. */
export function makeUsers(count: number, models: HospitalModel[], tokens: (i: number, model: HospitalModel) => string, ops: Map<string, string>, rng: Random): User[] {
  const users: User[] = [];
  for (let i = 0; i < count; i++) {
    const model = models[i % models.length];
    let filter: WardFilter | null = null;
    if (rng.chance(FILTERED_SHARE)) filter = rng.chance(0.5) || model.tagIds.length === 0 ? { wardIds: [rng.pick(model.wards).id] } : { tagIds: [rng.pick(model.tagIds)] };
    const wardBody = JSON.stringify({ query: ops.get('WardMapping'), variables: filter ? { filter } : {}, operationName: 'WardMapping' });
    users.push({ model, token: tokens(i, model), phase: rng.float() * PERIOD_MS, filter, wardBody, pending: 0 });
  }
  return users.sort((a, b) => a.phase - b.phase);
}

export class UserLoad {
  private timer: NodeJS.Timeout | null = null;
  private readonly dashboardBody: string;

  constructor(
    private readonly users: User[],
    private readonly ctx: UserContext,
  ) {
    this.dashboardBody = JSON.stringify({ query: ctx.ops.get('Dashboard'), variables: {}, operationName: 'Dashboard' });
  }

  start(): void {
    const started = performance.now();
    let cycle = 0;
    let next = 0;
    this.timer = setInterval(() => {
      const t = performance.now() - started;
      const c = Math.floor(t / PERIOD_MS);
      for (; cycle < c; cycle++, next = 0) while (next < this.users.length) this.refresh(this.users[next++]);
      while (next < this.users.length && this.users[next].phase <= t - c * PERIOD_MS) this.refresh(this.users[next++]);
    }, 5);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async drain(): Promise<void> {
    while (this.users.some((u) => u.pending > 0)) await new Promise((r) => setTimeout(r, 50));
  }

  private refresh(u: User): void {
    const stats = this.ctx.stats();
    stats.refreshes.due += 1;
    if (u.pending > 0) {
      stats.refreshes.skipped += 1;
      return;
    }
    u.pending = 2;
    void this.read(u, 'Dashboard', this.dashboardBody, stats);
    void this.read(u, u.filter ? 'WardMappingFiltered' : 'WardMapping', u.wardBody, stats);
  }

  private async read(u: User, op: string, body: string, stats: RunStats): Promise<void> {
    const s = stats.op(op);
    s.sent += 1;
    const r: Reply = await this.ctx.client.post(this.ctx.rng.pick(this.ctx.gateways), body, u.token);
    u.pending -= 1;
    // Checked after this loop turn's other answers have been timed (a burst of 187 KB answers
    // would otherwise take the checks of the first ones into the latency of the last ones).
    await new Promise((resolve) => setImmediate(resolve));
    let v: Verdict = { codes: [], hit: null, findings: null };
    if (r.outcome === 'answered' && r.status === 200) {
      v = op === 'Dashboard' ? this.ctx.checker.dashboard(u.model, r) : this.ctx.checker.wardMapping(u.model, u.filter, r);
    }
    stats.record(s, r, v.codes);
    if (v.findings === null) return;
    stats.stale.checked += 1;
    for (const kind of ['stale', 'wrong'] as const) {
      const found = v.findings.filter((f) => f.kind === kind);
      if (found.length > 0) stats.finding(op, v.hit, kind, `${found[0].text}${found.length > 1 ? ` (+${found.length - 1} more in this answer)` : ''}`);
    }
  }
}
