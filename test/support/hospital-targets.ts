/**
 * Ids of one hospital that a write can act on right now, read from the database at the moment
 * they are needed: a suite that writes (admits, discharges, tags…) asks again before each
 * request and always gets rows in the state the request needs.
 */
import type { Orm } from '../../src/db/orm';

export interface HospitalTargets {
  hospitalId: number;
  /** The hospital's first patient (any status). */
  patientId: string;
  /** A patient without an open admission. */
  outpatientId: string;
  /** An open admission. */
  admission: { id: string; patientId: string; wardId: string; bed: string };
  /** A ward other than the admission's with a free bed (and that bed's label). */
  roomyWard: { wardId: string; bed: string };
  /** The hospital's first ward and first tag. */
  wardId: string;
  tagId: string;
  /** A patient carrying a tag, and that tag. */
  tagged: { patientId: string; tagId: string };
  /** A patient not carrying a tag of the hospital, and that tag. */
  untagged: { patientId: string; tagId: string };
}

type Row = Record<string, unknown>;

async function query(orm: Orm, sql: string, params: unknown[]): Promise<Row[]> {
  return orm.em.fork().getConnection().execute<Row[]>(sql, params, 'all');
}

async function first(orm: Orm, what: string, sql: string, params: unknown[]): Promise<Row> {
  const [row] = await query(orm, sql, params);
  if (!row) throw new Error(`hospital ${String(params[0])} has no ${what} left`);
  return row;
}

export async function targetsOf(orm: Orm, hospitalId: number): Promise<HospitalTargets> {
  const h = [hospitalId];
  const patient = await first(orm, 'patient', 'select id from patient where hospital_id = ? order by id limit 1', h);
  const outpatient = await first(
    orm,
    'patient without an open admission',
    `select p.id from patient p where p.hospital_id = ?
       and not exists (select 1 from admission a where a.patient_id = p.id and a.discharged_at is null)
     order by p.id limit 1`,
    h,
  );
  const admission = await first(
    orm,
    'open admission',
    'select id, patient_id, ward_id, bed from admission where hospital_id = ? and discharged_at is null order by id limit 1',
    h,
  );
  const wards = await query(
    orm,
    `select w.id, w.capacity, (select count(*) from admission a where a.ward_id = w.id and a.discharged_at is null) as n
       from ward w where w.hospital_id = ? order by w.id`,
    h,
  );
  const roomy = wards.find((w) => String(w.id) !== String(admission.ward_id) && Number(w.n) < Number(w.capacity));
  if (!roomy) throw new Error(`hospital ${hospitalId} has no ward with room besides ${String(admission.ward_id)}`);
  const taken = new Set((await query(orm, 'select bed from admission where ward_id = ? and discharged_at is null', [roomy.id])).map((r) => String(r.bed)));
  let bed = '';
  for (let i = 1; !bed; i += 1) if (!taken.has(`Bed M${i}`)) bed = `Bed M${i}`;
  const tag = await first(orm, 'tag', 'select id from tag where hospital_id = ? order by id limit 1', h);
  const tagged = await first(
    orm,
    'tagged patient',
    `select pt.patient_id, pt.tag_id from patient_tags pt join patient p on p.id = pt.patient_id
      where p.hospital_id = ? order by pt.patient_id, pt.tag_id limit 1`,
    h,
  );
  const untagged = await first(
    orm,
    'untagged (patient, tag) pair',
    `select p.id as patient_id, t.id as tag_id from patient p join tag t on t.hospital_id = p.hospital_id
      where p.hospital_id = ? and not exists (select 1 from patient_tags pt where pt.patient_id = p.id and pt.tag_id = t.id)
      order by p.id, t.id limit 1`,
    h,
  );
  return {
    hospitalId,
    patientId: String(patient.id),
    outpatientId: String(outpatient.id),
    admission: { id: String(admission.id), patientId: String(admission.patient_id), wardId: String(admission.ward_id), bed: String(admission.bed) },
    roomyWard: { wardId: String(roomy.id), bed },
    wardId: String(wards[0]?.id),
    tagId: String(tag.id),
    tagged: { patientId: String(tagged.patient_id), tagId: String(tagged.tag_id) },
    untagged: { patientId: String(untagged.patient_id), tagId: String(untagged.tag_id) },
  };
}
