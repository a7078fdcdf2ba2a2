/**
 * The admin token lives in this tab only (sessionStorage). `/admin#token=<JWT>` hands it over:
 * the fragment is never sent to a server, and it leaves the address bar at once.
 */
const KEY = 'wardcache.console.token';

export function takeTokenFromFragment(): void {
  const hash = window.location.hash.replace(/^#/, '');
  const token = hash ? new URLSearchParams(hash).get('token') : null;
  if (!token) return;
  saveToken(token);
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
}

export function loadToken(): string | null {
  return window.sessionStorage.getItem(KEY);
}

/** Stores the token as pasted, without a leading `Bearer `. */
export function saveToken(token: string): string {
  const clean = token.trim().replace(/^Bearer\s+/i, '');
  window.sessionStorage.setItem(KEY, clean);
  return clean;
}

export function clearToken(): void {
  window.sessionStorage.removeItem(KEY);
}
