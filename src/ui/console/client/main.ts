import { render } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import type { ApiError } from './api';
import { App } from './app';
import type { ConsoleConfig } from './config';
import { html, type Markup } from './html';
import { SignIn } from './sign-in';
import { clearToken, loadToken, saveToken, takeTokenFromFragment } from './token';

/** The page's entry point (bundled by ../index.ts): sign-in, then the console. */
function Root({ config }: { config: ConsoleConfig }): Markup {
  const [token, setToken] = useState<string | null>(loadToken());
  const [refusal, setRefusal] = useState<ApiError | null>(null);
  const signIn = useCallback((value: string) => {
    setRefusal(null);
    setToken(saveToken(value));
  }, []);
  const signOut = useCallback((reason: ApiError | null) => {
    clearToken();
    setRefusal(reason);
    setToken(null);
  }, []);
  if (!token) return html`<${SignIn} refusal=${refusal} onToken=${signIn} />`;
  return html`<${App} key=${token} config=${config} token=${token} onSignOut=${signOut} />`;
}

const configElement = document.getElementById('console-config');
const mount = document.getElementById('app');
if (configElement && mount) {
  takeTokenFromFragment();
  const config = JSON.parse(configElement.textContent ?? '{}') as ConsoleConfig;
  mount.textContent = '';
  render(html`<${Root} config=${config} />`, mount);
}
