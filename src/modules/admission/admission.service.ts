import type { Em } from '../../db/orm';
import { ConflictError } from '../../errors/errors';
import { Hospital } from '../hospital/hospital.entity';
import { Patient } from '../patient/patient.entity';
import { findOwned, inTransaction, requireText } from '../shared/writes';
import { Ward } from '../ward/ward.entity';
import { Admission } from './admission.entity';
import { admissionRow, type AdmissionRow } from './admission.row';

async function assertBedFree(tem: Em, ward: Ward, bed: string, except?: Admission): Promise<void> {
  const taken = await tem.findOne(Admission, { ward, bed, dischargedAt: null });
  if (taken && taken !== except) throw new ConflictError(`${bed} in ward ${ward.name} is already taken`);
}

async function assertWardHasRoom(tem: Em, ward: Ward): Promise<void> {
  const open = await tem.count(Admission, { ward, dischargedAt: null });
  if (open >= ward.capacity) throw new ConflictError(`Ward ${ward.name} is full (${open} of ${ward.capacity} beds)`);
}

export async function admitPatient(
  em: Em,
  hospitalId: number,
  input: { patientId: string; wardId: string; bed: string },
  now = new Date(),
): Promise<AdmissionRow> {
  const bed = requireText(input.bed, 'bed', 50);
  const written = await inTransaction(em, `${bed} is already taken or the patient is already admitted`, async (tem) => {
    const patient = await findOwned(tem, Patient, 'Patient', input.patientId, hospitalId);
    const ward = await findOwned(tem, Ward, 'Ward', input.wardId, hospitalId, { lock: true });
    const open = await tem.findOne(Admission, { patient, dischargedAt: null });
    if (open) throw new ConflictError(`Patient ${patient.id} is already admitted (admission ${open.id})`);
    await assertBedFree(tem, ward, bed);
    await assertWardHasRoom(tem, ward);
    const admission = tem.create(Admission, {
      hospital: tem.getReference(Hospital, hospitalId),
      patient,
      ward,
      bed,
      admittedAt: now,
      dischargedAt: null,
    });
    patient.status = 'INPATIENT';
    return admission;
  });
  return admissionRow(written);
}

/** Moves an open admission; admittedAt is kept so admission days keep counting. */
export async function transferPatient(
  em: Em,
  hospitalId: number,
  input: { admissionId: string; wardId: string; bed: string },
): Promise<AdmissionRow> {
  const bed = requireText(input.bed, 'bed', 50);
  const written = await inTransaction(em, `${bed} is already taken`, async (tem) => {
    const admission = await findOwned(tem, Admission, 'Admission', input.admissionId, hospitalId);
    if (admission.dischargedAt) throw new ConflictError(`Admission ${admission.id} is already discharged`);
    const ward = await findOwned(tem, Ward, 'Ward', input.wardId, hospitalId, { lock: true });
    if (admission.ward.id === ward.id && admission.bed === bed) return admission;
    await assertBedFree(tem, ward, bed, admission);
    if (admission.ward.id !== ward.id) await assertWardHasRoom(tem, ward);
    admission.ward = tem.getReference(Ward, ward.id, { wrapped: true });
    admission.bed = bed;
    return admission;
  });
  return admissionRow(written);
}

export async function dischargePatient(em: Em, hospitalId: number, admissionId: string, now = new Date()): Promise<AdmissionRow> {
  const written = await inTransaction(em, 'Admission could not be discharged', async (tem) => {
    const admission = await findOwned(tem, Admission, 'Admission', admissionId, hospitalId);
    if (admission.dischargedAt) throw new ConflictError(`Admission ${admission.id} is already discharged`);
    admission.dischargedAt = now;
    const patient = await tem.findOneOrFail(Patient, admission.patient.id);
    patient.status = 'OUTPATIENT';
    return admission;
  });
  return admissionRow(written);
}
