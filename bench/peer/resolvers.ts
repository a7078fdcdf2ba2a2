import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import { byName, compareText, parseId } from '../../src/modules/shared/order';
import { marks, toDate, toNullableDate, type PeerDb, type Row } from './db';

/**
 * The peer's resolvers: what a team would write by hand for this SDL without an ORM or a
 * cache. Root fields run batched SQL and return plain objects; relations go through
 * DataLoaders (one statement per relation per request), the usual pattern of such stacks.
 */
export interface PeerContext {
  hospitalId: number;
  loaders: ReturnType<typeof createLoaders>;
}

const DAY_MS = 86_400_000;
const fold = (text: string) => text.normalize('NFC').toLocaleLowerCase();
const ids = (list: readonly (string | number)[] | null | undefined) => (list == null ? null : list.map(parseId).filter((n): n is number => n !== null));

const patientOf = (r: Row) => ({ id: r.id as number, name: r.name as string, status: r.status as string, latestEventAt: toNullableDate(r.latest_event_at) });
const wardOf = (r: Row) => ({ id: r.id as number, name: r.name as string, abbreviation: r.abbreviation as string, floor: r.floor as number, capacity: r.capacity as number });
const tagOf = (r: Row) => ({ id: r.id as number, name: r.name as string, color: r.color as string });
const admissionOf = (r: Row) => ({ id: r.id as number, patientId: r.patient_id as number, wardId: r.ward_id as number, bed: r.bed as string, admittedAt: toDate(r.admitted_at), dischargedAt: toNullableDate(r.discharged_at) });

function keyed<T>(rows: T[], key: (t: T) => number, keys: readonly number[]): (T | null)[] {
  const map = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

export function createLoaders(db: PeerDb, hospitalId: number) {
  return {
    patient: new DataLoader(async (keys: readonly number[]) =>
      keyed(db.all(`select id, name, status, latest_event_at from patient where hospital_id = ? and id in (${marks(keys.length)})`, [hospitalId, ...keys]).map(patientOf), (p) => p.id, keys),
    ),
    ward: new DataLoader(async (keys: readonly number[]) =>
      keyed(db.all(`select id, name, abbreviation, floor, capacity from ward where hospital_id = ? and id in (${marks(keys.length)})`, [hospitalId, ...keys]).map(wardOf), (w) => w.id, keys),
    ),
    openAdmission: new DataLoader(async (keys: readonly number[]) =>
      keyed(
        db.all(`select id, patient_id, ward_id, bed, admitted_at, discharged_at from admission where hospital_id = ? and discharged_at is null and patient_id in (${marks(keys.length)})`, [hospitalId, ...keys]).map(admissionOf),
        (a) => a.patientId,
        keys,
      ),
    ),
    tags: new DataLoader(async (keys: readonly number[]) => {
      const rows = db.all(`select pt.patient_id, t.id, t.name, t.color from patient_tags pt join tag t on t.id = pt.tag_id where t.hospital_id = ? and pt.patient_id in (${marks(keys.length)})`, [hospitalId, ...keys]);
      const map = new Map<number, ReturnType<typeof tagOf>[]>();
      for (const r of rows) {
        const list = map.get(r.patient_id as number);
        if (list) list.push(tagOf(r));
        else map.set(r.patient_id as number, [tagOf(r)]);
      }
      return keys.map((k) => (map.get(k) ?? []).sort(byName));
    }),
  };
}

interface MappingFilter {
  wardIds?: string[] | null;
  tagIds?: string[] | null;
  search?: string | null;
}

function wardMapping(db: PeerDb, hospitalId: number, filter: MappingFilter | null | undefined) {
  const now = new Date();
  const wardIds = ids(filter?.wardIds);
  const tagIds = ids(filter?.tagIds);
  const search = filter?.search?.trim() ? fold(filter.search.trim()) : null;
  const wardWhere = wardIds ? ` and id in (${marks(wardIds.length)})` : '';
  const wards = db.all(`select id, name, abbreviation, floor, capacity from ward where hospital_id = ?${wardWhere}`, [hospitalId, ...(wardIds ?? [])]).map(wardOf).sort(byName);
  const listed = wards.map((w) => w.id);
  const counts = new Map<number, number>();
  let admitted: Row[] = [];
  if (listed.length > 0) {
    const inWards = `a.hospital_id = ? and a.discharged_at is null and a.ward_id in (${marks(listed.length)})`;
    for (const r of db.all(`select a.ward_id, count(*) as n from admission a where ${inWards} group by a.ward_id`, [hospitalId, ...listed])) counts.set(r.ward_id as number, r.n as number);
    if (!tagIds || tagIds.length > 0) {
      const tagWhere = tagIds
        ? ` and exists (select 1 from patient_tags pt join tag t on t.id = pt.tag_id where pt.patient_id = a.patient_id and t.hospital_id = ? and pt.tag_id in (${marks(tagIds.length)}))`
        : '';
      admitted = db.all(
        `select a.ward_id, a.bed, a.admitted_at, p.id, p.name, p.status, p.latest_event_at from admission a join patient p on p.id = a.patient_id where ${inWards}${tagWhere}`,
        [hospitalId, ...listed, ...(tagIds ? [hospitalId, ...tagIds] : [])],
      );
    }
  }
  const byWard = new Map<number, Array<{ patient: ReturnType<typeof patientOf>; bed: string; admittedAt: Date; admissionDays: number }>>();
  for (const r of admitted) {
    if (search && !fold(r.name as string).includes(search)) continue;
    const admittedAt = toDate(r.admitted_at);
    const entry = { patient: patientOf(r), bed: r.bed as string, admittedAt, admissionDays: Math.max(0, Math.floor((now.getTime() - admittedAt.getTime()) / DAY_MS)) };
    const list = byWard.get(r.ward_id as number);
    if (list) list.push(entry);
    else byWard.set(r.ward_id as number, [entry]);
  }
  const entries = wards.map((ward) => {
    const patients = (byWard.get(ward.id) ?? []).sort((x, y) => compareText(x.bed, y.bed) || x.patient.id - y.patient.id);
    const utilizationPercentage = Math.round((100 * (counts.get(ward.id) ?? 0)) / ward.capacity);
    return { ward, patientCount: patients.length, capacityEstimate: ward.capacity, utilizationPercentage, patients };
  });
  return { totalPatients: entries.reduce((s, e) => s + e.patientCount, 0), totalWards: entries.length, updatedAt: now, wards: entries };
}

export function createResolvers(db: PeerDb) {
  type Ctx = PeerContext;
  return {
    Query: {
      dashboardStats: (_: unknown, __: unknown, ctx: Ctx) => {
        const r = db.get(
          `select count(*) as total, coalesce(sum(case when status = 'INPATIENT' then 1 else 0 end), 0) as inpatients, coalesce(sum(case when status = 'OUTPATIENT' then 1 else 0 end), 0) as outpatients from patient where hospital_id = ?`,
          [ctx.hospitalId],
        ) as Row;
        return { totalPatients: r.total, inpatients: r.inpatients, outpatients: r.outpatients, updatedAt: new Date() };
      },
      recentPatients: (_: unknown, { limit }: { limit?: number | null }, ctx: Ctx) => {
        const n = limit ?? 30;
        if (!Number.isInteger(n) || n < 1 || n > 100) throw new GraphQLError(`limit must be between 1 and 100, got ${n}`, { extensions: { code: 'BAD_USER_INPUT' } });
        const sql = 'select id, name, status, latest_event_at from patient where hospital_id = ? order by latest_event_at desc nulls last, id asc limit ?';
        return db.all(sql, [ctx.hospitalId, n]).map(patientOf);
      },
      patient: (_: unknown, { id }: { id: string }, ctx: Ctx) => {
        const rowId = parseId(id);
        return rowId === null ? null : ctx.loaders.patient.load(rowId);
      },
      wardMapping: (_: unknown, { filter }: { filter?: MappingFilter | null }, ctx: Ctx) => wardMapping(db, ctx.hospitalId, filter),
      wardFilters: (_: unknown, __: unknown, ctx: Ctx) => ({
        wards: db.all('select id, name, abbreviation, floor, capacity from ward where hospital_id = ?', [ctx.hospitalId]).map(wardOf).sort(byName),
        tags: db.all('select id, name, color from tag where hospital_id = ?', [ctx.hospitalId]).map(tagOf).sort(byName),
        updatedAt: new Date(),
      }),
    },
    Patient: {
      tags: (p: { id: number }, _: unknown, ctx: Ctx) => ctx.loaders.tags.load(p.id),
      currentAdmission: (p: { id: number }, _: unknown, ctx: Ctx) => ctx.loaders.openAdmission.load(p.id),
    },
    WardPatient: {
      tags: (wp: { patient: { id: number } }, _: unknown, ctx: Ctx) => ctx.loaders.tags.load(wp.patient.id),
    },
    Admission: {
      patient: (a: { patientId: number }, _: unknown, ctx: Ctx) => ctx.loaders.patient.load(a.patientId),
      ward: (a: { wardId: number }, _: unknown, ctx: Ctx) => ctx.loaders.ward.load(a.wardId),
    },
  };
}
