import { EntitySchema } from '@mikro-orm/core';

/** A hospital is the tenant: every other row belongs to exactly one. */
export class Hospital {
  id!: number;
  name!: string;
}

export const HospitalSchema = new EntitySchema<Hospital>({
  class: Hospital,
  tableName: 'hospital',
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    name: { type: 'string', length: 200 },
  },
});
