import { readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ (CLK_TCK) on Linux

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function processSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

/** Busy seconds of one core so far (everything but idle and iowait), from /proc/stat. */
function coreSeconds(core: number): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  if (!line) return 0;
  const t = line.trim().split(/\s+/).slice(1).map(Number);
  return (t.slice(0, 8).reduce((a, b) => a + b, 0) - t[3] - t[4]) / TICKS_PER_S;
}

/** CPU seconds used by some processes and cores over a stretch of wall time. */
export interface CpuUse {
  wallS: number;
  processes: number[];
  cores: number[];
}

/** Starts measuring; the returned function gives what was used since. */
export function cpuMeter(pids: number[], cores: number[]): () => CpuUse {
  const started = performance.now();
  const p0 = pids.map(processSeconds);
  const c0 = cores.map(coreSeconds);
  return () => ({
    wallS: (performance.now() - started) / 1000,
    processes: pids.map((pid, i) => processSeconds(pid) - p0[i]),
    cores: cores.map((core, i) => coreSeconds(core) - c0[i]),
  });
}

export function addCpu(a: CpuUse | undefined, b: CpuUse): CpuUse {
  if (!a) return b;
  return { wallS: a.wallS + b.wallS, processes: a.processes.map((v, i) => v + b.processes[i]), cores: a.cores.map((v, i) => v + b.cores[i]) };
}
