/**
 * The writers' knowledge of one hospital: a snapshot of its rows read from PostgreSQL before a
 * run (nothing writes then), and from there the bench's own writes. A patient becomes "tracked"
 * at its first write: a TrackedPatient (test/stress/model.ts) whose first version is its snapshot
 * state and which gets one version per write, stamped with when the write was sent and answered.
 * Writes to one patient are never concurrent, so its versions are totally ordered; that is what
 * lets the checker say which states a read may show.
 *
 * Beds are reserved as soon as a write that takes one is sent and freed only once the write that
 * leaves it has answered, so the bench never asks for a taken bed or a full ward.
 */
import { Client as PgClient } from 'pg';
import { sortedIds, TrackedPatient, type PatientState } from '../../test/stress/model';
import { bedLabel } from '../../src/seed/seed';

export interface WardRow {
  id: string;
  floor: number;
  capacity: number;
}

interface Row {
  name: string;
  status: 'INPATIENT' | 'OUTPATIENT';
  latest: number | null;
}

export class HospitalModel {
  readonly wards: WardRow[] = [];
  readonly tagIds: string[] = [];
  /** Every patient id, for random picks. */
  readonly patientIds: string[] = [];
  private readonly rows = new Map<string, Row>();
  private readonly openAdmission = new Map<string, { id: string; wardId: string; bed: string; admittedAt: number }>();
  private readonly tagsOf = new Map<string, string[]>();
  /** Patients with an open admission in their current (definite) state. */
  readonly admitted = new Set<string>();
  /** Beds taken or about to be, per ward. */
  readonly reserved = new Map<string, Set<string>>();
  readonly tracked = new Map<string, TrackedPatient>();
  /** Patients with a write in flight. */
  readonly busy = new Set<string>();
  /** INPATIENT count of the snapshot. */
  inpatients = 0;
  /** Untracked patients whose status may still change (an earlier run's ambiguous admission or discharge). */
  statusUnknown = 0;
  private lastEventAt = 0;

  constructor(readonly hospitalId: string) {}

  /** Reads the hospital's rows (call while nothing writes). */
  async load(databaseUrl: string): Promise<this> {
    const c = new PgClient({ connectionString: databaseUrl });
    await c.connect();
    try {
      const h = [Number(this.hospitalId)];
      for (const w of (await c.query('select id, floor, capacity from ward where hospital_id = $1 order by id', h)).rows) {
        this.wards.push({ id: String(w.id), floor: Number(w.floor), capacity: Number(w.capacity) });
        this.reserved.set(String(w.id), new Set());
      }
      for (const t of (await c.query('select id from tag where hospital_id = $1 order by id', h)).rows) this.tagIds.push(String(t.id));
      for (const p of (await c.query('select id, name, status, latest_event_at from patient where hospital_id = $1', h)).rows) {
        const id = String(p.id);
        this.patientIds.push(id);
        this.rows.set(id, { name: p.name, status: p.status, latest: p.latest_event_at ? new Date(p.latest_event_at).getTime() : null });
        if (p.status === 'INPATIENT') this.inpatients += 1;
      }
      const open = await c.query('select id, patient_id, ward_id, bed, admitted_at from admission where hospital_id = $1 and discharged_at is null', h);
      for (const a of open.rows) {
        const pid = String(a.patient_id);
        this.openAdmission.set(pid, { id: String(a.id), wardId: String(a.ward_id), bed: a.bed, admittedAt: new Date(a.admitted_at).getTime() });
        this.admitted.add(pid);
        this.reserved.get(String(a.ward_id))?.add(a.bed);
      }
      const tags = await c.query('select pt.patient_id, pt.tag_id from patient_tags pt join patient p on p.id = pt.patient_id where p.hospital_id = $1', h);
      for (const t of tags.rows) {
        const pid = String(t.patient_id);
        const list = this.tagsOf.get(pid) ?? [];
        list.push(String(t.tag_id));
        this.tagsOf.set(pid, list);
      }
    } finally {
      await c.end();
    }
    return this;
  }

  /** The patient's current state: its newest version when tracked, else its snapshot row. */
  state(id: string): PatientState {
    const t = this.tracked.get(id);
    if (t) return t.current() as PatientState;
    const row = this.rows.get(id);
    if (!row) throw new Error(`unknown patient ${id} in hospital ${this.hospitalId}`);
    const adm = this.openAdmission.get(id);
    return {
      status: row.status,
      admission: adm ? { id: adm.id, wardId: adm.wardId, bed: adm.bed, admittedAt: adm.admittedAt } : null,
      tags: sortedIds(this.tagsOf.get(id) ?? []),
      latestEventAt: row.latest,
    };
  }

  /** The tracked record of a patient, made at its first write from its snapshot state. */
  track(id: string): TrackedPatient {
    let t = this.tracked.get(id);
    if (!t) {
      const initial = this.state(id);
      t = new TrackedPatient(`h${this.hospitalId}p${id}`, this.rows.get(id)?.name ?? '', '', 0);
      t.id = id;
      t.versions[0].state = initial;
      t.versions[0].kind = 'snapshot';
      this.tracked.set(id, t);
    }
    return t;
  }

  /** Patients a write may pick: idle and not retired (an ambiguous write retires a patient). */
  available(id: string): boolean {
    return !this.busy.has(id) && !(this.tracked.get(id)?.retired ?? false);
  }

  /** A free bed in a ward with room (null when none): the seed's labels first, then extra ones. */
  freeBed(wardId: string): string | null {
    const ward = this.wards.find((w) => w.id === wardId);
    const taken = this.reserved.get(wardId);
    if (!ward || !taken || taken.size >= ward.capacity) return null;
    for (let i = 0; i < 2 * ward.capacity; i++) {
      const label = bedLabel(ward.floor, i);
      if (!taken.has(label)) return label;
    }
    return null;
  }

  /** A fresh event time for this hospital: later than every other one of the run, whole ms. */
  nextEventTime(): number {
    this.lastEventAt = Math.max(Date.now(), this.lastEventAt + 1);
    return this.lastEventAt;
  }

  /** How many patients the snapshot counted as INPATIENT among the tracked ones. */
  trackedInitialInpatients(): number {
    let n = 0;
    for (const t of this.tracked.values()) if (t.versions[0].state?.status === 'INPATIENT') n += 1;
    return n;
  }
}

export async function loadHospitals(databaseUrl: string, ids: string[]): Promise<HospitalModel[]> {
  return Promise.all(ids.map((id) => new HospitalModel(id).load(databaseUrl)));
}
