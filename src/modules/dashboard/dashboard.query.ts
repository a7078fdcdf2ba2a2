import { raw } from '@mikro-orm/core';
import type { Em } from '../../db/orm';
import { nullableDateParser, selectRows } from '../../db/rows';
import { Patient } from '../patient/patient.entity';
import { PATIENT_COLUMNS, patientFromDb, type PatientRow } from '../patient/patient.row';
import { BadUserInputError } from '../../errors/errors';

export interface DashboardStatsModel {
  totalPatients: number;
  inpatients: number;
  outpatients: number;
  updatedAt: Date;
}

/** All three counts in one aggregate statement over the (hospital, status) index. */
export async function loadDashboardStats(em: Em, hospitalId: number, now = new Date()): Promise<DashboardStatsModel> {
  const row = await em
    .createQueryBuilder(Patient, 'p')
    .select([
      raw('count(*) as total'),
      raw(`coalesce(sum(case when p.status = 'INPATIENT' then 1 else 0 end), 0) as inpatients`),
      raw(`coalesce(sum(case when p.status = 'OUTPATIENT' then 1 else 0 end), 0) as outpatients`),
    ])
    .where({ hospital: hospitalId })
    .execute<{ total: number | string; inpatients: number | string; outpatients: number | string }>('get', false);
  return {
    totalPatients: Number(row.total),
    inpatients: Number(row.inpatients),
    outpatients: Number(row.outpatients),
    updatedAt: now,
  };
}

export const RECENT_LIMIT = { min: 1, max: 100, default: 30 };

/** Newest event first, patients without events last, ties by id: one index scan, plain rows. */
export async function loadRecentPatients(em: Em, hospitalId: number, limit: number | null | undefined): Promise<PatientRow[]> {
  const n = limit ?? RECENT_LIMIT.default;
  if (!Number.isInteger(n) || n < RECENT_LIMIT.min || n > RECENT_LIMIT.max) {
    throw new BadUserInputError(`limit must be between ${RECENT_LIMIT.min} and ${RECENT_LIMIT.max}, got ${n}`, 'limit');
  }
  // The order the PostgreSQL index (hospital_id, latest_event_at desc nulls last, id) serves.
  const query = em
    .getKnex()('patient as p')
    .select(PATIENT_COLUMNS)
    .where('p.hospital_id', hospitalId)
    .orderByRaw('?? desc nulls last, ?? asc', ['p.latest_event_at', 'p.id'])
    .limit(n);
  const date = nullableDateParser(em);
  return (await selectRows(em, query)).map((r) => patientFromDb(r, date));
}
