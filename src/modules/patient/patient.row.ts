import type { RawRow } from '../../db/rows';
import type { TagRow } from '../tag/tag.row';
import type { Patient, PatientStatus } from './patient.entity';

/** A patient as reads return it (the GraphQL Patient's mapper). */
export interface PatientRow {
  id: number;
  name: string;
  status: PatientStatus;
  latestEventAt: Date | null;
  /** Already at hand (the ward map loads them in one statement); otherwise the tagsByPatient loader. */
  tags?: TagRow[];
}

/** Columns of `patient as p` a PatientRow needs. */
export const PATIENT_COLUMNS = ['p.id', 'p.name', 'p.status', 'p.latest_event_at'];

export function patientFromDb(r: RawRow, date: (value: unknown) => Date | null): PatientRow {
  return { id: Number(r.id), name: r.name as string, status: r.status as PatientStatus, latestEventAt: date(r.latest_event_at) };
}

/** A written patient's answer: the entity's committed values (tags are read back by the loader). */
export function patientRow(patient: Patient): PatientRow {
  return { id: patient.id, name: patient.name, status: patient.status, latestEventAt: patient.latestEventAt };
}
