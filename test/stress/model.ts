/**
 * The model: what the writers know about the patients they own.
 *
 * Every write a writer makes on one of its patients adds a version of that patient's state,
 * stamped with the time the request was sent (`start`) and the time its answer arrived (`end`).
 * A writer makes one write at a time, so a patient's versions are totally ordered. The write's
 * commit happened somewhere inside [start, end]; nothing more is known.
 *
 * A read that was sent at `rs` and answered at `re` may show any version from the newest one whose
 * write had returned before `rs` (the contract: nothing older than a write that returned before
 * the read started) up to the newest one whose write had started before `re`. A write that failed
 * in a way that leaves its effect unknown (an internal error, a 5xx, a timeout…) is "ambiguous":
 * it may or may not have happened, forever; the writer retires that patient (no more writes) so
 * the set of possible states stays {before, after}.
 *
 * Server-made values (an admission's id, admittedAt) are unknown (null, matching anything) while
 * their write is in flight, and filled in from its answer.
 */

export type Status = 'INPATIENT' | 'OUTPATIENT';

export interface AdmissionState {
  /** Null: not known (the admitting write has not answered, or never did). */
  id: string | null;
  wardId: string;
  bed: string;
  /** Epoch ms; null: not known. */
  admittedAt: number | null;
}

export interface PatientState {
  status: Status;
  admission: AdmissionState | null;
  /** Tag ids, sorted. */
  tags: readonly string[];
  /** Epoch ms; null: no event. */
  latestEventAt: number | null;
}

export interface Version {
  /** Null: the patient does not exist (before its registration). */
  state: PatientState | null;
  /** The write that made it (`initial` for the first). */
  kind: string;
  start: number;
  end: number;
  /** The write returned successfully; false while in flight and forever for an ambiguous one. */
  definite: boolean;
}

export class TrackedPatient {
  /** Null until the registration answered (forever for an ambiguous registration). */
  id: string | null = null;
  readonly versions: Version[] = [{ state: null, kind: 'initial', start: -Infinity, end: -Infinity, definite: true }];
  retired = false;

  constructor(
    /** `w<writer>p<n>`: stable across replays. */
    readonly key: string,
    readonly name: string,
    /** A substring of the name no other patient has (for WardMapping's search filter). */
    readonly token: string,
    readonly writer: number,
  ) {}

  /** The state the writer plans its next write from (its own writes are sequential). */
  current(): PatientState | null {
    return this.versions[this.versions.length - 1].state;
  }

  begin(kind: string, next: PatientState | null, now = performance.now()): Version {
    const v: Version = { state: next, kind, start: now, end: Infinity, definite: false };
    this.versions.push(v);
    return v;
  }

  /** The write answered: ok (its effect is certain) or not (ambiguous: the patient retires). */
  settle(v: Version, ok: boolean, now = performance.now()): void {
    v.end = now;
    v.definite = ok;
    if (!ok) this.retired = true;
  }

  /** Index of the newest version whose write had returned successfully before `rs`. */
  private floor(rs: number): number {
    for (let i = this.versions.length - 1; i >= 0; i--) {
      const v = this.versions[i];
      if (v.definite && v.end < rs) return i;
    }
    return 0;
  }

  /** The states a read sent at `rs` and answered at `re` may show. */
  possible(rs: number, re: number): Array<PatientState | null> {
    const k = this.floor(rs);
    const out: Array<PatientState | null> = [];
    for (let i = k; i < this.versions.length; i++) if (this.versions[i].start < re) out.push(this.versions[i].state);
    return out;
  }

  /**
   * For a mismatch: the newest version older than the read allows that does show what the read
   * showed, with the write that replaced it and how long before the read started it returned.
   */
  olderMatch(rs: number, shows: (s: PatientState | null) => boolean): { write: string; returnedMsBeforeRead: number } | null {
    const k = this.floor(rs);
    for (let j = k - 1; j >= 0; j--) {
      if (shows(this.versions[j].state)) {
        const next = this.versions[j + 1];
        return { write: next.kind, returnedMsBeforeRead: Math.round(rs - next.end) };
      }
    }
    return null;
  }

  /** The newest write that had returned before `rs` (for reports). */
  lastWriteBefore(rs: number): Version {
    return this.versions[this.floor(rs)];
  }
}

/** Baseline knowledge of the seeded data (read once before any write; it never changes). */
export interface WardInfo {
  id: string;
  name: string;
  abbreviation: string;
  floor: number;
  capacity: number;
}

export interface TagInfo {
  id: string;
  name: string;
  color: string;
}

export interface SeededAdmission {
  patientId: string;
  name: string;
  wardId: string;
  bed: string;
  admittedAt: string;
  tags: TagInfo[];
}

export interface RecentEntry {
  id: string;
  name: string;
  status: Status;
  latestEventAt: string | null;
}

export interface Baseline {
  /** In the contract's order (by name). */
  wards: WardInfo[];
  tags: TagInfo[];
  /** WardFilters' data without updatedAt. */
  wardFilters: unknown;
  /** Open admissions of seeded patients, by ward id. */
  seededByWard: Map<string, SeededAdmission[]>;
  totalPatients: number;
  inpatients: number;
  outpatients: number;
  /** The Dashboard's recent list before any write (seeded patients only). */
  recent: RecentEntry[];
  /** Patient answers of a sample of seeded patients, by id. */
  seededPatients: Map<string, unknown>;
  seededIds: Set<string>;
}

export class Model {
  readonly patients: TrackedPatient[] = [];
  private readonly byId = new Map<string, TrackedPatient>();
  private lastEventAt = 0;

  constructor(readonly baseline: Baseline) {}

  add(p: TrackedPatient): void {
    this.patients.push(p);
  }

  /** Call when a registration answered with the patient's id. */
  identify(p: TrackedPatient, id: string): void {
    p.id = id;
    this.byId.set(id, p);
  }

  get(id: string): TrackedPatient | undefined {
    return this.byId.get(id);
  }

  /** Owned patients whose id is known. */
  known(): TrackedPatient[] {
    return this.patients.filter((p) => p.id !== null);
  }

  /**
   * A fresh event time, later than every other event of the run (whole milliseconds, as the
   * API answers them) and not in the future beyond a millisecond or two.
   */
  nextEventTime(): number {
    this.lastEventAt = Math.max(Date.now(), this.lastEventAt + 1);
    return this.lastEventAt;
  }

  /** What Dashboard's counts may be for a read sent at `rs` and answered at `re`. */
  countRanges(rs: number, re: number): { total: [number, number]; inpatients: [number, number]; outpatients: [number, number] } {
    const b = this.baseline;
    const total: [number, number] = [b.totalPatients, b.totalPatients];
    const inpatients: [number, number] = [b.inpatients, b.inpatients];
    const outpatients: [number, number] = [b.outpatients, b.outpatients];
    const add = (range: [number, number], states: Array<PatientState | null>, holds: (s: PatientState | null) => boolean) => {
      if (states.every(holds)) range[0] += 1;
      if (states.some(holds)) range[1] += 1;
    };
    for (const p of this.patients) {
      const states = p.possible(rs, re);
      add(total, states, (s) => s !== null);
      add(inpatients, states, (s) => s?.status === 'INPATIENT');
      add(outpatients, states, (s) => s?.status === 'OUTPATIENT');
    }
    return { total, inpatients, outpatients };
  }

  /** How many open admissions ward `wardId` may have (seeded ones included). */
  occupancyRange(wardId: string, rs: number, re: number): [number, number] {
    const seeded = this.baseline.seededByWard.get(wardId)?.length ?? 0;
    const range: [number, number] = [seeded, seeded];
    for (const p of this.patients) {
      const states = p.possible(rs, re);
      const inWard = (s: PatientState | null) => s?.admission?.wardId === wardId;
      if (states.every(inWard)) range[0] += 1;
      if (states.some(inWard)) range[1] += 1;
    }
    return range;
  }
}

/** The contract's search folding (case- and Unicode-normalisation-insensitive). */
export function foldForSearch(text: string): string {
  return text.normalize('NFC').toLocaleLowerCase();
}

export function sortedIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}
