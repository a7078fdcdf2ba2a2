/** "12 s ago", "4 min ago", "3 h ago", "2 d ago" for an age in milliseconds. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/**
 * How old a panel's data is: `updatedAt` (when the gateway computed it) when the answer has one,
 * else the cached answer's `ageMs` at the time it arrived; either way plus the time since.
 */
export function dataAgeMs(now: number, updatedAt: string | null, cacheAgeMs: number | null, receivedAt: number): number {
  if (updatedAt) {
    const at = Date.parse(updatedAt);
    if (!Number.isNaN(at)) return Math.max(0, now - at);
  }
  return (cacheAgeMs ?? 0) + Math.max(0, now - receivedAt);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/** A recent event's time: "14:05" today, "3 Mar 14:05" before. */
export function formatEventTime(iso: string | null, now: number): string {
  if (!iso) return 'no events';
  const at = new Date(iso);
  const sameDay = new Date(now).toDateString() === at.toDateString();
  return sameDay ? timeFormat.format(at) : `${dayFormat.format(at)} ${timeFormat.format(at)}`;
}

export const formatCount = (n: number): string => n.toLocaleString('en-GB');
