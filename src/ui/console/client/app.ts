import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, createGql, isRefusal } from './api';
import { Cards } from './cards';
import { Charts } from './charts';
import type { ConsoleConfig } from './config';
import { DependencyMap } from './dependencies';
import { Explorer } from './explorer';
import { formatCount, formatTime } from './format';
import { html, type Markup } from './html';
import { InvalidateForm, WarmTable } from './maintenance';
import { NoticeToast, type Notice } from './notice';
import { OperationsTable } from './operations';
import { Panel } from './panel';
import { ProcessesTable } from './processes';
import type { CacheEntry, DependenciesData, StatsData } from './types';
import { useRead } from './use-read';

const SECTIONS: Array<[id: string, label: string]> = [
  ['figures', 'Last hour'],
  ['operations', 'Operations'],
  ['processes', 'Processes'],
  ['explorer', 'Keys'],
  ['dependencies', 'Dependencies'],
  ['maintenance', 'Warm & invalidate'],
];

/** Where the figures come from, in words (cacheStats.figuresScope). */
function scopeText(scope: string | undefined, processes: number | undefined): string {
  if (scope === 'cluster') return `Cluster-wide: ${processes == null ? 'every gateway process' : `${formatCount(processes)} gateway process${processes === 1 ? '' : 'es'}`} sharing this Redis`;
  if (scope === 'process') return 'This process only: no shared Redis, each process counts its own';
  return 'Scope unknown';
}

export interface AppProps {
  config: ConsoleConfig;
  token: string;
  onSignOut: (reason: ApiError | null) => void;
}

/** The signed-in console: the figures read every few seconds, the explorer and map on demand, the actions. */
export function App({ config, token, onSignOut }: AppProps): Markup {
  const gql = useMemo(() => createGql(config, token), [config, token]);
  const [now, setNow] = useState(Date.now());
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState(false);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    // Ages and "last heard" move on between reads.
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const onError = useCallback((err: ApiError) => (isRefusal(err) ? onSignOut(err) : undefined), [onSignOut]);
  const every = config.refreshMs;
  const query = <T>(text: string) => () => gql<T>(text);
  const ops = config.operations;
  const [stats, refetchStats] = useRead(useCallback(query<StatsData>(ops.stats), [gql]), onError, every);
  const [deps, refetchDeps] = useRead(useCallback(query<DependenciesData>(ops.dependencies), [gql]), onError, null);

  /** Runs a write, says how it went, then reads the figures (and the explorer's list) again. */
  const run = useCallback(
    async (action: () => Promise<string>) => {
      setBusy(true);
      setNotice(null);
      try {
        setNotice({ kind: 'ok', text: await action() });
      } catch (err) {
        const error = err instanceof ApiError ? err : new ApiError('ERROR', String(err));
        onError(error);
        setNotice({ kind: 'error', error });
      } finally {
        setBusy(false);
        refetchStats();
        setReload((k) => k + 1);
      }
    },
    [onError, refetchStats],
  );

  const warm = (targets: string[] | null): void =>
    void run(async () => {
      const data = await gql<{ warmCache: Array<{ target: string; ok: boolean; durationMs: number; error: string | null }> }>(ops.warm, { targets });
      return data.warmCache.map((r) => `${r.target.charAt(0)}${r.target.slice(1).toLowerCase().replace(/_/g, ' ')}: ${r.ok ? 'OK' : `failed (${r.error})`} in ${r.durationMs} ms`).join(' · ');
    });
  const invalidate = (typename: string): void =>
    void run(async () => {
      const data = await gql<{ invalidateCache: { invalidated: number } }>(ops.invalidate, { entities: [{ typename, id: null }] });
      return `Invalidated ${data.invalidateCache.invalidated} cached answer(s) showing ${typename}.`;
    });
  const evict = (entry: CacheEntry): Promise<void> =>
    run(async () => {
      const data = await gql<{ evictCacheEntry: boolean }>(ops.evict, { id: entry.id });
      return data.evictCacheEntry ? `Evicted a cached ${entry.operationName} answer.` : `That ${entry.operationName} answer was already gone.`;
    });

  const s = stats.data?.cacheStats ?? null;
  const scope = s?.figuresScope;
  const procs = s?.processes;
  // `other` gathers names outside the contract: no cached answer is listed under it.
  const seen = s?.operations.map((o) => o.operationName).filter((n) => n !== 'other') ?? [];
  const targets = s?.targets.length ? s.targets : config.targets.map((target) => ({ target, lastWarmAt: null, ageMs: null, ok: null, durationMs: null, error: null }));
  const scopeLine = html`<span class=${`scope scope-${scope ?? 'unknown'}`} data-testid="figures-scope">${scopeText(scope, procs?.length)}</span>`;

  return html`<div class="layout">
    <header class="bar">
      <h1>wardcache <span>Cache console</span></h1>
      <nav>${SECTIONS.map(([id, label]) => html`<a href=${`#${id}`} key=${id}>${label}</a>`)}</nav>
      <div class="bar-right">
        <span id="refreshed" class="muted">${stats.at ? `Updated ${formatTime(new Date(stats.at).toISOString(), now)} · every ${every / 1000} s` : 'Connecting…'}</span>
        <button type="button" id="sign-out" class="ghost" onClick=${() => onSignOut(null)}>Sign out</button>
      </div>
    </header>
    <main>
      ${stats.error && !isRefusal(stats.error) ? html`<p class="panel-error" role="alert" data-testid="stats-error">Figures not read: <strong>${stats.error.code}</strong> ${stats.error.message} (retried every ${every / 1000} s)</p>` : null}
      <${NoticeToast} notice=${notice} onClose=${() => setNotice(null)} />
      <div id="dashboard" hidden=${!s && !stats.error}>
        <${Cards} stats=${s} now=${now} />
        <${Panel} id="figures" title="The last hour" info=${scopeLine} state=${stats} showError=${false} now=${now} onRefresh=${refetchStats}>
          <${Charts} history=${s?.history ?? []} />
        <//>
        <${Panel} id="operations" title="Per operation" info=${html`${scopeLine} · hits and misses since each process started; entries and size: cached now`} state=${stats} showError=${false} now=${now} onRefresh=${refetchStats}>
          <${OperationsTable} operations=${s?.operations ?? []} />
        <//>
        <${Panel} id="processes" title="Gateway processes" info="The processes publishing their figures to this cache; hits and misses are all hospitals'" state=${stats} showError=${false} now=${now} onRefresh=${refetchStats}>
          <${ProcessesTable} processes=${procs ?? []} now=${now} />
        <//>
        <${Explorer} reload=${reload} config=${config} gql=${gql} now=${now} seen=${seen} onError=${onError} busy=${busy} onEvict=${evict} />
        <${Panel} id="dependencies" title="Dependency map" info="Which write changes which cached answer: the cache's invalidation declarations" state=${deps} now=${now} onRefresh=${refetchDeps}>
          <${DependencyMap} deps=${deps.data?.cacheDependencies ?? []} contract=${config.cachedOperations} />
        <//>
        <${Panel} id="maintenance" title="Warm & invalidate" info="Warm recomputes the hot answers of your hospital; invalidate drops answers" now=${now}>
          <${WarmTable} targets=${targets} elapsed=${stats.at ? now - stats.at : 0} now=${now} busy=${busy} onWarm=${warm} />
          <${InvalidateForm} typenames=${config.typenames} busy=${busy} onInvalidate=${invalidate} />
        <//>
      </div>
    </main>
  </div>`;
}
