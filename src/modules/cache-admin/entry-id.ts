/**
 * The key explorer's entry ids: `h<hospital>.<response key>`. Opaque to clients, stable while the
 * answer lives (the response key is the hash of what it answers), and naming its hospital, so
 * an id never reaches another hospital's answer. The CLI prints the same ids.
 */
const ENTRY_ID = /^h([1-9][0-9]{0,15})\.([A-Za-z0-9_-]{43})$/;

export function entryId(scope: number, key: string): string {
  return `h${scope}.${key}`;
}

/** The hospital and response key of an id, or null when it is not an entry id. */
export function parseEntryId(id: string): { scope: number; key: string } | null {
  const m = ENTRY_ID.exec(id.trim());
  if (!m) return null;
  const scope = Number(m[1]);
  return Number.isSafeInteger(scope) ? { scope, key: m[2] } : null;
}
