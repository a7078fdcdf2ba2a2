import { useEffect, useState } from 'preact/hooks';
import { html, type Markup } from './html';
import type { WardFiltersData, WardMappingFilter } from './types';

export interface FilterState {
  wardIds: string[];
  tagIds: string[];
  search: string;
}

export const NO_FILTER: FilterState = { wardIds: [], tagIds: [], search: '' };

/** The contract's WardMappingFilter for this state: null when nothing narrows the map. */
export function toFilter(state: FilterState): WardMappingFilter | null {
  const filter: WardMappingFilter = {};
  if (state.wardIds.length) filter.wardIds = state.wardIds;
  if (state.tagIds.length) filter.tagIds = state.tagIds;
  if (state.search.trim()) filter.search = state.search.trim();
  return Object.keys(filter).length ? filter : null;
}

const toggle = (list: string[], id: string): string[] => (list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);

const SEARCH_DELAY_MS = 250;

/** Ward and tag toggles (the WardFilters operation's options) and a name search. */
export function Filters({ data, value, onChange }: { data: WardFiltersData | null; value: FilterState; onChange: (next: FilterState) => void }): Markup {
  const [text, setText] = useState(value.search);
  useEffect(() => {
    if (text === value.search) return undefined;
    const timer = setTimeout(() => onChange({ ...value, search: text }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, value, onChange]);
  const options = data?.wardFilters;
  const active = toFilter(value) !== null;
  return html`<div class="filters">
    <label class="search"><span>Search</span><input type="search" data-testid="filter-search" placeholder="Patient name" value=${text} onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} /></label>
    <div class="chips" role="group" aria-label="Wards">
      ${(options?.wards ?? []).map(
        (w) => html`<button type="button" key=${w.id} class="chip" data-testid="filter-ward" data-ward-id=${w.id} aria-pressed=${value.wardIds.includes(w.id) ? 'true' : 'false'} title=${w.name} onClick=${() => onChange({ ...value, wardIds: toggle(value.wardIds, w.id) })}>${w.abbreviation}</button>`,
      )}
    </div>
    <div class="chips" role="group" aria-label="Tags">
      ${(options?.tags ?? []).map(
        (t) => html`<button type="button" key=${t.id} class="chip" data-testid="filter-tag" data-tag-id=${t.id} aria-pressed=${value.tagIds.includes(t.id) ? 'true' : 'false'} onClick=${() => onChange({ ...value, tagIds: toggle(value.tagIds, t.id) })}><i class="tag-dot" style=${`background:${t.color}`}></i>${t.name}</button>`,
      )}
    </div>
    ${active ? html`<button type="button" class="chip clear" data-testid="filter-clear" onClick=${() => { setText(''); onChange(NO_FILTER); }}>Clear filters</button>` : null}
  </div>`;
}
