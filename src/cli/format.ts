/** Human forms of durations, ages and sizes for the CLI's output. */

/** 950 → "950 ms", 12_300 → "12.3 s". */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Age in whole seconds, then minutes/hours for long ones: "42s", "12m05s", "3h02m". */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

/** Bytes as B/KiB/MiB/GiB. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** Right-pads to the longest of `all`, for aligned columns. */
export function padTo(text: string, all: readonly string[]): string {
  return text.padEnd(Math.max(...all.map((s) => s.length)));
}

/** `1 entry`, `3 entries`; `1 hospital`, `2 hospitals`. */
export function plural(n: number | string, one: string, many = `${one}s`): string {
  return `${n} ${String(n) === '1' ? one : many}`;
}
