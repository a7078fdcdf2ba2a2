import type { LoadResult, LoadSpec } from '../load';
import { addCpu, cpuMeter, type CpuUse } from './cpu';
import type { Pinned } from './proc';

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

/** A server under load: the gateway or a baseline, all pinned to SERVER_CORE. */
export interface Contender {
  label: string;
  server: Pinned;
  url: string;
}

/** A load result with the CPU used meanwhile: processes [server, load generator, Redis], cores [server, load]. */
export type Measured = LoadResult & { cpu: CpuUse };

export interface InterleaveOptions {
  warmupS: number;
  sliceS: number;
  slices: number;
  redisPid: number;
}

/**
 * Measures several servers with the same request in alternating slices (A B A B …) after a
 * warm-up of each, so a neighbour's burst of CPU on this shared machine hits all of them alike
 * instead of skewing one and so the ratio between them.
 */
export async function interleave(
  load: Pinned,
  contenders: Contender[],
  spec: (url: string, durationS: number, contender: Contender) => LoadSpec,
  o: InterleaveOptions,
): Promise<Measured[]> {
  for (const c of contenders) await load.call('warm', { spec: spec(c.url, o.warmupS, c) });
  const cpu = new Map<string, CpuUse>();
  for (let i = 0; i < o.slices; i++) {
    for (const c of contenders) {
      const meter = cpuMeter([c.server.proc.pid as number, load.proc.pid as number, o.redisPid], [SERVER_CORE, LOAD_CORE]);
      await load.call('measure', { spec: spec(c.url, o.sliceS, c), label: c.label });
      cpu.set(c.label, addCpu(cpu.get(c.label), meter()));
    }
  }
  const out: Measured[] = [];
  for (const c of contenders) out.push({ ...(await load.call<LoadResult>('collect', { label: c.label })), cpu: cpu.get(c.label) as CpuUse });
  return out;
}

/**
 * Server CPU per response in µs: unlike req/s, barely moved by other processes taking turns on
 * the server's core (this machine is shared), so the steadier measure of the hit path's cost.
 */
export const cpuPerResponse = (m: Measured) => (1e6 * m.cpu.processes[0]) / Math.max(1, m.responses);

/**
 * "srv 93% load 40% redis 12% other@0 3% other@1 20%": shares of one core over the measurement;
 * other@N is everything else that ran on core N (other processes, interrupt handling).
 */
export function cpuSummary(m: Measured): string {
  const { wallS, processes, cores } = m.cpu;
  const pct = (s: number) => `${Math.round((100 * Math.max(0, s)) / wallS)}%`;
  const [server, load, redis] = processes;
  return `srv ${pct(server)} load ${pct(load)} redis ${pct(redis)} other@0 ${pct(cores[0] - server)} other@1 ${pct(cores[1] - load - redis)}`;
}
