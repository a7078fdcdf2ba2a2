/**
 * The bound, checked on every read: a read that starts more than `boundMs` after a commit must
 * show that commit (or a later one). For each patient field a reader can see (name, bed, tags,
 * latest event), the writer records every value it commits with the time COMMIT returned; a
 * value read is fresh if it is the value current at (read start − bound), or any value committed
 * after that (those may or may not show yet). The commit time is taken when COMMIT has returned,
 * after the real commit, so the check never flags a read the bound does not cover.
 */
import { tagsValue, type World } from './writer';

interface Entry {
  /** Date.now() when COMMIT returned; Infinity while pending. */
  at: number;
  value: string;
}

export interface Violation {
  key: string;
  value: string;
  expected: string;
  /** How long after the commit the read started (ms). */
  afterMs: number;
  op: string;
}

export class Freshness {
  private readonly history = new Map<string, Entry[]>();
  checked = 0;
  violations = 0;
  readonly examples: Violation[] = [];

  constructor(private readonly boundMs: number) {}

  /** Values before the run (from the database): current since forever. */
  seed(world: World): void {
    for (const [id, p] of world.patients) {
      this.history.set(`${id}:name`, [{ at: -Infinity, value: p.name }]);
      this.history.set(`${id}:bed`, [{ at: -Infinity, value: p.bed ?? 'none' }]);
      this.history.set(`${id}:tags`, [{ at: -Infinity, value: tagsValue(p.tags) }]);
      this.history.set(`${id}:event`, [{ at: -Infinity, value: p.latestEventAt === null ? 'none' : String(p.latestEventAt) }]);
    }
  }

  pending(key: string, value: string): Entry {
    const e = { at: Infinity, value };
    const list = this.history.get(key) ?? [];
    list.push(e);
    this.history.set(key, list);
    return e;
  }

  committed(e: Entry, at: number): void {
    e.at = at;
  }

  abandon(e: Entry): void {
    for (const list of this.history.values()) {
      const i = list.indexOf(e);
      if (i !== -1) list.splice(i, 1);
    }
  }

  /** One value a read started at `readStart` showed; false (and counted) if it is stale past the bound. */
  check(key: string, value: string, readStart: number, op: string): boolean {
    const list = this.history.get(key);
    if (!list) return true; // not a patient of hospital 1 the writer knows
    this.checked++;
    const cut = readStart - this.boundMs;
    let current = -1;
    for (let i = 0; i < list.length; i++) if (list[i].at <= cut) current = i;
    if (current === -1 || list[current].value === value) return true;
    for (let i = current + 1; i < list.length; i++) if (list[i].value === value) return true;
    this.violations++;
    if (this.examples.length < 5) this.examples.push({ key, value, expected: list[current].value, afterMs: readStart - list[current].at, op });
    return false;
  }
}

type Json = Record<string, unknown>;
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const obj = (v: unknown): Json | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null);
const eventValue = (v: unknown) => (v == null ? 'none' : String(Date.parse(String(v))));
const tagIds = (v: unknown) => tagsValue(arr(v).map((t) => String(t.id)));

/** The patient fields an answer of a contract read shows: [key, value]. */
export function observe(op: string, data: unknown): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const d = obj(data);
  if (!d) return out;
  if (op === 'Patient') {
    const p = obj(d.patient);
    if (!p) return out;
    out.push([`${p.id}:name`, String(p.name)], [`${p.id}:tags`, tagIds(p.tags)], [`${p.id}:event`, eventValue(p.latestEventAt)]);
    out.push([`${p.id}:bed`, String(obj(p.currentAdmission)?.bed ?? 'none')]);
  } else if (op === 'WardMapping') {
    for (const w of arr(obj(d.wardMapping)?.wards))
      for (const a of arr(w.patients)) {
        const p = obj(a.patient);
        if (p) out.push([`${p.id}:name`, String(p.name)], [`${p.id}:bed`, String(a.bed)], [`${p.id}:tags`, tagIds(a.tags)]);
      }
  } else if (op === 'Dashboard') {
    for (const p of arr(d.recentPatients)) out.push([`${p.id}:name`, String(p.name)], [`${p.id}:event`, eventValue(p.latestEventAt)]);
  }
  return out;
}
