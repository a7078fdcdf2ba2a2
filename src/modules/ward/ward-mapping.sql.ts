import type { Knex } from '@mikro-orm/knex';
import { PATIENT_COLUMNS } from '../patient/patient.row';
import { TAG_COLUMNS } from '../tag/tag.row';
import { WARD_COLUMNS } from './ward.row';

/** What a ward map lists: the hospital's wards (or those of wardIds) and, with tagIds, only patients carrying one of them. */
export interface MappingScope {
  hospitalId: number;
  wardIds: number[] | null;
  tagIds: number[] | null;
}

/**
 * The statements of a ward map. Each names the listed wards by a subquery rather than by the
 * ids the first statement returns: none waits for another's rows, and bound parameters and
 * statements stay as many whatever the number of wards and patients.
 */
function listedWardIds(knex: Knex, scope: MappingScope): Knex.QueryBuilder {
  const q = knex('ward as w').select('w.id').where('w.hospital_id', scope.hospitalId);
  return scope.wardIds ? q.whereIn('w.id', scope.wardIds) : q;
}

/** Open admissions in the listed wards (of patients carrying one of tagIds, when given). */
function openAdmissions(knex: Knex, scope: MappingScope): Knex.QueryBuilder {
  const q = knex('admission as a')
    .where('a.hospital_id', scope.hospitalId)
    .whereNull('a.discharged_at')
    .whereIn('a.ward_id', listedWardIds(knex, scope));
  if (!scope.tagIds) return q;
  return q.whereExists(
    knex('patient_tags as ft')
      .join('tag as ftag', 'ftag.id', 'ft.tag_id')
      .select(knex.raw('1'))
      .where('ft.patient_id', knex.ref('a.patient_id'))
      .whereIn('ft.tag_id', scope.tagIds)
      .andWhere('ftag.hospital_id', scope.hospitalId),
  );
}

/** 1. The listed wards. */
export function wardsStatement(knex: Knex, scope: MappingScope): Knex.QueryBuilder {
  const q = knex('ward as w').select(WARD_COLUMNS).where('w.hospital_id', scope.hospitalId);
  return scope.wardIds ? q.whereIn('w.id', scope.wardIds) : q;
}

/** 2. Open admissions per listed ward, whatever the patient filters (the utilisation). */
export function openCountsStatement(knex: Knex, scope: MappingScope): Knex.QueryBuilder {
  return openAdmissions(knex, { ...scope, tagIds: null })
    .select('a.ward_id')
    .count('* as n')
    .groupBy('a.ward_id');
}

/** 3. The listed admissions with their patients. */
export function admittedStatement(knex: Knex, scope: MappingScope): Knex.QueryBuilder {
  return openAdmissions(knex, scope)
    .join('patient as p', 'p.id', 'a.patient_id')
    .select('a.ward_id', 'a.bed', 'a.admitted_at', ...PATIENT_COLUMNS);
}

/** 4. The tags of the listed admissions' patients (all their tags, not only the filter's). */
export function admittedTagsStatement(knex: Knex, scope: MappingScope): Knex.QueryBuilder {
  return openAdmissions(knex, scope)
    .join('patient_tags as pt', 'pt.patient_id', 'a.patient_id')
    .join('tag as t', 't.id', 'pt.tag_id')
    .andWhere('t.hospital_id', scope.hospitalId)
    .select('pt.patient_id', ...TAG_COLUMNS);
}
