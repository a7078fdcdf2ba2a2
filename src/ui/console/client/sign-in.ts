import { useState } from 'preact/hooks';
import type { ApiError } from './api';
import { html, type Markup } from './html';
import { ErrorBanner } from './notice';

/** Paste an admin token (or open /admin#token=<JWT>); it stays in this tab (sessionStorage). */
export function SignIn({ refusal, onToken }: { refusal: ApiError | null; onToken: (token: string) => void }): Markup {
  const [token, setToken] = useState('');
  const submit = (e: Event): void => {
    e.preventDefault();
    if (token.trim()) onToken(token);
  };
  return html`<div class="layout">
    <header class="bar"><h1>wardcache <span>Cache console</span></h1></header>
    <main>
      ${refusal ? html`<${ErrorBanner} error=${refusal} />` : null}
      <section id="login" class="panel">
        <form onSubmit=${submit}>
          <label for="token">Admin token</label>
          <div class="row">
            <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" placeholder="eyJhbGciOiJIUzI1NiJ9…" value=${token} onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} required />
            <button type="submit" class="primary">Connect</button>
          </div>
          <p class="muted">Kept in this browser tab only (sessionStorage) and sent only to this gateway's <code>/graphql</code>. You can also open <code>/admin#token=…</code>.</p>
        </form>
      </section>
    </main>
  </div>`;
}
