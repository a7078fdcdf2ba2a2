import { EntitySchema, type Ref } from '@mikro-orm/core';
import { Hospital } from '../hospital/hospital.entity';

export class Ward {
  id!: number;
  hospital!: Ref<Hospital>;
  name!: string;
  abbreviation!: string;
  floor!: number;
  /** Number of beds; the denominator of utilizationPercentage. */
  capacity!: number;
}

export const WardSchema = new EntitySchema<Ward>({
  class: Ward,
  tableName: 'ward',
  indexes: [{ name: 'ward_hospital_name_idx', properties: ['hospital', 'name'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    hospital: { kind: 'm:1', entity: () => Hospital, ref: true, index: false },
    name: { type: 'string', length: 200 },
    abbreviation: { type: 'string', length: 20 },
    floor: { type: 'number' },
    capacity: { type: 'number' },
  },
});
