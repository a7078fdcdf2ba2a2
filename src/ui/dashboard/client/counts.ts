import { formatCount, formatEventTime } from './format';
import { html, type Markup } from './html';
import type { DashboardData } from './types';

/** The Dashboard operation's counts, as large numbers. */
export function Counts({ data }: { data: DashboardData | null }): Markup {
  const stats = data?.dashboardStats;
  const card = (id: string, label: string, value: number | undefined) =>
    html`<div class=${`count count-${id}`}><div class="count-value" data-testid=${`count-${id}`}>${value === undefined ? '—' : formatCount(value)}</div><div class="count-label">${label}</div></div>`;
  return html`<div class="counts">${card('total', 'Patients', stats?.totalPatients)}${card('inpatients', 'Inpatients', stats?.inpatients)}${card('outpatients', 'Outpatients', stats?.outpatients)}</div>`;
}

/** The Dashboard operation's recent patients, newest event first, with their latest event. */
export function RecentPatients({ data, now }: { data: DashboardData | null; now: number }): Markup {
  if (!data) return html`<p class="empty">—</p>`;
  return html`<ol class="recent" data-testid="recent-list">
    ${data.recentPatients.map(
      (p) => html`<li key=${p.id} data-patient-id=${p.id}>
        <span class="recent-name" data-testid="recent-name">${p.name}</span>
        <span class=${`status status-${p.status.toLowerCase()}`}>${p.status === 'INPATIENT' ? 'in' : 'out'}</span>
        <time class="recent-time" datetime=${p.latestEventAt ?? ''}>${formatEventTime(p.latestEventAt, now)}</time>
      </li>`,
    )}
  </ol>`;
}
