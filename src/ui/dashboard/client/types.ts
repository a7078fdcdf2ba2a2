/** The answers of the contract operations the dashboard reads (operations.graphql). */
export type PatientStatus = 'INPATIENT' | 'OUTPATIENT';

export interface DashboardData {
  dashboardStats: { totalPatients: number; inpatients: number; outpatients: number; updatedAt: string };
  recentPatients: Array<{ id: string; name: string; status: PatientStatus; latestEventAt: string | null }>;
}

export interface Tag {
  id: string;
  name: string;
  color: string;
}

export interface WardPatient {
  patient: { id: string; name: string };
  bed: string;
  admittedAt: string;
  admissionDays: number;
  tags: Tag[];
}

export interface WardEntry {
  ward: { id: string; name: string; abbreviation: string; floor: number };
  patientCount: number;
  capacityEstimate: number;
  utilizationPercentage: number;
  patients: WardPatient[];
}

export interface WardMappingData {
  wardMapping: { totalPatients: number; totalWards: number; updatedAt: string; wards: WardEntry[] };
}

export interface WardFiltersData {
  wardFilters: { wards: Array<{ id: string; name: string; abbreviation: string }>; tags: Tag[]; updatedAt: string };
}

/** The contract's WardMappingFilter; empty fields are left out. */
export interface WardMappingFilter {
  wardIds?: string[];
  tagIds?: string[];
  search?: string;
}

export interface DashboardChange {
  operations: string[];
  patientIds: string[];
  at: string;
}

/** The panels' operations: what a live event names and what a panel refetches. */
export type PanelName = 'Dashboard' | 'WardMapping' | 'WardFilters';
export const PANELS: readonly PanelName[] = ['Dashboard', 'WardMapping', 'WardFilters'];
