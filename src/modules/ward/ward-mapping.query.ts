import { raw } from '@mikro-orm/core';
import type { Em } from '../../db/orm';
import { Admission } from '../admission/admission.entity';
import type { Patient } from '../patient/patient.entity';
import { byName, compareText, parseId } from '../shared/order';
import { Ward } from './ward.entity';

export interface WardMappingFilterInput {
  wardIds?: readonly (string | number)[] | null;
  tagIds?: readonly (string | number)[] | null;
  search?: string | null;
}

export interface WardPatientModel {
  patient: Patient;
  bed: string;
  admittedAt: Date;
  admissionDays: number;
}

export interface WardMappingEntryModel {
  ward: Ward;
  patientCount: number;
  capacityEstimate: number;
  utilizationPercentage: number;
  patients: WardPatientModel[];
}

export interface WardMappingModel {
  totalPatients: number;
  totalWards: number;
  updatedAt: Date;
  wards: WardMappingEntryModel[];
}

const DAY_MS = 86_400_000;

/** Case-folded and NFC-normalised, so "Chloé" typed decomposed (e + U+0301) still finds "Chloé". */
function foldForSearch(text: string): string {
  return text.normalize('NFC').toLocaleLowerCase();
}

function ids(list: readonly (string | number)[] | null | undefined): number[] | null {
  if (list == null) return null;
  return list.map(parseId).filter((n): n is number => n !== null);
}

/**
 * The ward map in three statements whatever the hospital's size (the tags of the listed
 * patients are a fourth, batched by the tagsByPatient loader): wards, open-admission counts
 * per ward (the utilisation, unaffected by patient filters), and the listed admissions with
 * their patients.
 */
export async function loadWardMapping(
  em: Em,
  hospitalId: number,
  filter: WardMappingFilterInput | null | undefined,
  now = new Date(),
): Promise<WardMappingModel> {
  const wardIds = ids(filter?.wardIds);
  const tagIds = ids(filter?.tagIds);
  const search = filter?.search?.trim() ? foldForSearch(filter.search.trim()) : null;

  const wards = await em.find(Ward, { hospital: hospitalId, ...(wardIds ? { id: { $in: wardIds } } : {}) });
  wards.sort(byName);
  const listed = wards.map((w) => w.id);

  const counts = new Map<number, number>();
  const admissions: Admission[] = [];
  if (listed.length > 0) {
    const rows = await em
      .createQueryBuilder(Admission, 'a')
      .select([raw('a.ward_id as ward_id'), raw('count(*) as n')])
      .where({ hospital: hospitalId, dischargedAt: null, ward: { $in: listed } })
      .groupBy(raw('a.ward_id'))
      .execute<Array<{ ward_id: number; n: number | string }>>('all', false);
    for (const r of rows) counts.set(Number(r.ward_id), Number(r.n));

    if (!tagIds || tagIds.length > 0) {
      const found = await em.find(
        Admission,
        {
          hospital: hospitalId,
          dischargedAt: null,
          ward: { $in: listed },
          ...(tagIds ? { patient: { tags: { id: { $in: tagIds }, hospital: hospitalId } } } : {}),
        },
        { populate: ['patient'], strategy: 'joined' },
      );
      admissions.push(...found);
    }
  }

  // Name search runs here rather than in SQL: SQLite's lower() folds ASCII only ("Ö" ≠ "ö").
  const shown = search ? admissions.filter((a) => foldForSearch(a.patient.unwrap().name).includes(search)) : admissions;
  const byWard = new Map<number, WardPatientModel[]>();
  for (const a of shown) {
    const list = byWard.get(a.ward.id) ?? [];
    list.push({
      patient: a.patient.unwrap(),
      bed: a.bed,
      admittedAt: a.admittedAt,
      admissionDays: Math.max(0, Math.floor((now.getTime() - a.admittedAt.getTime()) / DAY_MS)),
    });
    byWard.set(a.ward.id, list);
  }

  const entries = wards.map((ward): WardMappingEntryModel => {
    const patients = (byWard.get(ward.id) ?? []).sort((x, y) => compareText(x.bed, y.bed) || x.patient.id - y.patient.id);
    return {
      ward,
      patientCount: patients.length,
      capacityEstimate: ward.capacity,
      utilizationPercentage: Math.round((100 * (counts.get(ward.id) ?? 0)) / ward.capacity),
      patients,
    };
  });

  return {
    totalPatients: entries.reduce((sum, e) => sum + e.patientCount, 0),
    totalWards: entries.length,
    updatedAt: now,
    wards: entries,
  };
}
