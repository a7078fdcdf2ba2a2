/**
 * `extensions.cache` of every answer (contract: whether it was a hit, and how old the cached
 * answer is), built here only: as an object for answers Apollo sends, and as the JSON suffix
 * spliced into a stored answer's bytes on the hit path.
 */
export interface CacheExtension {
  hit: boolean;
  ageMs: number;
  /** Served from an expired copy because the database did not answer. */
  stale?: true;
}

export const MISS: CacheExtension = Object.freeze({ hit: false, ageMs: 0 }) as CacheExtension;

export function hitExtension(storedAt: number, now = Date.now()): CacheExtension {
  return { hit: true, ageMs: Math.max(0, now - storedAt) };
}

/** `,"extensions":{"cache":{…}}}`: replaces the final `}` of a stored `{"data":…}` body (ASCII). */
export function hitSuffix(storedAt: number, stale = false): string {
  return `,"extensions":{"cache":{"hit":true,"ageMs":${Math.max(0, Date.now() - storedAt)}${stale ? ',"stale":true' : ''}}}}`;
}
