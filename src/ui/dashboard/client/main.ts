import { render } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import { App } from './app';
import type { DashboardConfig } from './config';
import { html, type Markup } from './html';
import { SignIn } from './sign-in';
import { clearToken, loadToken, saveToken, takeTokenFromFragment } from './token';

/** The page's entry point (bundled by src/ui/dashboard/bundle.ts): sign-in, then the dashboard. */
function Root({ config }: { config: DashboardConfig }): Markup {
  const [token, setToken] = useState<string | null>(loadToken());
  const [message, setMessage] = useState<string | null>(null);
  const signIn = useCallback((value: string) => {
    saveToken(value);
    setMessage(null);
    setToken(value);
  }, []);
  const signOut = useCallback((reason: string | null) => {
    clearToken();
    setMessage(reason);
    setToken(null);
  }, []);
  if (!token) return html`<${SignIn} message=${message} onToken=${signIn} />`;
  return html`<${App} key=${token} config=${config} token=${token} onSignOut=${signOut} />`;
}

const configElement = document.getElementById('dashboard-config');
const mount = document.getElementById('app');
if (configElement && mount) {
  takeTokenFromFragment();
  const config = JSON.parse(configElement.textContent ?? '{}') as DashboardConfig;
  mount.textContent = '';
  render(html`<${Root} config=${config} />`, mount);
}
