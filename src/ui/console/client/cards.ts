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

/**
 * The headline figures. Hits and misses are the hospital's over every process that publishes to
 * the shared Redis (the per-operation figures summed; `figuresScope` says whether they are), so
 * the page shows the cluster, not the process that happens to answer it.
 */
export function Cards({ stats, now }: { stats: Stats | null; now: number }): Markup {
  const s = stats;
  const dash = '—';
  const hits = s ? s.operations.reduce((n, o) => n + o.hits, 0) : 0;
  const misses = s ? s.operations.reduce((n, o) => n + o.misses, 0) : 0;
  const rate = hits + misses === 0 ? 0 : hits / (hits + misses);
  const where = s?.figuresScope === 'cluster' ? `all ${formatCount(s.processes.length)} processes, since each started` : 'this process, since it started';
  return html`<div class="cards" data-testid="cards">
    <${Card} id="backend" label="Backend" value=${s?.backend ?? dash} sub=${s ? (s.backend === 'redis' ? 'shared by all processes' : 'in this process') : ''} />
    <${Card} id="hit-rate" label="Hit rate" value=${s ? formatRate(rate) : dash} rate=${rate} sub=${s ? `of ${formatCount(hits + misses)} lookups` : ''} />
    <${Card} id="hits-misses" label="Hits / misses" value=${s ? `${formatCount(hits)} / ${formatCount(misses)}` : dash} sub=${s ? where : ''} />
    <${Card} id="entries" label="Entries" value=${s ? formatCount(s.entries) : dash} sub="cached answers now" />
    <${Card} id="memory" label="Memory" value=${s ? formatBytes(s.memoryBytes) : dash} sub="cache store" />
    <${Card} id="invalidations" label="Invalidations" value=${s ? formatCount(s.invalidations) : dash} sub="since store start" />
    <${Card} id="last-warm" label="Last warm" value=${s ? formatTime(s.lastWarmAt, now) : dash} sub=${s ? (s.lastWarmAt ? new Date(s.lastWarmAt).toLocaleDateString() : 'no warm has run') : ''} />
  </div>`;
}
