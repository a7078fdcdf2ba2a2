/**
 * The request observer (src/observability/request-log.ts) with and without the figures, in
 * process, on a stream of hit records: ns per request and bytes allocated per request (heap
 * growth over a run that fits in the young generation, so no collection hides it). Run by
 * bench/figures/run.ts as `node --expose-gc --max-semi-space-size=128 --import tsx …`; prints JSON.
 */
import { getHeapStatistics } from 'node:v8';
import pino from 'pino';
import { loadContractOperations } from '../../src/contract/operations';
import { createFigures } from '../../src/figures';
import { createMetrics } from '../../src/observability/metrics';
import { createRequestObserver, type RequestRecord } from '../../src/observability/request-log';

const CALLS = 2_000_000;
const ROUNDS = 5;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const operations = new Set(loadContractOperations().keys());
const logger = pino({ level: 'warn' }); // the request log line is at info: off, as in the bench's gateways
const figures = createFigures({ redisUrl: null, prefix: '', operations, publishMs: 5000, retainMs: 3_600_000, logger });
const observers = {
  without: createRequestObserver(createMetrics(), logger, operations, null),
  with: createRequestObserver(createMetrics(), logger, operations, figures),
};
// Hits of the contract's reads, latencies 0.05 to 5 ms (log-uniform, a fixed sequence), as the
// handler makes them (one record object per request, made before the observer sees it).
const names = ['Dashboard', 'WardMapping', 'WardFilters', 'Patient'];
const records: RequestRecord[] = Array.from({ length: 4096 }, (_, i) => ({
  requestId: `r${i}`,
  operation: names[i % names.length],
  hospitalId: 1 + (i % 2),
  cache: 'hit',
  ageMs: 1000 + i,
  status: 200,
  outcome: 'ok',
  durationMs: 0.05 * 100 ** (((i * 7919) % 4096) / 4096),
  sql: 0,
}));

function run(observe: (r: RequestRecord) => void, n: number): void {
  for (let i = 0; i < n; i++) observe(records[i & 4095]);
}

const results: Record<keyof typeof observers, { ns: number[]; bytes: number[] }> = { without: { ns: [], bytes: [] }, with: { ns: [], bytes: [] } };
for (const observe of Object.values(observers)) run(observe, 500_000); // optimized, every series and slot made
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, observe] of Object.entries(observers) as Array<[keyof typeof observers, (r: RequestRecord) => void]>) {
    gc();
    const heap = getHeapStatistics().used_heap_size;
    const started = process.hrtime.bigint();
    run(observe, CALLS);
    results[name].ns.push(Number(process.hrtime.bigint() - started) / CALLS);
    results[name].bytes.push((getHeapStatistics().used_heap_size - heap) / CALLS);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
void figures.close();
process.stdout.write(
  JSON.stringify({
    calls: CALLS,
    rounds: ROUNDS,
    withoutNs: median(results.without.ns),
    withNs: median(results.with.ns),
    withoutBytes: median(results.without.bytes),
    withBytes: median(results.with.bytes),
  }),
);
