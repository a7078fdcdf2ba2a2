import { EntitySchema, type Ref } from '@mikro-orm/core';
import { Hospital } from '../hospital/hospital.entity';
import { Patient } from '../patient/patient.entity';
import { Ward } from '../ward/ward.entity';

/**
 * A stay in a ward bed. Open while dischargedAt is null; the migrations add partial unique
 * indexes so the database itself refuses two open admissions for one bed or one patient.
 */
export class Admission {
  id!: number;
  hospital!: Ref<Hospital>;
  patient!: Ref<Patient>;
  ward!: Ref<Ward>;
  bed!: string;
  admittedAt!: Date;
  dischargedAt: Date | null = null;
}

export const AdmissionSchema = new EntitySchema<Admission>({
  class: Admission,
  tableName: 'admission',
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    hospital: { kind: 'm:1', entity: () => Hospital, ref: true, index: false },
    patient: { kind: 'm:1', entity: () => Patient, ref: true, index: false },
    ward: { kind: 'm:1', entity: () => Ward, ref: true, index: false },
    bed: { type: 'string', length: 50 },
    admittedAt: { type: 'Date' },
    dischargedAt: { type: 'Date', nullable: true },
  },
});
