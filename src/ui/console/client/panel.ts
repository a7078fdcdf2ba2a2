import type { ComponentChildren } from 'preact';
import { formatDuration } from './format';
import { html, type Markup } from './html';
import type { ReadState } from './use-read';

export interface PanelProps {
  /** The section's id (the header's links point to it) and its data-testid. */
  id: string;
  title: string;
  /** A line under the title: what the figures cover. */
  info?: ComponentChildren;
  /** The read behind the panel: its age, "updating…", its error. */
  state?: ReadState<unknown>;
  now: number;
  onRefresh?: () => void;
  /** False where the page already shows this read's error once, above the panels. */
  showError?: boolean;
  /** Controls on the right of the header (buttons, a search). */
  tools?: ComponentChildren;
  children: ComponentChildren;
}

/** A panel's frame: title, what it covers, the age of its data, a refresh button, its error. */
export function Panel(props: PanelProps): Markup {
  const { state, now } = props;
  const status = !state ? null : state.loading && !state.data ? 'loading…' : state.at ? `updated ${formatDuration(now - state.at)} ago` : '';
  return html`<section class="panel" id=${props.id} data-testid=${props.id} aria-busy=${state?.loading ? 'true' : 'false'}>
    <header class="panel-head">
      <div class="panel-title">
        <h2>${props.title}</h2>
        ${props.info ? html`<div class="panel-info">${props.info}</div>` : null}
      </div>
      <div class="panel-tools">
        ${props.tools}
        ${status != null ? html`<span class="panel-age">${status}</span>` : null}
        ${props.onRefresh ? html`<button type="button" class="icon" onClick=${props.onRefresh} title="Read again" aria-label=${`Refresh ${props.title}`}>↻</button>` : null}
      </div>
    </header>
    ${state?.error && props.showError !== false ? html`<p class="panel-error" role="alert" data-testid="panel-error"><strong>${state.error.code}</strong> ${state.error.message}</p>` : null}
    ${props.children}
  </section>`;
}
