import { useState } from 'preact/hooks';
import { formatDuration, formatTime, targetLabel } from './format';
import { html, type Markup } from './html';
import type { WarmTargetStatus } from './types';

export interface WarmProps {
  targets: WarmTargetStatus[];
  /** How long ago the targets' ages were measured. */
  elapsed: number;
  now: number;
  busy: boolean;
  onWarm: (targets: string[] | null) => void;
}

/** The warm targets: when each was last warmed, how it went, a button to warm it again. */
export function WarmTable({ targets, elapsed, now, busy, onWarm }: WarmProps): Markup {
  return html`<table data-testid="warm-table">
    <thead><tr><th>Target</th><th>Last warm</th><th>Age</th><th>Outcome</th><th>Duration</th><th class="actions"><button type="button" class="primary small" disabled=${busy} onClick=${() => onWarm(null)}>Warm all</button></th></tr></thead>
    <tbody id="targets">
      ${targets.map(
        (t) => html`<tr key=${t.target} data-target=${t.target}>
          <td>${targetLabel(t.target)}</td>
          <td data-testid="target-last-warm">${formatTime(t.lastWarmAt, now)}</td>
          <td>${t.ageMs == null ? '—' : formatDuration(t.ageMs + elapsed)}</td>
          <td>
            ${t.ok == null ? html`<span class="badge">not warmed</span>` : html`<span class=${t.ok ? 'badge ok' : 'badge bad'}>${t.ok ? 'OK' : 'Error'}</span>`}
            ${t.error ? html`<div class="cell-error">${t.error}</div>` : null}
          </td>
          <td>${t.durationMs == null ? '—' : `${t.durationMs} ms`}</td>
          <td class="actions"><button type="button" class="small" disabled=${busy} onClick=${() => onWarm([t.target])}>Warm</button></td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Invalidate every cached answer showing an entity of one type. */
export function InvalidateForm({ typenames, busy, onInvalidate }: { typenames: readonly string[]; busy: boolean; onInvalidate: (typename: string) => void }): Markup {
  const [typename, setTypename] = useState(typenames[0] ?? '');
  const submit = (e: Event): void => {
    e.preventDefault();
    onInvalidate(typename);
  };
  return html`<form class="row invalidate" onSubmit=${submit}>
    <label for="typename" class="inline">Type</label>
    <select id="typename" value=${typename} onChange=${(e: Event) => setTypename((e.target as HTMLSelectElement).value)}>
      ${typenames.map((n) => html`<option value=${n} key=${n}>${n}</option>`)}
    </select>
    <button type="submit" class="danger" disabled=${busy}>Invalidate type</button>
    <span class="muted">Drops every cached answer that shows an entity of this type, in your hospital.</span>
  </form>`;
}
