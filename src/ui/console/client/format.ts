/** How the console writes numbers, sizes, durations and times. */

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

export const formatCount = (n: number): string => n.toLocaleString('en-GB');

/** 0.934 → "93.4 %"; null (nothing to divide) → "—". */
export const formatRate = (rate: number | null | undefined): string => (rate == null ? '—' : `${(rate * 100).toFixed(1)} %`);

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  return i === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[i]}`;
}

/** A latency: "0.42 ms", "12.3 ms", "245 ms", "1.20 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms == null) return '—';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** A span of time: "42 s", "3 min 5 s", "2 h 10 min", "3 d 4 h". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** An age that may be short: "350 ms", "4.2 s", then as formatDuration. */
export function formatAgeMs(ms: number | null | undefined): string {
  if (ms == null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms);
}

/** "14:05:09" (today) or "3 Mar 14:05:09"; "never" for null. */
export function formatTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return 'never';
  const at = new Date(iso);
  const time = timeFormat.format(at);
  return new Date(now).toDateString() === at.toDateString() ? time : `${dateFormat.format(at)} ${time}`;
}

/** "4 s ago" for a past moment. */
export const formatAgo = (iso: string, now: number): string => `${formatDuration(now - Date.parse(iso))} ago`;

/** "warm target" labels: WARD_MAPPING → "Ward mapping". */
export const targetLabel = (target: string): string => target.charAt(0) + target.slice(1).toLowerCase().replace(/_/g, ' ');
