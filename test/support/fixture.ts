import type { Orm } from '../../src/db/orm';
import { Admission } from '../../src/modules/admission/admission.entity';
import { ClinicalEvent } from '../../src/modules/event/event.entity';
import { Hospital } from '../../src/modules/hospital/hospital.entity';
import { Patient, type PatientStatus } from '../../src/modules/patient/patient.entity';
import { Tag } from '../../src/modules/tag/tag.entity';
import { Ward } from '../../src/modules/ward/ward.entity';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The contract suite's data set: exact rows written through the ORM, every time relative to
 * `now` (captured when the fixture is built). Row ids are assigned by the database (only the
 * hospitals have fixed ids) and returned here.
 */
export interface Fixture {
  now: Date;
  hospitals: { main: number; other: number };
  wards: { cardiology: number; neurology: number; oncology: number; zeta: number };
  tags: { fallRisk: number; isolation: number; diabetic: number; other: number };
  patients: { alice: number; bob: number; chloe: number; dan: number; eve: number; frank: number; aliceOther: number };
  admissions: { alice: number; bob: number; chloe: number; eveDischarged: number; aliceOther: number };
  /** The instants the fixture wrote, for exact expectations. */
  at: {
    aliceAdmitted: Date;
    bobAdmitted: Date;
    chloeAdmitted: Date;
    eveAdmitted: Date;
    eveDischarged: Date;
    aliceOtherAdmitted: Date;
    aliceLatestEvent: Date;
    bobLatestEvent: Date;
    danLatestEvent: Date;
    frankLatestEvent: Date;
    aliceOtherLatestEvent: Date;
  };
}

export async function buildFixture(orm: Orm, now = new Date()): Promise<Fixture> {
  const em = orm.em.fork();
  const ago = (ms: number) => new Date(now.getTime() - ms);

  const h1 = em.create(Hospital, { id: 1, name: 'Hôpital Saint-Louis' });
  const h2 = em.create(Hospital, { id: 2, name: 'Other General' });

  const ward = (hospital: Hospital, name: string, abbreviation: string, floor: number, capacity: number) =>
    em.create(Ward, { hospital, name, abbreviation, floor, capacity });
  // Created out of name order so "wards by name" is not just insertion order.
  const oncology = ward(h1, 'Oncology', 'ONC', 4, 3);
  const cardiology = ward(h1, 'Cardiology', 'CARD', 2, 4);
  const neurology = ward(h1, 'Neurology', 'NEU', 3, 2);
  const zeta = ward(h2, 'Zeta Ward', 'ZETA', 1, 2);

  const tag = (hospital: Hospital, name: string, color: string) => em.create(Tag, { hospital, name, color });
  const fallRisk = tag(h1, 'Fall risk', '#e11d48');
  const isolation = tag(h1, 'Isolation', '#f59e0b');
  const diabetic = tag(h1, 'Diabetic', '#2563eb');
  const otherTag = tag(h2, 'Other tag', '#10b981');

  const at = {
    aliceAdmitted: ago(3 * DAY + 2 * HOUR),
    bobAdmitted: ago(10 * DAY),
    chloeAdmitted: ago(HOUR),
    eveAdmitted: ago(20 * DAY),
    eveDischarged: ago(15 * DAY),
    aliceOtherAdmitted: ago(2 * DAY),
    aliceLatestEvent: ago(HOUR),
    bobLatestEvent: ago(2 * HOUR),
    danLatestEvent: ago(30 * MINUTE),
    frankLatestEvent: ago(2 * HOUR),
    aliceOtherLatestEvent: ago(MINUTE),
  };

  const patient = (hospital: Hospital, name: string, status: PatientStatus, latestEventAt: Date | null, tags: Tag[] = []) => {
    const p = em.create(Patient, { hospital, name, status, latestEventAt });
    for (const t of tags) p.tags.add(t);
    return p;
  };
  // Flushed one by one so the ids follow this order (Bob's id < Frank's id: their tie is broken by id).
  const alice = patient(h1, 'Alice Moreau', 'INPATIENT', at.aliceLatestEvent, [fallRisk, diabetic]);
  await em.flush();
  const bob = patient(h1, 'Bob Okafor', 'INPATIENT', at.bobLatestEvent, [isolation]);
  await em.flush();
  const chloe = patient(h1, 'Chloé Dubois', 'INPATIENT', null);
  await em.flush();
  const dan = patient(h1, 'Dan Smith', 'OUTPATIENT', at.danLatestEvent);
  await em.flush();
  const eve = patient(h1, 'Eve Adams', 'OUTPATIENT', null);
  await em.flush();
  const frank = patient(h1, 'Frank Bauer', 'OUTPATIENT', at.frankLatestEvent);
  await em.flush();
  const aliceOther = patient(h2, 'Alice Other', 'INPATIENT', at.aliceOtherLatestEvent);

  const admission = (p: Patient, w: Ward, bed: string, admittedAt: Date, dischargedAt: Date | null = null) =>
    em.create(Admission, { hospital: p.hospital, patient: p, ward: w, bed, admittedAt, dischargedAt });
  const aAlice = admission(alice, cardiology, 'Bed 201A', at.aliceAdmitted);
  const aBob = admission(bob, cardiology, 'Bed 201B', at.bobAdmitted);
  const aChloe = admission(chloe, neurology, 'Bed 301A', at.chloeAdmitted);
  const aEve = admission(eve, oncology, 'Bed 401A', at.eveAdmitted, at.eveDischarged);
  const aAliceOther = admission(aliceOther, zeta, 'Bed 1', at.aliceOtherAdmitted);

  const event = (p: Patient, kind: string, occurredAt: Date) => em.create(ClinicalEvent, { hospital: p.hospital, patient: p, kind, occurredAt });
  event(alice, 'vitals', at.aliceLatestEvent);
  event(alice, 'lab', ago(5 * HOUR));
  event(bob, 'note', at.bobLatestEvent);
  event(dan, 'note', at.danLatestEvent);
  event(frank, 'vitals', at.frankLatestEvent);
  event(aliceOther, 'note', at.aliceOtherLatestEvent);
  await em.flush();

  return {
    now,
    hospitals: { main: h1.id, other: h2.id },
    wards: { cardiology: cardiology.id, neurology: neurology.id, oncology: oncology.id, zeta: zeta.id },
    tags: { fallRisk: fallRisk.id, isolation: isolation.id, diabetic: diabetic.id, other: otherTag.id },
    patients: { alice: alice.id, bob: bob.id, chloe: chloe.id, dan: dan.id, eve: eve.id, frank: frank.id, aliceOther: aliceOther.id },
    admissions: { alice: aAlice.id, bob: aBob.id, chloe: aChloe.id, eveDischarged: aEve.id, aliceOther: aAliceOther.id },
    at,
  };
}

export interface ScaleHospital {
  hospitalId: number;
  wardIds: number[];
  /** Patient ids in ascending order. */
  patientIds: number[];
}

/**
 * A hospital whose wards are completely full: `wards` wards named "Ward 1"… with `beds` beds
 * ("Bed 1"…) each, one admitted patient per bed carrying one or two of three tags. Written in
 * one flush (the ORM batches the inserts), so even 40 × 25 takes a moment only.
 */
export async function buildFullHospital(orm: Orm, hospitalId: number, wards: number, beds: number, now = new Date()): Promise<ScaleHospital> {
  const em = orm.em.fork();
  const hospital = em.create(Hospital, { id: hospitalId, name: `Scale hospital ${hospitalId}` });
  const tags = ['Alpha', 'Beta', 'Gamma'].map((name, i) => em.create(Tag, { hospital, name, color: `#00000${i}` }));
  const wardRows: Ward[] = [];
  const patients: Patient[] = [];
  for (let w = 1; w <= wards; w += 1) {
    const ward = em.create(Ward, { hospital, name: `Ward ${w}`, abbreviation: `W${w}`, floor: w, capacity: beds });
    wardRows.push(ward);
    for (let b = 1; b <= beds; b += 1) {
      const i = patients.length;
      const p = em.create(Patient, { hospital, name: `Patient ${hospitalId}-${w}-${b}`, status: 'INPATIENT', latestEventAt: null });
      p.tags.add(tags[i % 3]);
      if (i % 2 === 0) p.tags.add(tags[(i + 1) % 3]);
      patients.push(p);
      em.create(Admission, { hospital, patient: p, ward, bed: `Bed ${b}`, admittedAt: new Date(now.getTime() - (i % 7) * DAY), dischargedAt: null });
    }
  }
  await em.flush();
  return { hospitalId, wardIds: wardRows.map((w) => w.id), patientIds: patients.map((p) => p.id).sort((a, b) => a - b) };
}

/** Every row of the given hospitals as plain data, read through a fresh EntityManager. */
export async function snapshot(orm: Orm, hospitalIds: number[] = [1, 2]): Promise<unknown> {
  const em = orm.em.fork();
  const where = { hospital: { $in: hospitalIds } };
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const [wards, tags, patients, admissions, events] = await Promise.all([
    em.find(Ward, where, { orderBy: { id: 'asc' } }),
    em.find(Tag, where, { orderBy: { id: 'asc' } }),
    em.find(Patient, where, { orderBy: { id: 'asc' }, populate: ['tags'] }),
    em.find(Admission, where, { orderBy: { id: 'asc' } }),
    em.find(ClinicalEvent, where, { orderBy: { id: 'asc' } }),
  ]);
  return {
    wards: wards.map((w) => ({ id: w.id, hospital: w.hospital.id, name: w.name, abbreviation: w.abbreviation, floor: w.floor, capacity: w.capacity })),
    tags: tags.map((t) => ({ id: t.id, hospital: t.hospital.id, name: t.name, color: t.color })),
    patients: patients.map((p) => ({
      id: p.id,
      hospital: p.hospital.id,
      name: p.name,
      status: p.status,
      latestEventAt: iso(p.latestEventAt),
      tags: p.tags
        .getItems()
        .map((t) => t.id)
        .sort((a, b) => a - b),
    })),
    admissions: admissions.map((a) => ({
      id: a.id,
      hospital: a.hospital.id,
      patient: a.patient.id,
      ward: a.ward.id,
      bed: a.bed,
      admittedAt: iso(a.admittedAt),
      dischargedAt: iso(a.dischargedAt),
    })),
    events: events.map((e) => ({ id: e.id, hospital: e.hospital.id, patient: e.patient.id, kind: e.kind, occurredAt: iso(e.occurredAt) })),
  };
}
