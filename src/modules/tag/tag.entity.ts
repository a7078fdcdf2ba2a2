import { EntitySchema, type Ref } from '@mikro-orm/core';
import { Hospital } from '../hospital/hospital.entity';

export class Tag {
  id!: number;
  hospital!: Ref<Hospital>;
  name!: string;
  /** CSS colour, `#rrggbb`. */
  color!: string;
}

export const TagSchema = new EntitySchema<Tag>({
  class: Tag,
  tableName: 'tag',
  indexes: [{ name: 'tag_hospital_name_idx', properties: ['hospital', 'name'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    hospital: { kind: 'm:1', entity: () => Hospital, ref: true, index: false },
    name: { type: 'string', length: 100 },
    color: { type: 'string', length: 20 },
  },
});
