import { loadContractOperations } from '../contract/operations';

export type WarmTarget = 'DASHBOARD' | 'WARD_MAPPING' | 'WARD_FILTERS';
export const WARM_TARGETS: readonly WarmTarget[] = ['DASHBOARD', 'WARD_MAPPING', 'WARD_FILTERS'];

export interface HotOperation {
  target: WarmTarget;
  operationName: string;
  query: string;
  /** The variables the frontend sends for the page's first view. */
  variables: Record<string, unknown>;
}

const PAGES: Record<WarmTarget, { operationName: string; variables: Record<string, unknown> }> = {
  DASHBOARD: { operationName: 'Dashboard', variables: {} },
  WARD_MAPPING: { operationName: 'WardMapping', variables: {} },
  WARD_FILTERS: { operationName: 'WardFilters', variables: {} },
};

/** The contract's read operations that warming runs, exactly as the frontend sends them. */
export function hotOperations(): Record<WarmTarget, HotOperation> {
  const ops = loadContractOperations();
  const out = {} as Record<WarmTarget, HotOperation>;
  for (const target of WARM_TARGETS) {
    const { operationName, variables } = PAGES[target];
    const query = ops.get(operationName);
    if (!query) throw new Error(`contract operation ${operationName} is missing`);
    out[target] = { target, operationName, query, variables };
  }
  return out;
}

/** Root tags whose eviction empties a hot answer (see src/cache/dependencies.ts). */
export const TARGET_OF_ROOT: Record<string, WarmTarget> = {
  'Q:dashboardStats': 'DASHBOARD',
  'Q:recentPatients': 'DASHBOARD',
  'Q:wardMapping': 'WARD_MAPPING',
  'Q:wardFilters': 'WARD_FILTERS',
};
