import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { read, type ApiError } from './api';
import type { DashboardConfig } from './config';
import { Counts, RecentPatients } from './counts';
import { Filters, NO_FILTER, toFilter, type FilterState } from './filters';
import { html, type Markup } from './html';
import { followChanges, type LiveState } from './live';
import { Panel } from './panel';
import type { DashboardData, PanelName, WardFiltersData, WardMappingData } from './types';
import { useRead } from './use-read';
import { WardMap } from './ward-map';

const LIVE_TEXT: Record<LiveState, string> = { connecting: 'connecting…', live: 'live', offline: 'offline, reconnecting' };

/** The signed-in dashboard: three reads, the live stream that says which to refetch, the panels. */
export function App({ config, token, onSignOut }: { config: DashboardConfig; token: string; onSignOut: (message: string | null) => void }): Markup {
  const [now, setNow] = useState(Date.now());
  const [filter, setFilter] = useState<FilterState>(NO_FILTER);
  const [live, setLive] = useState<LiveState>('connecting');

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const onError = useCallback(
    (err: ApiError) => {
      if (err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN') onSignOut(`${err.code}: ${err.message}`);
    },
    [onSignOut],
  );
  const variables = useMemo(() => {
    const f = toFilter(filter);
    return f ? { filter: f } : undefined;
  }, [filter]);
  const loadDashboard = useCallback(() => read<DashboardData>(config, token, 'Dashboard'), [config, token]);
  const loadMap = useCallback(() => read<WardMappingData>(config, token, 'WardMapping', variables), [config, token, variables]);
  const loadFilters = useCallback(() => read<WardFiltersData>(config, token, 'WardFilters'), [config, token]);
  const [dashboard, refetchDashboard] = useRead(loadDashboard, onError);
  const [map, refetchMap] = useRead(loadMap, onError);
  const [filters, refetchFilters] = useRead(loadFilters, onError);

  useEffect(() => {
    const refetch: Record<PanelName, () => void> = { Dashboard: refetchDashboard, WardMapping: refetchMap, WardFilters: refetchFilters };
    return followChanges(config, token, {
      // Events are not replayed: whatever changed while the stream was down is read again.
      onConnected: () => Object.values(refetch).forEach((f) => f()),
      onChange: (change) => change.operations.forEach((name) => (name in refetch ? refetch[name as PanelName]() : undefined)),
      onState: setLive,
      onFatal: (message) => onSignOut(message),
    });
  }, [config, token, refetchDashboard, refetchMap, refetchFilters, onSignOut]);

  const filtered = toFilter(filter) !== null;
  return html`<div class="layout">
    <header class="bar">
      <h1>Ward dashboard</h1>
      <span class=${`live live-${live}`} data-testid="live-state">● ${LIVE_TEXT[live]}</span>
      <button type="button" class="ghost" onClick=${() => onSignOut(null)}>Sign out</button>
    </header>
    <div class="grid">
      <div class="side">
        <${Panel} title="Patients" testId="panel-counts" state=${dashboard} now=${now} onRefresh=${refetchDashboard} updatedAt=${(d: DashboardData) => d.dashboardStats.updatedAt}>
          <${Counts} data=${dashboard.answer?.data ?? null} />
        <//>
        <${Panel} title="Recently active" testId="panel-recent" className="recent-panel" state=${dashboard} now=${now} onRefresh=${refetchDashboard} updatedAt=${(d: DashboardData) => d.dashboardStats.updatedAt}>
          <${RecentPatients} data=${dashboard.answer?.data ?? null} now=${now} />
        <//>
      </div>
      <div class="main">
        <${Panel} title="Filters" testId="panel-filters" state=${filters} now=${now} onRefresh=${refetchFilters} updatedAt=${(d: WardFiltersData) => d.wardFilters.updatedAt}>
          <${Filters} data=${filters.answer?.data ?? null} value=${filter} onChange=${setFilter} />
        <//>
        <${Panel} title="Wards" testId="panel-map" state=${map} now=${now} onRefresh=${refetchMap} updatedAt=${(d: WardMappingData) => d.wardMapping.updatedAt}>
          <${WardMap} data=${map.answer?.data ?? null} filtered=${filtered} />
        <//>
      </div>
    </div>
  </div>`;
}
