import type { RawRow } from '../../db/rows';
import { patientRow, type PatientRow } from '../patient/patient.row';
import { wardRow, type WardRow } from '../ward/ward.row';
import type { Admission } from './admission.entity';

/** An admission as reads return it (the GraphQL Admission's mapper). */
export interface AdmissionRow {
  id: number;
  patientId: number;
  wardId: number;
  bed: string;
  admittedAt: Date;
  dischargedAt: Date | null;
  /** Set when a write has them loaded; otherwise the patientById / wardById loaders. */
  patient?: PatientRow;
  ward?: WardRow;
}

/** Columns of `admission as a` an AdmissionRow needs. */
export const ADMISSION_COLUMNS = ['a.id', 'a.patient_id', 'a.ward_id', 'a.bed', 'a.admitted_at', 'a.discharged_at'];

export function admissionFromDb(r: RawRow, date: (value: unknown) => Date, nullableDate: (value: unknown) => Date | null): AdmissionRow {
  return {
    id: Number(r.id),
    patientId: Number(r.patient_id),
    wardId: Number(r.ward_id),
    bed: r.bed as string,
    admittedAt: date(r.admitted_at),
    dischargedAt: nullableDate(r.discharged_at),
  };
}

/** A written admission's answer, with the relations the write loaded (their committed values). */
export function admissionRow(admission: Admission): AdmissionRow {
  return {
    id: admission.id,
    patientId: admission.patient.id,
    wardId: admission.ward.id,
    bed: admission.bed,
    admittedAt: admission.admittedAt,
    dischargedAt: admission.dischargedAt,
    ...(admission.patient.isInitialized() ? { patient: patientRow(admission.patient.unwrap()) } : {}),
    ...(admission.ward.isInitialized() ? { ward: wardRow(admission.ward.unwrap()) } : {}),
  };
}
