import type { ApiError } from './api';
import { dataAgeMs, formatAge } from './format';
import { html, type Markup } from './html';
import type { ReadState } from './use-read';

export interface PanelProps<T> {
  title: string;
  testId: string;
  state: ReadState<T>;
  /** The answer's `updatedAt`, when its operation has one. */
  updatedAt: (data: T) => string | null;
  now: number;
  onRefresh: () => void;
  className?: string;
  children: Markup;
}

function errorLine(error: ApiError | null): Markup | null {
  return error ? html`<p class="panel-error" role="alert" data-testid="panel-error"><strong>${error.code}</strong> ${error.message}</p>` : null;
}

/** A panel's frame: title, the age of its data, "updating" while a fetch runs, a refresh button. */
export function Panel<T>(props: PanelProps<T>): Markup {
  const { state, now } = props;
  const answer = state.answer;
  const age = answer ? formatAge(dataAgeMs(now, props.updatedAt(answer.data), answer.cache?.ageMs ?? null, answer.receivedAt)) : null;
  const status = state.loading ? 'updating…' : age ? `updated ${age}` : 'waiting for data';
  return html`
    <section class=${`panel ${props.className ?? ''}`} data-testid=${props.testId} aria-busy=${state.loading ? 'true' : 'false'}>
      <header class="panel-head">
        <h2>${props.title}</h2>
        <span class=${`age ${state.loading ? 'updating' : ''}`} data-testid="age" title=${answer?.cache ? (answer.cache.hit ? `cached answer, ${answer.cache.ageMs} ms old when served` : 'computed for this request') : ''}>${status}</span>
        <button type="button" class="refresh" onClick=${props.onRefresh} disabled=${state.loading} aria-label=${`Refresh ${props.title}`}>↻</button>
      </header>
      ${errorLine(state.error)}
      ${props.children}
    </section>
  `;
}
