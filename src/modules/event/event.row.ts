import { patientRow, type PatientRow } from '../patient/patient.row';
import type { ClinicalEvent } from './event.entity';

/** A clinical event as a write returns it (the GraphQL ClinicalEvent's mapper). */
export interface ClinicalEventRow {
  id: number;
  patientId: number;
  kind: string;
  occurredAt: Date;
  /** Set when the write has the patient loaded; otherwise the patientById loader. */
  patient?: PatientRow;
}

export function eventRow(event: ClinicalEvent): ClinicalEventRow {
  return {
    id: event.id,
    patientId: event.patient.id,
    kind: event.kind,
    occurredAt: event.occurredAt,
    ...(event.patient.isInitialized() ? { patient: patientRow(event.patient.unwrap()) } : {}),
  };
}
