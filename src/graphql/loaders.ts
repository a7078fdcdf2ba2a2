import DataLoader from 'dataloader';
import type { Em } from '../db/orm';
import { dateParser, nullableDateParser, selectRows } from '../db/rows';
import { ADMISSION_COLUMNS, admissionFromDb, type AdmissionRow } from '../modules/admission/admission.row';
import { PATIENT_COLUMNS, patientFromDb, type PatientRow } from '../modules/patient/patient.row';
import { byName } from '../modules/shared/order';
import { TAG_COLUMNS, tagFromDb, type TagRow } from '../modules/tag/tag.row';
import { WARD_COLUMNS, wardFromDb, type WardRow } from '../modules/ward/ward.row';

/**
 * One set per request: every relation a resolver follows goes through one of these, so a
 * list of N patients costs one statement per relation, not N. They read plain rows (no
 * entities): see src/db/rows.ts.
 */
export interface Loaders {
  patientById: DataLoader<number, PatientRow | null>;
  wardById: DataLoader<number, WardRow | null>;
  tagsByPatient: DataLoader<number, TagRow[]>;
  openAdmissionByPatient: DataLoader<number, AdmissionRow | null>;
}

// Stays well under SQLite's and PostgreSQL's bound-parameter limits.
const MAX_BATCH = 5000;

function byIds<T extends { id: number }>(rows: T[], ids: readonly number[]): (T | null)[] {
  const map = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => map.get(id) ?? null);
}

export function createLoaders(em: Em, hospitalId: number): Loaders {
  const opts = { maxBatchSize: MAX_BATCH };
  const knex = () => em.getKnex();
  const date = dateParser(em);
  const nullableDate = nullableDateParser(em);
  return {
    patientById: new DataLoader(async (ids) => {
      const query = knex()('patient as p').select(PATIENT_COLUMNS).whereIn('p.id', [...ids]).andWhere('p.hospital_id', hospitalId);
      const rows = await selectRows(em, query);
      return byIds(
        rows.map((r) => patientFromDb(r, nullableDate)),
        ids,
      );
    }, opts),

    wardById: new DataLoader(async (ids) => {
      const query = knex()('ward as w').select(WARD_COLUMNS).whereIn('w.id', [...ids]).andWhere('w.hospital_id', hospitalId);
      return byIds((await selectRows(em, query)).map(wardFromDb), ids);
    }, opts),

    openAdmissionByPatient: new DataLoader(async (ids) => {
      const query = knex()('admission as a')
        .select(ADMISSION_COLUMNS)
        .whereIn('a.patient_id', [...ids])
        .andWhere('a.hospital_id', hospitalId)
        .whereNull('a.discharged_at');
      const map = new Map<number, AdmissionRow>();
      for (const r of await selectRows(em, query)) {
        const admission = admissionFromDb(r, date, nullableDate);
        map.set(admission.patientId, admission);
      }
      return ids.map((id) => map.get(id) ?? null);
    }, opts),

    // One join over the pivot table for every patient of the batch.
    tagsByPatient: new DataLoader(async (ids) => {
      const query = knex()('patient_tags as pt')
        .join('tag as t', 't.id', 'pt.tag_id')
        .whereIn('pt.patient_id', [...ids])
        .andWhere('t.hospital_id', hospitalId)
        .select('pt.patient_id', ...TAG_COLUMNS);
      const map = new Map<number, TagRow[]>();
      for (const r of await selectRows(em, query)) {
        const list = map.get(Number(r.patient_id)) ?? [];
        list.push(tagFromDb(r));
        map.set(Number(r.patient_id), list);
      }
      return ids.map((id) => (map.get(id) ?? []).sort(byName));
    }, opts),
  };
}
