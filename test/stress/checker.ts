/**
 * The checker: compares every answer with what the model allows for the time the read was in
 * flight, field by field (a field may come from any allowed version: an answer assembled from
 * several statements is not required to be one snapshot, only never older than a write that had
 * returned before the read was sent). Seeded rows never change: they are compared with the
 * baseline read before any write.
 *
 * Violations are classified (see report.ts): a mismatch in an answer with extensions.cache.hit
 * = true is `stale`, in an executed one `wrong`; error answers by their code and HTTP status.
 */
import { errorCodes, type Answer } from './client';
import { foldForSearch, sortedIds, type AdmissionState, type Model, type PatientState, type TrackedPatient } from './model';
import type { RunStats, ViolationClass } from './report';

export interface Mismatch {
  what: string;
  expected: string;
  got: string;
  older?: string;
}

const MAX_SHOWN = 400;

export function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

/** JSON with sorted keys: deep equality of plain data. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Drops the fields that change with time alone (and never with a write). */
export function withoutClockFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutClockFields);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => k !== 'updatedAt' && k !== 'admissionDays')
        .map(([k, v]) => [k, withoutClockFields(v)]),
    );
  }
  return value;
}

const time = (iso: unknown): number | null => (typeof iso === 'string' ? Date.parse(iso) : null);
const iso = (ms: number | null): string => (ms === null ? 'null' : new Date(ms).toISOString());

function describeState(s: PatientState | null): string {
  if (!s) return 'not registered';
  const adm = s.admission ? `${s.admission.wardId}/${s.admission.bed}${s.admission.id ? ` #${s.admission.id}` : ''}` : 'none';
  return `${s.status} admission=${adm} tags=[${s.tags.join(',')}] latestEventAt=${iso(s.latestEventAt)}`;
}

function describeStates(states: Array<PatientState | null>): string {
  return states.map(describeState).join(' | ');
}

function admissionMatches(
  got: { id?: unknown; bed?: unknown; admittedAt?: unknown; ward?: { id?: unknown } } | null | undefined,
  want: AdmissionState | null,
  compareId: boolean,
): boolean {
  if (!got || !want) return !got && !want;
  if (String(got.ward?.id) !== want.wardId || got.bed !== want.bed) return false;
  if (compareId && want.id !== null && String(got.id) !== want.id) return false;
  if (want.admittedAt !== null && time(got.admittedAt) !== want.admittedAt) return false;
  return true;
}

interface WardFilter {
  wardIds?: string[];
  tagIds?: string[];
  search?: string;
}

interface RankEntry {
  id: string;
  latest: number | null;
}

/** True when `a` comes before `b` in recentPatients (newest first, no events last, ties by id). */
function ranksAhead(a: RankEntry, b: RankEntry): boolean {
  if (a.latest !== null && b.latest !== null && a.latest !== b.latest) return a.latest > b.latest;
  if (a.latest !== null && b.latest === null) return true;
  if (a.latest === null && b.latest !== null) return false;
  return Number(a.id) < Number(b.id);
}

export class Checker {
  constructor(
    private readonly model: Model,
    private readonly stats: RunStats,
  ) {}

  /**
   * Records an answer's errors by class (each class once per answer). `expectCache`: a read
   * must carry extensions.cache.
   */
  recordErrors(a: Answer, actor: string, expectCache: boolean): Set<ViolationClass> {
    const classes = new Set<ViolationClass>();
    const details: string[] = [];
    if (a.transportError !== null) {
      classes.add('other');
      details.push(`transport: ${a.transportError}`);
    }
    if (a.status >= 500) {
      classes.add('5xx');
      details.push(`HTTP ${a.status}`);
    }
    for (const code of errorCodes(a)) {
      this.stats.errorCode(code);
      if (code === 'INTERNAL_SERVER_ERROR') classes.add('internal');
      else if (code === 'SERVICE_UNAVAILABLE') classes.add('serviceUnavailable');
      else if (code === 'CACHE_INVALIDATION_PENDING') classes.add('invalidationPending');
      else classes.add('other');
    }
    if (a.transportError === null && a.status > 0 && a.status < 400 && !classes.size && a.status !== 200) {
      classes.add('other');
      details.push(`HTTP ${a.status}`);
    }
    if (expectCache && a.transportError === null && a.status === 200 && a.hit === null) {
      classes.add('other');
      details.push('no extensions.cache in the answer');
    }
    if (a.errors.length) details.push(...a.errors.map((e) => `${String(e.extensions?.code)}: ${e.message}`));
    for (const c of classes) {
      this.stats.violation({
        class: c,
        at: a.startedAt,
        actor,
        operation: a.operation,
        variables: a.variables,
        process: a.process,
        hit: a.hit,
        cacheAgeMs: a.ageMs,
        requestId: a.requestId,
        what: 'error answer',
        expected: 'HTTP 200, no errors',
        got: show(details.join('; ')),
      });
    }
    return classes;
  }

  /** Records a read and checks it; returns the mismatches found (already recorded). */
  read(a: Answer, actor: string, afterWrite: boolean): Mismatch[] {
    this.stats.read(a.endedAt - a.startedAt, a.hit);
    this.recordErrors(a, actor, true);
    if (a.data == null) return [];
    const mismatches = this.mismatches(a);
    if (mismatches === null) return [];
    this.stats.readsChecked += 1;
    if (afterWrite) this.stats.readsAfterWrite += 1;
    if (mismatches.length > 0) this.recordMismatches(a, actor, mismatches);
    return mismatches;
  }

  /** One violation per answer, its first mismatch (and how many more) as the example. */
  recordMismatches(a: Answer, actor: string, mismatches: Mismatch[], cls?: ViolationClass): void {
    const first = mismatches[0];
    this.stats.violation({
      class: cls ?? (a.hit === true ? 'stale' : 'wrong'),
      at: a.startedAt,
      actor,
      operation: a.operation,
      variables: a.variables,
      process: a.process,
      hit: a.hit,
      cacheAgeMs: a.ageMs,
      requestId: a.requestId,
      what: mismatches.length > 1 ? `${first.what} (and ${mismatches.length - 1} more)` : first.what,
      expected: first.expected,
      got: first.got,
      older: first.older,
    });
  }

  /** Null: nothing in this answer can be checked (e.g. a patient the harness does not know). */
  mismatches(a: Answer): Mismatch[] | null {
    switch (a.operation) {
      case 'Patient':
        return this.patient(a);
      case 'Dashboard':
        return this.dashboard(a);
      case 'WardMapping':
        return this.wardMapping(a);
      case 'WardFilters':
        return this.wardFilters(a);
      default:
        return null;
    }
  }

  private older(p: TrackedPatient, rs: number, shows: (s: PatientState | null) => boolean): string | undefined {
    const m = p.olderMatch(rs, shows);
    return m ? `shows the state from before ${p.key}'s ${m.write}, which returned ${m.returnedMsBeforeRead} ms before this read was sent` : 'matches no version of the model';
  }

  private wardFilters(a: Answer): Mismatch[] {
    const got = withoutClockFields(a.data?.wardFilters);
    const want = this.model.baseline.wardFilters;
    return canonical(got) === canonical(want) ? [] : [{ what: 'wardFilters changed (nothing writes wards or tags)', expected: show(want), got: show(got) }];
  }

  private patient(a: Answer): Mismatch[] | null {
    const id = String(a.variables.id);
    const got = a.data?.patient as
      | {
          id: unknown;
          name: unknown;
          status: unknown;
          latestEventAt: unknown;
          tags: Array<{ id: unknown; name: unknown; color: unknown }>;
          currentAdmission: { id: unknown; bed: unknown; admittedAt: unknown; ward: { id: unknown; name: unknown } } | null;
        }
      | null
      | undefined;
    const seeded = this.model.baseline.seededPatients.get(id);
    if (seeded !== undefined) {
      return canonical(a.data) === canonical(seeded) ? [] : [{ what: `seeded patient ${id} changed`, expected: show(seeded), got: show(a.data) }];
    }
    const p = this.model.get(id);
    if (!p) return null;
    const states = p.possible(a.startedAt, a.endedAt);
    const out: Mismatch[] = [];
    const expected = describeStates(states);
    if (got == null) {
      if (!states.includes(null)) out.push({ what: `patient ${p.key} (${id}) answered null`, expected, got: 'null' });
      return out;
    }
    const live = states.filter((s): s is PatientState => s !== null);
    if (String(got.id) !== id || got.name !== p.name) out.push({ what: `patient ${p.key} id/name`, expected: `${id} ${p.name}`, got: `${String(got.id)} ${String(got.name)}` });
    if (live.length === 0) {
      out.push({ what: `patient ${p.key} exists before its registration`, expected, got: show(got) });
      return out;
    }
    if (!live.some((s) => s.status === got.status)) {
      out.push({ what: `patient ${p.key} status`, expected, got: String(got.status), older: this.older(p, a.startedAt, (s) => s?.status === got.status) });
    }
    const latest = time(got.latestEventAt);
    if (!live.some((s) => s.latestEventAt === latest)) {
      out.push({ what: `patient ${p.key} latestEventAt`, expected, got: String(got.latestEventAt), older: this.older(p, a.startedAt, (s) => (s?.latestEventAt ?? null) === latest) });
    }
    const tags = sortedIds((got.tags ?? []).map((t) => String(t.id)));
    if (!live.some((s) => s.tags.join(',') === tags.join(','))) {
      out.push({ what: `patient ${p.key} tags`, expected, got: `[${tags.join(',')}]`, older: this.older(p, a.startedAt, (s) => s?.tags.join(',') === tags.join(',')) });
    }
    for (const t of got.tags ?? []) {
      const known = this.model.baseline.tags.find((x) => x.id === String(t.id));
      if (!known || known.name !== t.name || known.color !== t.color) out.push({ what: `patient ${p.key} tag ${String(t.id)}`, expected: show(known), got: show(t) });
    }
    const adm = got.currentAdmission;
    if (!live.some((s) => admissionMatches(adm, s.admission, true))) {
      out.push({
        what: `patient ${p.key} currentAdmission`,
        expected,
        got: show(adm),
        older: this.older(p, a.startedAt, (s) => s !== null && admissionMatches(adm, s.admission, true)),
      });
    }
    if (adm) {
      const ward = this.model.baseline.wards.find((w) => w.id === String(adm.ward?.id));
      if (!ward || ward.name !== adm.ward.name) out.push({ what: `patient ${p.key} admission ward`, expected: show(ward), got: show(adm.ward) });
    }
    return out;
  }

  private dashboard(a: Answer): Mismatch[] {
    const out: Mismatch[] = [];
    const stats = a.data?.dashboardStats as { totalPatients: number; inpatients: number; outpatients: number } | undefined;
    const ranges = this.model.countRanges(a.startedAt, a.endedAt);
    for (const field of ['totalPatients', 'inpatients', 'outpatients'] as const) {
      const [min, max] = field === 'totalPatients' ? ranges.total : ranges[field];
      const got = stats?.[field];
      if (typeof got !== 'number' || got < min || got > max) {
        out.push({ what: `dashboardStats.${field}`, expected: min === max ? String(min) : `${min}..${max}`, got: String(got) });
      }
    }
    if (stats && stats.totalPatients !== stats.inpatients + stats.outpatients) {
      out.push({ what: 'dashboardStats: inpatients + outpatients ≠ totalPatients', expected: String(stats.totalPatients), got: `${stats.inpatients} + ${stats.outpatients}` });
    }

    const limit = typeof a.variables.recentLimit === 'number' ? a.variables.recentLimit : 30;
    const list = (a.data?.recentPatients ?? []) as Array<{ id: unknown; name: unknown; status: unknown; latestEventAt: unknown }>;
    const baseline = this.model.baseline.recent;
    let seededSeen = 0;
    const listed = new Set<string>();
    const ranks: RankEntry[] = [];
    for (const [i, e] of list.entries()) {
      const id = String(e.id);
      const latest = time(e.latestEventAt);
      ranks.push({ id, latest });
      if (listed.has(id)) out.push({ what: `recentPatients lists ${id} twice`, expected: 'once', got: `again at ${i}` });
      listed.add(id);
      const p = this.model.get(id);
      if (p) {
        const states = p.possible(a.startedAt, a.endedAt);
        const live = states.filter((s): s is PatientState => s !== null);
        if (e.name !== p.name) out.push({ what: `recentPatients[${i}] name`, expected: p.name, got: String(e.name) });
        if (!live.some((s) => s.status === e.status)) {
          out.push({ what: `recentPatients[${i}] ${p.key} status`, expected: describeStates(states), got: String(e.status), older: this.older(p, a.startedAt, (s) => s?.status === e.status) });
        }
        if (!live.some((s) => s.latestEventAt === latest)) {
          out.push({
            what: `recentPatients[${i}] ${p.key} latestEventAt`,
            expected: describeStates(states),
            got: String(e.latestEventAt),
            older: this.older(p, a.startedAt, (s) => (s?.latestEventAt ?? null) === latest),
          });
        }
      } else if (this.model.baseline.seededIds.has(id) || baseline.some((b) => b.id === id)) {
        const want = baseline[seededSeen];
        if (!want || canonical(want) !== canonical({ id, name: e.name, status: e.status, latestEventAt: e.latestEventAt })) {
          out.push({ what: `recentPatients[${i}]: the seeded patients listed are not the baseline's top ones, in order`, expected: show(want ?? 'no more seeded patients'), got: show(e) });
        }
        seededSeen += 1;
      } else if (baseline.length >= limit) {
        out.push({ what: `recentPatients[${i}]: a patient nobody registered`, expected: 'seeded or owned patients', got: show(e) });
      }
    }
    for (let i = 1; i < ranks.length; i++) {
      if (!ranksAhead(ranks[i - 1], ranks[i])) out.push({ what: `recentPatients out of order at ${i}`, expected: 'newest first, no events last, ties by id', got: show(list.slice(i - 1, i + 1)) });
    }
    if (list.length > limit) out.push({ what: 'recentPatients longer than its limit', expected: String(limit), got: String(list.length) });
    // Owned patients that are not listed: only if the list is full and its last entry ranks
    // ahead of the patient even at the oldest latestEventAt the patient may have.
    const last = ranks.length >= limit ? ranks[ranks.length - 1] : null;
    for (const p of this.model.known()) {
      if (listed.has(p.id as string)) continue;
      const states = p.possible(a.startedAt, a.endedAt);
      const absentOk = (s: PatientState | null) => s === null || (last !== null && ranksAhead(last, { id: p.id as string, latest: s.latestEventAt }));
      if (!states.some(absentOk)) {
        out.push({
          what: `recentPatients: ${p.key} (${String(p.id)}) missing`,
          expected: `listed (${describeStates(states)})`,
          got: last ? `not listed; the list ends with ${last.id} at ${iso(last.latest)}` : `not listed in a list of ${ranks.length} < ${limit}`,
          older: this.older(p, a.startedAt, absentOk),
        });
      }
    }
    return out;
  }

  private wardMapping(a: Answer): Mismatch[] {
    const out: Mismatch[] = [];
    const filter = ((a.variables.filter ?? {}) as WardFilter) || {};
    const wardIds = filter.wardIds?.map(String) ?? null;
    const tagIds = filter.tagIds?.map(String) ?? null;
    const search = filter.search?.trim() ? foldForSearch(filter.search.trim()) : null;
    const tagOk = (tags: readonly string[]) => tagIds === null || tags.some((t) => tagIds.includes(t));
    const nameOk = (name: string) => search === null || foldForSearch(name).includes(search);
    const { baseline } = this.model;
    const m = a.data?.wardMapping as {
      totalPatients: number;
      totalWards: number;
      wards: Array<{
        ward: { id: unknown; name: unknown; abbreviation: unknown; floor: unknown };
        patientCount: number;
        capacityEstimate: number;
        utilizationPercentage: number;
        patients: Array<{ patient: { id: unknown; name: unknown }; bed: unknown; admittedAt: unknown; tags: Array<{ id: unknown; name: unknown; color: unknown }> }>;
      }>;
    };
    if (!m) return [{ what: 'wardMapping missing', expected: 'an object', got: show(a.data) }];
    const wantWards = baseline.wards.filter((w) => wardIds === null || wardIds.includes(w.id));
    const gotWards = m.wards.map((w) => ({ id: String(w.ward.id), name: w.ward.name, abbreviation: w.ward.abbreviation, floor: w.ward.floor, capacity: w.capacityEstimate }));
    if (canonical(gotWards) !== canonical(wantWards)) out.push({ what: 'wardMapping wards', expected: show(wantWards), got: show(gotWards) });
    const sum = m.wards.reduce((s, w) => s + w.patientCount, 0);
    if (m.totalWards !== m.wards.length || m.totalPatients !== sum || m.wards.some((w) => w.patientCount !== w.patients.length)) {
      out.push({ what: 'wardMapping totals do not add up', expected: `totalWards ${m.wards.length}, totalPatients ${sum}, patientCount = patients listed`, got: show({ totalWards: m.totalWards, totalPatients: m.totalPatients, counts: m.wards.map((w) => [w.patientCount, w.patients.length]) }) });
    }

    const seen = new Set<string>();
    const known = this.model.known();
    for (const w of m.wards) {
      const wardId = String(w.ward.id);
      const ward = baseline.wards.find((x) => x.id === wardId);
      if (!ward) continue;
      const [min, max] = this.model.occupancyRange(wardId, a.startedAt, a.endedAt);
      const lo = Math.round((100 * min) / ward.capacity);
      const hi = Math.round((100 * max) / ward.capacity);
      if (w.utilizationPercentage < lo || w.utilizationPercentage > hi) {
        out.push({ what: `ward ${ward.name} utilizationPercentage`, expected: lo === hi ? String(lo) : `${lo}..${hi} (${min}..${max} of ${ward.capacity} beds)`, got: String(w.utilizationPercentage) });
      }
      const seeded = baseline.seededByWard.get(wardId) ?? [];
      const listedHere = new Set<string>();
      for (const e of w.patients) {
        const id = String(e.patient.id);
        if (seen.has(id)) out.push({ what: `patient ${id} listed twice`, expected: 'once', got: `again in ${ward.name}` });
        seen.add(id);
        listedHere.add(id);
        const gotTags = sortedIds((e.tags ?? []).map((t) => String(t.id)));
        for (const t of e.tags ?? []) {
          const known = baseline.tags.find((x) => x.id === String(t.id));
          if (!known || known.name !== t.name || known.color !== t.color) out.push({ what: `tag ${String(t.id)} of ${id}`, expected: show(known), got: show(t) });
        }
        const s = seeded.find((x) => x.patientId === id);
        if (s) {
          const want = { name: s.name, bed: s.bed, admittedAt: s.admittedAt, tags: sortedIds(s.tags.map((t) => t.id)) };
          const got = { name: e.patient.name, bed: e.bed, admittedAt: e.admittedAt, tags: gotTags };
          if (canonical(want) !== canonical(got)) out.push({ what: `seeded patient ${id} in ${ward.name} changed`, expected: show(want), got: show(got) });
          if (!tagOk(want.tags) || !nameOk(s.name)) out.push({ what: `seeded patient ${id} listed against the filter`, expected: 'not listed', got: show(e) });
          continue;
        }
        const p = this.model.get(id);
        if (!p) {
          out.push({ what: `ward ${ward.name} lists patient ${id}, who has no open admission there`, expected: 'seeded or owned admissions only', got: show(e) });
          continue;
        }
        const states = p.possible(a.startedAt, a.endedAt);
        const live = states.filter((x): x is PatientState => x !== null);
        if (e.patient.name !== p.name) out.push({ what: `${p.key} name`, expected: p.name, got: String(e.patient.name) });
        const here = { ward: { id: wardId }, bed: e.bed, admittedAt: e.admittedAt };
        if (!live.some((x) => admissionMatches(here, x.admission, false))) {
          out.push({
            what: `${p.key} (${id}) listed in ${ward.name} bed ${String(e.bed)}`,
            expected: describeStates(states),
            got: show(here),
            older: this.older(p, a.startedAt, (x) => x !== null && admissionMatches(here, x.admission, false)),
          });
        }
        if (!live.some((x) => x.tags.join(',') === gotTags.join(','))) {
          out.push({ what: `${p.key} (${id}) tags in ${ward.name}`, expected: describeStates(states), got: `[${gotTags.join(',')}]`, older: this.older(p, a.startedAt, (x) => x?.tags.join(',') === gotTags.join(',')) });
        }
        if (!nameOk(p.name) || !live.some((x) => tagOk(x.tags))) {
          out.push({ what: `${p.key} (${id}) listed against the filter`, expected: `not listed (${describeStates(states)})`, got: show(e), older: this.older(p, a.startedAt, (x) => x !== null && tagOk(x.tags)) });
        }
      }
      for (const s of seeded) {
        if (!listedHere.has(s.patientId) && tagOk(sortedIds(s.tags.map((t) => t.id))) && nameOk(s.name)) {
          out.push({ what: `seeded patient ${s.patientId} missing from ${ward.name}`, expected: show(s), got: 'not listed' });
        }
      }
      for (const p of known) {
        if (listedHere.has(p.id as string)) continue;
        const states = p.possible(a.startedAt, a.endedAt);
        // Absent is right if some allowed version is not admitted here, or fails the filter.
        const absentOk = (x: PatientState | null) => x?.admission?.wardId !== wardId || !tagOk(x.tags) || !nameOk(p.name);
        if (!states.some(absentOk)) {
          out.push({
            what: `${p.key} (${String(p.id)}) missing from ${ward.name}`,
            expected: `listed (${describeStates(states)})`,
            got: 'not listed',
            older: this.older(p, a.startedAt, absentOk),
          });
        }
      }
    }
    return out;
  }
}
