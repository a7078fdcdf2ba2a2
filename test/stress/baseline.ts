/**
 * The seeded data as it is before any write, read once through a gateway process: wards, tags,
 * the seeded open admissions, the Dashboard counts and recent list, and a sample of seeded
 * patients' answers. None of it changes during the run (writers touch only their own patients).
 */
import { withoutClockFields } from './checker';
import { isClean, type Client, type Endpoint } from './client';
import type { Baseline, RecentEntry, SeededAdmission, TagInfo, WardInfo } from './model';

const SEEDED_SAMPLE = 12;

export async function readBaseline(client: Client, through: Endpoint, viewer: string): Promise<Baseline> {
  const get = async (operation: string, variables: Record<string, unknown> = {}) => {
    const a = await client.request(through, operation, variables, viewer);
    if (!isClean(a)) throw new Error(`baseline ${operation} ${JSON.stringify(variables)} failed: HTTP ${a.status} ${a.transportError ?? ''} ${JSON.stringify(a.errors)}`);
    return a.data;
  };
  const filters = await get('WardFilters');
  const mapping = await get('WardMapping');
  const dashboard = await get('Dashboard');

  const tags: TagInfo[] = filters.wardFilters.tags.map((t: TagInfo) => ({ id: String(t.id), name: t.name, color: t.color }));
  const wards: WardInfo[] = [];
  const seededByWard = new Map<string, SeededAdmission[]>();
  const seededIds = new Set<string>();
  for (const w of mapping.wardMapping.wards) {
    const id = String(w.ward.id);
    wards.push({ id, name: w.ward.name, abbreviation: w.ward.abbreviation, floor: w.ward.floor, capacity: w.capacityEstimate });
    const list: SeededAdmission[] = w.patients.map(
      (e: { patient: { id: unknown; name: string }; bed: string; admittedAt: string; tags: TagInfo[] }): SeededAdmission => ({
        patientId: String(e.patient.id),
        name: e.patient.name,
        wardId: id,
        bed: e.bed,
        admittedAt: e.admittedAt,
        tags: e.tags.map((t) => ({ id: String(t.id), name: t.name, color: t.color })),
      }),
    );
    for (const s of list) seededIds.add(s.patientId);
    seededByWard.set(id, list);
    if (list.length !== w.patientCount || Math.round((100 * list.length) / w.capacityEstimate) !== w.utilizationPercentage) {
      throw new Error(`baseline ward map is inconsistent for ward ${id}: ${JSON.stringify(w).slice(0, 300)}`);
    }
  }
  const recent: RecentEntry[] = dashboard.recentPatients.map((e: RecentEntry) => ({ id: String(e.id), name: e.name, status: e.status, latestEventAt: e.latestEventAt }));
  for (const e of recent) seededIds.add(e.id);

  const sample = [...new Set([...[...seededByWard.values()].flat().map((s) => s.patientId).slice(0, SEEDED_SAMPLE - 4), ...recent.slice(0, 4).map((e) => e.id)])];
  const seededPatients = new Map<string, unknown>();
  for (const id of sample) seededPatients.set(id, await get('Patient', { id }));

  const stats = dashboard.dashboardStats;
  return {
    wards,
    tags,
    wardFilters: withoutClockFields(filters.wardFilters),
    seededByWard,
    totalPatients: stats.totalPatients,
    inpatients: stats.inpatients,
    outpatients: stats.outpatients,
    recent,
    seededPatients,
    seededIds,
  };
}
