import type { ApiError } from './api';
import { html, type Markup } from './html';

/** What an action said: a line of success, or an error with its code. */
export type Notice = { kind: 'ok'; text: string } | { kind: 'error'; error: ApiError };

const HINTS: Record<string, string> = {
  FORBIDDEN: 'This token is valid but is not an admin token: the cache console needs the admin role.',
  UNAUTHENTICATED: 'The gateway refused this token (expired, malformed, or signed with another secret).',
  NETWORK: 'The gateway did not answer. Reads are retried automatically.',
};

export function ErrorBanner({ error }: { error: ApiError }): Markup {
  return html`<div id="error" class="error" role="alert" data-testid="error">
    <strong id="error-code">${error.code}</strong> <span id="error-message">${error.message}</span>
    ${HINTS[error.code] ? html`<div id="error-hint" class="hint">${HINTS[error.code]}</div>` : null}
  </div>`;
}

/** An action's outcome, pinned under the header where it shows whatever the scroll position. */
export function NoticeToast({ notice, onClose }: { notice: Notice | null; onClose: () => void }): Markup | null {
  if (!notice) return null;
  const close = html`<button type="button" class="close" onClick=${onClose} aria-label="Dismiss">×</button>`;
  return html`<div class="toast">
    ${notice.kind === 'error'
      ? html`<div class="toast-body">${close}<${ErrorBanner} error=${notice.error} /></div>`
      : html`<div id="notice" class="notice toast-body" role="status" data-testid="notice">${close}${notice.text}</div>`}
  </div>`;
}
