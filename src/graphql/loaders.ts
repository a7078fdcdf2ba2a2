import DataLoader from 'dataloader';
import type { Em } from '../db/orm';
import { Admission } from '../modules/admission/admission.entity';
import { Patient } from '../modules/patient/patient.entity';
import { Ward } from '../modules/ward/ward.entity';
import { byName } from '../modules/shared/order';

export interface TagRow {
  id: number;
  name: string;
  color: string;
}

/**
 * One set per request: every relation a resolver follows goes through one of these, so a
 * list of N patients costs one statement per relation, not N.
 */
export interface Loaders {
  patientById: DataLoader<number, Patient | null>;
  wardById: DataLoader<number, Ward | null>;
  tagsByPatient: DataLoader<number, TagRow[]>;
  openAdmissionByPatient: DataLoader<number, Admission | null>;
}

// Stays well under SQLite's and PostgreSQL's bound-parameter limits.
const MAX_BATCH = 5000;

function byIds<T extends { id: number }>(rows: T[], ids: readonly number[]): (T | null)[] {
  const map = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => map.get(id) ?? null);
}

export function createLoaders(em: Em, hospitalId: number): Loaders {
  const opts = { maxBatchSize: MAX_BATCH };
  return {
    patientById: new DataLoader(async (ids) => {
      const rows = await em.find(Patient, { id: { $in: [...ids] }, hospital: hospitalId });
      return byIds(rows, ids);
    }, opts),

    wardById: new DataLoader(async (ids) => {
      const rows = await em.find(Ward, { id: { $in: [...ids] }, hospital: hospitalId });
      return byIds(rows, ids);
    }, opts),

    openAdmissionByPatient: new DataLoader(async (ids) => {
      const rows = await em.find(Admission, { patient: { $in: [...ids] }, hospital: hospitalId, dischargedAt: null });
      const map = new Map(rows.map((a) => [a.patient.id, a]));
      return ids.map((id) => map.get(id) ?? null);
    }, opts),

    // One join over the pivot table for every patient of the batch.
    tagsByPatient: new DataLoader(async (ids) => {
      const knex = em.getKnex();
      const query = knex('patient_tags as pt')
        .join('tag as t', 't.id', 'pt.tag_id')
        .whereIn('pt.patient_id', [...ids])
        .andWhere('t.hospital_id', hospitalId)
        .select('pt.patient_id', 't.id', 't.name', 't.color');
      // execute() does not take the fork's logger context by itself (the request's SQL count).
      const rows = await em.execute<Array<{ patient_id: number; id: number; name: string; color: string }>>(query, [], 'all', em.getLoggerContext());
      const map = new Map<number, TagRow[]>();
      for (const r of rows) {
        const list = map.get(Number(r.patient_id)) ?? [];
        list.push({ id: Number(r.id), name: r.name, color: r.color });
        map.set(Number(r.patient_id), list);
      }
      return ids.map((id) => (map.get(id) ?? []).sort(byName));
    }, opts),
  };
}

