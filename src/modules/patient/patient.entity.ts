import { Collection, EntitySchema, type Ref } from '@mikro-orm/core';
import { Hospital } from '../hospital/hospital.entity';
import { Tag } from '../tag/tag.entity';

export type PatientStatus = 'INPATIENT' | 'OUTPATIENT';
export const PATIENT_STATUSES: readonly PatientStatus[] = ['INPATIENT', 'OUTPATIENT'];

export class Patient {
  id!: number;
  hospital!: Ref<Hospital>;
  name!: string;
  status: PatientStatus = 'OUTPATIENT';
  /**
   * Time of the patient's newest clinical event, kept by recordEvent in the same transaction
   * as the event insert, so "recent patients" is one index scan instead of an aggregate over
   * every event of the hospital.
   */
  latestEventAt: Date | null = null;
  tags = new Collection<Tag>(this);
}

export const PatientSchema = new EntitySchema<Patient>({
  class: Patient,
  tableName: 'patient',
  indexes: [
    { name: 'patient_hospital_status_idx', properties: ['hospital', 'status'] },
    { name: 'patient_hospital_latest_event_idx', properties: ['hospital', 'latestEventAt', 'id'] },
  ],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    hospital: { kind: 'm:1', entity: () => Hospital, ref: true, index: false },
    name: { type: 'string', length: 200 },
    status: { enum: true, items: () => PATIENT_STATUSES as PatientStatus[], type: 'string', length: 20 },
    latestEventAt: { type: 'Date', nullable: true },
    tags: { kind: 'm:n', entity: () => Tag, pivotTable: 'patient_tags', owner: true },
  },
});
