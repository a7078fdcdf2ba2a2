import type { Em } from '../../db/orm';
import { dateParser, inSnapshot, nullableDateParser, selectRows, type RawRow } from '../../db/rows';
import { patientFromDb, type PatientRow } from '../patient/patient.row';
import { byName, compareText, parseId } from '../shared/order';
import { tagFromDb, type TagRow } from '../tag/tag.row';
import { admittedStatement, admittedTagsStatement, openCountsStatement, wardsStatement, type MappingScope } from './ward-mapping.sql';
import { wardFromDb, type WardRow } from './ward.row';

export interface WardMappingFilterInput {
  wardIds?: readonly (string | number)[] | null;
  tagIds?: readonly (string | number)[] | null;
  search?: string | null;
}

/**
 * Everything a WardPatient shows is on this object, tags included, so graphql-js resolves its
 * ~1,200 instances with default resolvers and no promise (a promise per field is what made
 * large maps slow to execute).
 */
export interface WardPatientModel {
  patient: PatientRow;
  bed: string;
  admittedAt: Date;
  admissionDays: number;
  tags: TagRow[];
}

export interface WardMappingEntryModel {
  ward: WardRow;
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
const NO_TAGS: TagRow[] = [];

/** Case-folded and NFC-normalised, so "Chloé" typed decomposed (e + U+0301) still finds "Chloé". */
function foldForSearch(text: string): string {
  return text.normalize('NFC').toLocaleLowerCase();
}

function ids(list: readonly (string | number)[] | null | undefined): number[] | null {
  if (list == null) return null;
  return list.map(parseId).filter((n): n is number => n !== null);
}

/** Each patient's tags, by name. */
function tagsByPatient(rows: RawRow[]): Map<number, TagRow[]> {
  const map = new Map<number, TagRow[]>();
  for (const r of rows) {
    const id = Number(r.patient_id);
    const list = map.get(id);
    if (list) list.push(tagFromDb(r));
    else map.set(id, [tagFromDb(r)]);
  }
  for (const list of map.values()) list.sort(byName);
  return map;
}

/**
 * The ward map in four statements whatever the hospital's size: the listed
 * wards, open-admission counts per ward (the utilisation, unaffected by patient filters), the
 * listed admissions with their patients, and those patients' tags (skipped when no patient is
 * shown). Answers are built from plain rows (src/db/rows.ts).
 */
export async function loadWardMapping(
  em: Em,
  hospitalId: number,
  filter: WardMappingFilterInput | null | undefined,
  now = new Date(),
): Promise<WardMappingModel> {
  const scope: MappingScope = { hospitalId, wardIds: ids(filter?.wardIds), tagIds: ids(filter?.tagIds) };
  const search = filter?.search?.trim() ? foldForSearch(filter.search.trim()) : null;
  const knex = em.getKnex();
  // An empty tag list lists no patient: only the wards and their utilisation are read.
  const listsPatients = !scope.tagIds || scope.tagIds.length > 0;
  // One after the other: a request holds one pooled connection at a time (src/backpressure
  // bounds requests by the pool's size).
  // All four from one snapshot (inSnapshot): the admitted and their tags are one state.
  const { wardRows, countRows, shown, tagRows } = await inSnapshot(em, async (snap) => {
    const wardRows = await selectRows(snap, wardsStatement(knex, scope));
    const countRows = await selectRows(snap, openCountsStatement(knex, scope));
    const admittedRows = listsPatients ? await selectRows(snap, admittedStatement(knex, scope)) : [];
    // Name search runs here rather than in SQL: SQLite's lower() folds ASCII only ("Ö" ≠ "ö").
    const shown = search ? admittedRows.filter((r) => foldForSearch(r.name as string).includes(search)) : admittedRows;
    // No patient shown, no tags to read (as when they came from a loader per shown patient).
    const tagRows = shown.length > 0 ? await selectRows(snap, admittedTagsStatement(knex, scope)) : [];
    return { wardRows, countRows, shown, tagRows };
  });

  const wards = wardRows.map(wardFromDb).sort(byName);
  const counts = new Map<number, number>();
  for (const r of countRows) counts.set(Number(r.ward_id), Number(r.n));
  const tags = tagsByPatient(tagRows);

  const date = dateParser(em);
  const nullableDate = nullableDateParser(em);
  const byWard = new Map<number, WardPatientModel[]>();
  const nowMs = now.getTime();
  for (const r of shown) {
    const patient = patientFromDb(r, nullableDate);
    patient.tags = tags.get(patient.id) ?? NO_TAGS;
    const admittedAt = date(r.admitted_at);
    const row: WardPatientModel = {
      patient,
      bed: r.bed as string,
      admittedAt,
      admissionDays: Math.max(0, Math.floor((nowMs - admittedAt.getTime()) / DAY_MS)),
      tags: patient.tags,
    };
    const wardId = Number(r.ward_id);
    const list = byWard.get(wardId);
    if (list) list.push(row);
    else byWard.set(wardId, [row]);
  }

  let totalPatients = 0;
  const entries = wards.map((ward): WardMappingEntryModel => {
    const patients = (byWard.get(ward.id) ?? []).sort((x, y) => compareText(x.bed, y.bed) || x.patient.id - y.patient.id);
    totalPatients += patients.length;
    return {
      ward,
      patientCount: patients.length,
      capacityEstimate: ward.capacity,
      utilizationPercentage: Math.round((100 * (counts.get(ward.id) ?? 0)) / ward.capacity),
      patients,
    };
  });

  return { totalPatients, totalWards: entries.length, updatedAt: now, wards: entries };
}
