import { formatRate } from './format';
import { html, type Markup } from './html';

/** A hit rate as text with a small bar under it: green share = hits, the rest = misses. */
export function RateBar({ rate, lookups }: { rate: number; lookups: number }): Markup {
  if (lookups === 0) return html`<span class="muted">—</span>`;
  return html`<span class="rate">
    <span class="rate-text">${formatRate(rate)}</span>
    <span class="rate-bar" aria-hidden="true"><span style=${{ width: `${Math.round(rate * 1000) / 10}%` }}></span></span>
  </span>`;
}
