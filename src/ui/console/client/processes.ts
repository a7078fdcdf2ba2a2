import { formatAgo, formatCount, formatDuration, formatTime } from './format';
import { html, type Markup } from './html';
import { RateBar } from './rate-bar';
import type { CacheProcess } from './types';

/** Heard from longer ago than this, a process is shown as quiet (it publishes every few seconds). */
const QUIET_MS = 30_000;

/** The gateway processes sharing this cache; this console's own process first and marked. */
export function ProcessesTable({ processes, now }: { processes: CacheProcess[]; now: number }): Markup {
  if (processes.length === 0) return html`<p class="empty">No process has published its figures yet.</p>`;
  const rows = [...processes].sort((a, b) => Number(b.self) - Number(a.self) || a.startedAt.localeCompare(b.startedAt));
  return html`<table class="numeric" data-testid="processes-table">
    <thead>
      <tr><th>Process</th><th>Version</th><th>Started</th><th class="num">Up</th><th>Last heard</th><th class="num">Hits</th><th class="num">Misses</th><th>Hit rate</th></tr>
    </thead>
    <tbody>
      ${rows.map((p) => {
        const quiet = now - Date.parse(p.lastHeardAt) > QUIET_MS;
        return html`<tr key=${p.id} data-testid="process-row" data-self=${p.self ? 'true' : 'false'} class=${p.self ? 'self' : ''}>
          <td>
            <div class="proc"><code>${p.host}</code><span class="muted"> pid ${p.pid}</span>${p.self ? html` <span class="badge info" data-testid="process-self">this process</span>` : null}</div>
            <div class="muted mono" title=${p.id}>${p.id}</div>
          </td>
          <td data-col="version"><code>${p.version}</code></td>
          <td data-col="started">${formatTime(p.startedAt, now)}</td>
          <td class="num">${formatDuration(now - Date.parse(p.startedAt))}</td>
          <td data-col="last-heard"><span class=${quiet ? 'badge bad' : 'badge ok'}>${formatAgo(p.lastHeardAt, now)}</span></td>
          <td class="num">${formatCount(p.hits)}</td>
          <td class="num">${formatCount(p.misses)}</td>
          <td><${RateBar} rate=${p.hitRate} lookups=${p.hits + p.misses} /></td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}
