import { useState } from 'preact/hooks';
import { html, type Markup } from './html';

/** Paste a token (or open /dashboard#token=<JWT>); it stays in this tab (sessionStorage). */
export function SignIn({ message, onToken }: { message: string | null; onToken: (token: string) => void }): Markup {
  const [token, setToken] = useState('');
  const submit = (e: Event): void => {
    e.preventDefault();
    if (token.trim()) onToken(token.trim());
  };
  return html`<main class="sign-in">
    <form class="panel" onSubmit=${submit} data-testid="sign-in">
      <h2>Sign in to the ward dashboard</h2>
      ${message ? html`<p class="panel-error" role="alert">${message}</p>` : null}
      <label for="token">Bearer token (viewer or above)</label>
      <div class="row">
        <input id="token" type="password" autocomplete="off" spellcheck="false" placeholder="eyJhbGciOiJIUzI1NiJ9…" value=${token} onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} required />
        <button type="submit" class="primary">Sign in</button>
      </div>
      <p class="muted">Kept in this browser tab only and sent only to this gateway, in the Authorization header. You can also open <code>/dashboard#token=…</code>.</p>
    </form>
  </main>`;
}
