import { EntitySchema, type Ref } from '@mikro-orm/core';
import { Hospital } from '../hospital/hospital.entity';
import { Patient } from '../patient/patient.entity';

export class ClinicalEvent {
  id!: number;
  hospital!: Ref<Hospital>;
  patient!: Ref<Patient>;
  /** Free-form: "note", "vitals", "lab"… */
  kind!: string;
  occurredAt!: Date;
}

export const ClinicalEventSchema = new EntitySchema<ClinicalEvent>({
  class: ClinicalEvent,
  tableName: 'clinical_event',
  indexes: [{ name: 'clinical_event_patient_time_idx', properties: ['patient', 'occurredAt'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    hospital: { kind: 'm:1', entity: () => Hospital, ref: true, index: false },
    patient: { kind: 'm:1', entity: () => Patient, ref: true, index: false },
    kind: { type: 'string', length: 100 },
    occurredAt: { type: 'Date' },
  },
});
