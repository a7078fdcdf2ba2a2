import { formatBytes, formatCount, formatRate, formatTime } from './format';
import { html, type Markup } from './html';
import type { StatsData } from './types';

type Stats = StatsData['cacheStats'];

function Card({ id, label, value, sub, rate }: { id: string; label: string; value: string; sub: string; rate?: number }): Markup {
  return html`<div class="card">
    <div class="label">${label}</div>
    <div class="value" id=${`stat-${id}`} data-testid=${id}>${value}</div>
    ${rate == null ? null : html`<div class="meter" aria-hidden="true"><span style=${{ width: `${Math.round(rate * 1000) / 10}%` }}></span></div>`}
    <div class="sub">${sub}</div>
  </div>`;
}

/** The headline figures. Hits and misses are this process's since it started (cacheStats says so). */
export function Cards({ stats, now }: { stats: Stats | null; now: number }): Markup {
  const s = stats;
  const dash = '—';
  return html`<div class="cards" data-testid="cards">
    <${Card} id="backend" label="Backend" value=${s?.backend ?? dash} sub=${s ? (s.backend === 'redis' ? 'shared by all processes' : 'in this process') : ''} />
    <${Card} id="hit-rate" label="Hit rate" value=${s ? formatRate(s.hitRate) : dash} rate=${s?.hitRate ?? 0} sub=${s ? `of ${formatCount(s.hits + s.misses)} lookups` : ''} />
    <${Card} id="hits-misses" label="Hits / misses" value=${s ? `${formatCount(s.hits)} / ${formatCount(s.misses)}` : dash} sub="this process, since start" />
    <${Card} id="entries" label="Entries" value=${s ? formatCount(s.entries) : dash} sub="cached answers now" />
    <${Card} id="memory" label="Memory" value=${s ? formatBytes(s.memoryBytes) : dash} sub="cache store" />
    <${Card} id="invalidations" label="Invalidations" value=${s ? formatCount(s.invalidations) : dash} sub="since store start" />
    <${Card} id="last-warm" label="Last warm" value=${s ? formatTime(s.lastWarmAt, now) : dash} sub=${s ? (s.lastWarmAt ? new Date(s.lastWarmAt).toLocaleDateString() : 'no warm has run') : ''} />
  </div>`;
}
