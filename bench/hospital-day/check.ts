/**
 * Stale-read checks of the dashboard reads against the writers' model (world.ts). Only patients
 * the bench wrote during the run are checked, and each only against the states its version
 * history allows for the read's flight [sent, answered] (TrackedPatient.possible; sent: when the
 * request got its connection, before which no server saw it): anything from
 * the newest write that had returned before the read was sent up to any write sent before the
 * answer came. Writes still in flight, and ambiguous ones (no answer, 5xx…), are allowed both
 * ways, so concurrency cannot raise an alarm; a version that can no longer be shown is a write
 * that had returned before the read was sent. Every field is compared on its own (an answer is
 * assembled from several statements), and seeded rows the bench never wrote are not checked.
 *
 * A field no allowed state explains is "stale" when an older version of the patient explains it
 * (the answer misses a write that had returned before the read was sent), else "wrong": it shows
 * something the patient never was (e.g. a torn read across statements).
 *
 * WardMapping answers of 100+ KB are parsed once per distinct body: hits on one cached entry
 * share their bytes, so the index of a body is kept (found by length and head, then compared).
 */
import { sortedIds, type PatientState, type TrackedPatient } from '../../test/stress/model';
import { cacheHit, dataPart, errorCodes, type Reply } from './client';
import type { HospitalModel } from './world';

export interface WardFilter {
  wardIds?: string[];
  tagIds?: string[];
}

interface Listed {
  wardId: string;
  bed: string;
  tags: string;
}

interface Parsed {
  codes: string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field
  data: any;
}

export interface Finding {
  kind: 'stale' | 'wrong';
  text: string;
}

export interface Verdict {
  codes: string[];
  hit: boolean | null;
  /** Null when the answer had no data to check. */
  findings: Finding[] | null;
}

const RECENT_LIMIT = 30;

function parse(text: string): Parsed {
  try {
    const body = JSON.parse(text) as { data?: unknown; errors?: Array<{ extensions?: { code?: unknown } }> };
    return { codes: errorCodes(body), data: body.data ?? null };
  } catch {
    return { codes: ['NOT_JSON'], data: null };
  }
}

const ms = (iso: unknown): number | null => (typeof iso === 'string' ? Date.parse(iso) : null);
const iso = (t: number | null) => (t === null ? 'null' : new Date(t).toISOString());

/** newest event first, patients without events last, ties by id (the contract's order). */
function ranksAhead(a: { id: string; latest: number | null }, b: { id: string; latest: number | null }): boolean {
  if (a.latest !== null && b.latest !== null && a.latest !== b.latest) return a.latest > b.latest;
  if (a.latest !== null && b.latest === null) return true;
  if (a.latest === null && b.latest !== null) return false;
  return Number(a.id) < Number(b.id);
}

/**
 * The finding for a field no allowed state explains: stale when an older version does (the write
 * that replaced it had returned before the read was sent), wrong otherwise.
 */
function finding(p: TrackedPatient, r: Reply, explains: (s: PatientState) => boolean, text: string): Finding {
  const older = p.olderMatch(r.sentAt, (s) => s !== null && explains(s));
  if (older) return { kind: 'stale', text: `${text}: misses ${older.write} of patient ${String(p.id)}, returned ${older.returnedMsBeforeRead} ms before the read was sent` };
  const v = p.lastWriteBefore(r.sentAt);
  const overlapping = p.versions.filter((x) => x.start < r.endedAt && !(x.definite && x.end < r.sentAt) && x.kind !== 'snapshot').map((x) => x.kind);
  const writes = [v.kind === 'snapshot' ? 'none of its writes had returned' : `its last write returned: ${v.kind}`, overlapping.length ? `in flight during the read: ${overlapping.join(', ')}` : 'none in flight'];
  return { kind: 'wrong', text: `${text}: no version of patient ${String(p.id)} shows this (${writes.join('; ')})` };
}

const singles = new WeakMap<object, PatientState[]>();
const tagKeys = new WeakMap<PatientState, string>();

/** The states a read may show (the common case, nothing in flight, without allocating). */
function flight(p: TrackedPatient, r: Reply): PatientState[] {
  const last = p.versions[p.versions.length - 1];
  if (last.definite && last.end < r.sentAt && last.state) {
    let one = singles.get(last);
    if (!one) singles.set(last, (one = [last.state]));
    return one;
  }
  return p.possible(r.sentAt, r.endedAt).filter((x): x is PatientState => x !== null);
}

function tagKey(s: PatientState): string {
  let k = tagKeys.get(s);
  if (k === undefined) tagKeys.set(s, (k = s.tags.join(',')));
  return k;
}

// Predicates over one state (module-level: the checks run for every tracked patient of every read).
const hasLatest = (s: PatientState, latest: number | null) => s.latestEventAt === latest;
const hasStatus = (s: PatientState, status: unknown) => s.status === status;
const ranksBehind = (s: PatientState, at: { tail: { id: string; latest: number | null }; id: string }) => ranksAhead(at.tail, { id: at.id, latest: s.latestEventAt });
const hasTags = (s: PatientState, tags: string) => tagKey(s) === tags;

function any<A>(states: PatientState[], pred: (s: PatientState, arg: A) => boolean, arg: A): boolean {
  for (const s of states) if (pred(s, arg)) return true;
  return false;
}

/** The filter's view of a state: where the ward map lists the patient, or null. */
function placeOf(s: PatientState, filter: WardFilter | null): string | null {
  const a = s.admission;
  if (a === null || (filter?.wardIds && !filter.wardIds.includes(a.wardId))) return null;
  if (filter?.tagIds && !s.tags.some((t) => filter.tagIds?.includes(t))) return null;
  return `${a.wardId}/${a.bed}`;
}

export class ReadChecker {
  private readonly wardIndexes = new Map<string, { bytes: Buffer; index: Map<string, Listed> }>();

  dashboard(model: HospitalModel, r: Reply): Verdict {
    const { codes, data } = parse(r.body.toString('utf8'));
    const hit = cacheHit(r.body);
    if (!data?.dashboardStats || !Array.isArray(data.recentPatients)) return { codes, hit, findings: null };
    const out: Finding[] = [];
    const list = data.recentPatients as Array<{ id: unknown; status: unknown; latestEventAt: unknown }>;
    const listed = new Map(list.map((e) => [String(e.id), e]));
    const tail = list.length >= RECENT_LIMIT ? { id: String(list[list.length - 1].id), latest: ms(list[list.length - 1].latestEventAt) } : null;
    const base = model.inpatients - model.trackedInitialInpatients() - model.statusUnknown;
    let [lo, hi] = [base, base + 2 * model.statusUnknown];
    for (const [id, p] of model.tracked) {
      const states = flight(p, r);
      let inpatient = 0;
      for (const s of states) if (s.status === 'INPATIENT') inpatient += 1;
      if (inpatient === states.length) lo += 1;
      if (inpatient > 0) hi += 1;
      const e = listed.get(id);
      if (e) {
        const latest = ms(e.latestEventAt);
        if (!any(states, hasLatest, latest)) out.push(finding(p, r, (s) => hasLatest(s, latest), `recentPatients lists ${id} with latestEventAt ${iso(latest)}, allowed ${states.map((s) => iso(s.latestEventAt)).join('|')}`));
        if (!any(states, hasStatus, e.status)) out.push(finding(p, r, (s) => hasStatus(s, e.status), `recentPatients lists ${id} as ${String(e.status)}`));
      } else if (tail && !any(states, ranksBehind, { tail, id })) {
        out.push(finding(p, r, (s) => ranksBehind(s, { tail, id }), `recentPatients misses ${id} (latestEventAt ${states.map((s) => iso(s.latestEventAt)).join('|')}; the list ends at ${iso(tail.latest)})`));
      }
    }
    const inpatients = Number(data.dashboardStats.inpatients);
    if (inpatients < lo || inpatients > hi) {
      // Stale if some earlier states of the patients give this count, wrong if none ever did.
      let [loEver, hiEver] = [base, base + 2 * model.statusUnknown];
      for (const p of model.tracked.values()) {
        const ever = p.possible(-Infinity, r.endedAt).filter((x): x is PatientState => x !== null);
        if (ever.every((x) => x.status === 'INPATIENT')) loEver += 1;
        if (ever.some((x) => x.status === 'INPATIENT')) hiEver += 1;
      }
      const text = `dashboardStats.inpatients ${inpatients}, allowed ${lo}..${hi}`;
      out.push(inpatients >= loEver && inpatients <= hiEver ? { kind: 'stale', text: `${text} (an earlier count)` } : { kind: 'wrong', text });
    }
    return { codes, hit, findings: out };
  }

  wardMapping(model: HospitalModel, filter: WardFilter | null, r: Reply): Verdict {
    const hit = cacheHit(r.body);
    const index = this.index(r.body);
    if ('codes' in index) return { codes: index.codes, hit, findings: null };
    const out: Finding[] = [];
    for (const [id, p] of model.tracked) {
      const states = flight(p, r);
      const shown = index.get(id);
      const place = shown ? `${shown.wardId}/${shown.bed}` : null;
      let placed = false;
      for (const s of states) if (placeOf(s, filter) === place) placed = true;
      if (!placed) {
        out.push(finding(p, r, (s) => placeOf(s, filter) === place, `patient ${id} ${place ? `listed in ${place}` : 'not listed'}, allowed ${states.map((s) => placeOf(s, filter) ?? 'not listed').join('|')}`));
      }
      if (shown && !any(states, hasTags, shown.tags)) {
        out.push(finding(p, r, (s) => hasTags(s, shown.tags), `patient ${id} listed with tags [${shown.tags}], allowed ${states.map((s) => `[${tagKey(s)}]`).join('|')}`));
      }
    }
    return { codes: [], hit, findings: out };
  }

  /** Patient id → where the answer lists it; or the error codes of an answer without a ward map. */
  private index(body: Buffer): Map<string, Listed> | { codes: string[] } {
    // Looked up by length and head (which holds updatedAt), confirmed by comparing the bytes.
    const bytes = dataPart(body);
    const key = `${bytes.length}:${bytes.subarray(0, 160).toString('latin1')}`;
    const known = this.wardIndexes.get(key);
    if (known && known.bytes.equals(bytes)) return known.index;
    const { codes, data } = parse(body.toString('utf8'));
    if (codes.length > 0 || !data?.wardMapping) return { codes: codes.length ? codes : ['NO_DATA'] };
    const index = new Map<string, Listed>();
    for (const w of data.wardMapping.wards as Array<{ ward: { id: unknown }; patients: Array<{ patient: { id: unknown }; bed: string; tags: Array<{ id: unknown }> }> }>) {
      for (const e of w.patients) index.set(String(e.patient.id), { wardId: String(w.ward.id), bed: e.bed, tags: sortedIds(e.tags.map((t) => String(t.id))).join(',') });
    }
    if (this.wardIndexes.size >= 256) this.wardIndexes.delete(this.wardIndexes.keys().next().value as string);
    this.wardIndexes.set(key, { bytes, index });
    return index;
  }
}
