import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError, Gql } from './api';
import type { ConsoleConfig } from './config';
import { formatBytes, formatCount, formatDuration } from './format';
import { html, type Markup } from './html';
import { Panel } from './panel';
import type { CacheEntry, EntriesData } from './types';
import { useRead } from './use-read';

const LIMITS = [50, 100, 500];
const SHOWN_TAGS = 3;

export interface ExplorerProps {
  config: ConsoleConfig;
  gql: Gql;
  now: number;
  /** Operation names the figures have seen, offered besides the contract's. */
  seen: string[];
  onError: (err: ApiError) => void;
  /** An action runs: the Evict buttons wait. */
  busy: boolean;
  /** Sends EvictCacheEntry and says how it went (the console's actions do). */
  onEvict: (entry: CacheEntry) => Promise<void>;
  /** Changes after every action: the list is read again, the search kept. */
  reload: number;
}

function Tags({ tags }: { tags: string[] }): Markup {
  if (tags.length === 0) return html`<span class="muted">none</span>`;
  const more = tags.length - SHOWN_TAGS;
  return html`<span class="tags" title=${tags.join('\n')}>
    ${tags.slice(0, SHOWN_TAGS).map((t) => html`<span class="tag" key=${t}>${t}</span>`)}
    ${more > 0 ? html`<span class="tag more">+${more}</span>` : null}
  </span>`;
}

function Row({ entry, elapsed, busy, onEvict }: { entry: CacheEntry; elapsed: number; busy: boolean; onEvict: (e: CacheEntry) => Promise<void> }): Markup {
  const expiresIn = entry.expiresInMs - elapsed;
  const variables = entry.variables === '{}' ? '' : entry.variables;
  return html`<tr data-testid="entry-row" data-entry-id=${entry.id} data-operation=${entry.operationName} data-variables=${entry.variables}>
    <td class="id"><code title=${entry.id}>${entry.id}</code></td>
    <td><code class="op" data-col="operation">${entry.operationName}</code></td>
    <td class="vars">${variables ? html`<code title=${variables}>${variables}</code>` : html`<span class="muted">none</span>`}</td>
    <td class="num" data-col="size">${formatBytes(entry.bytes)}</td>
    <td class="num" data-col="age">${formatDuration(entry.ageMs + elapsed)}</td>
    <td class="num" data-col="expires">${expiresIn > 0 ? formatDuration(expiresIn) : html`<span class="badge bad">stale</span>`}</td>
    <td><${Tags} tags=${entry.tags} /></td>
    <td class="actions"><button type="button" class="small danger" disabled=${busy} onClick=${() => void onEvict(entry)}>Evict</button></td>
  </tr>`;
}

/**
 * The key explorer: the hospital's cached answers, newest first, found by operation (the
 * contract's CacheEntries), each with an Evict button (the contract's EvictCacheEntry).
 */
export function Explorer({ config, gql, now, seen, onError, busy, onEvict, reload }: ExplorerProps): Markup {
  const [operation, setOperation] = useState('');
  const [first, setFirst] = useState(LIMITS[0]);
  const load = useCallback(() => gql<EntriesData>(config.operations.entries, { operationName: operation || null, first }), [gql, config, operation, first]);
  const [state, refetch] = useRead(load, onError, null);
  const shownReload = useRef(reload);
  useEffect(() => {
    if (shownReload.current === reload) return;
    shownReload.current = reload;
    refetch();
  }, [reload, refetch]);

  const names = [...new Set([...config.cachedOperations, ...seen])];
  const page = state.data?.cacheEntries;
  const elapsed = state.at ? now - state.at : 0;
  const tools = html`<label class="inline" for="explorer-operation">Operation</label>
    <select id="explorer-operation" value=${operation} onChange=${(e: Event) => setOperation((e.target as HTMLSelectElement).value)}>
      <option value="">All operations</option>
      ${names.map((n) => html`<option value=${n} key=${n}>${n}</option>`)}
    </select>
    <select id="explorer-first" aria-label="How many" value=${String(first)} onChange=${(e: Event) => setFirst(Number((e.target as HTMLSelectElement).value))}>
      ${LIMITS.map((n) => html`<option value=${String(n)} key=${n}>newest ${n}</option>`)}
    </select>`;
  return html`<${Panel}
    id="explorer"
    title="Key explorer"
    info=${page ? html`<span data-testid="explorer-count">${formatCount(page.entries.length)} of ${formatCount(page.totalCount)}</span> cached answers${operation ? html` of <code>${operation}</code>` : ''}, newest first` : 'The cached answers of your hospital, newest first'}
    state=${state}
    now=${now}
    onRefresh=${refetch}
    tools=${tools}
  >
    ${page && page.entries.length === 0
      ? html`<p class="empty" data-testid="explorer-empty">No cached answer${operation ? ` of ${operation}` : ''} right now.</p>`
      : html`<div class="scroll"><table class="numeric entries" data-testid="entries-table">
          <thead><tr><th>Id</th><th>Operation</th><th>Variables</th><th class="num">Size</th><th class="num">Age</th><th class="num">Expires in</th><th>Tags</th><th></th></tr></thead>
          <tbody>${(page?.entries ?? []).map((e) => html`<${Row} key=${e.id} entry=${e} elapsed=${elapsed} busy=${busy} onEvict=${onEvict} />`)}</tbody>
        </table></div>`}
  <//>`;
}
