/**
 * The bearer token lives in this tab only (sessionStorage). `/dashboard#token=<JWT>` hands it
 * over: the fragment is never sent to a server, and it is removed from the address bar at once
 * so it does not end up in history, bookmarks or a screenshot of the URL.
 */
const KEY = 'wardcache.dashboard.token';

export function takeTokenFromFragment(): void {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return;
  const token = new URLSearchParams(hash).get('token');
  if (token) saveToken(token);
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
}

export function loadToken(): string | null {
  return window.sessionStorage.getItem(KEY);
}

export function saveToken(token: string): void {
  window.sessionStorage.setItem(KEY, token.trim());
}

export function clearToken(): void {
  window.sessionStorage.removeItem(KEY);
}
