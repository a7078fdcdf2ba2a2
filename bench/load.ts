/**
 * The load generator, as its own process (run.ts pins it to core 1). `warm` runs autocannon
 * and forgets the result; `measure` runs it and adds the result under a label, so one server's
 * measurement can be taken in slices interleaved with another's; `collect` returns the sum.
 * Latency comes from autocannon's per-response event into a 10 µs histogram (autocannon's own
 * histogram records whole milliseconds).
 */
import autocannon from 'autocannon';
import { Histogram } from './lib/histogram';
import { serveIpc } from './lib/proc';

export interface LoadSpec {
  url: string;
  /** POST unless told (the HTTP-caching cases send GETs: a 304 answers GETs only). */
  method?: 'GET' | 'POST';
  body: string;
  headers: Record<string, string>;
  connections: number;
  durationS: number;
}

export interface LoadResult {
  /** Answers per second with a 2xx or a 304 (the revalidation case's expected answer). */
  rps: number;
  p50: number;
  p99: number;
  responses: number;
  non2xx: number;
  errors: number;
  /** Bytes read per response, headers included (autocannon's throughput ÷ responses). */
  bytesPerResponse: number;
}

interface Sum {
  hist: Histogram;
  ok: number;
  seconds: number;
  responses: number;
  non2xx: number;
  errors: number;
  bytes: number;
}

function cannon(spec: LoadSpec, hist: Histogram | null): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: spec.url, method: spec.method ?? 'POST', body: spec.method === 'GET' ? undefined : spec.body, headers: spec.headers, connections: spec.connections, duration: spec.durationS, pipelining: 1 },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    if (hist) instance.on('response', (_client, _status, _bytes, ms: number) => hist.record(ms));
  });
}

const sums = new Map<string, Sum>();

serveIpc(
  {
    async warm(msg) {
      await cannon(msg.spec as LoadSpec, null);
      return {};
    },
    async measure(msg) {
      const label = msg.label as string;
      let sum = sums.get(label);
      if (!sum) sums.set(label, (sum = { hist: new Histogram(), ok: 0, seconds: 0, responses: 0, non2xx: 0, errors: 0, bytes: 0 }));
      const r = await cannon(msg.spec as LoadSpec, sum.hist);
      // A 304 is the expected answer of a revalidation (If-None-Match), not a failure.
      sum.ok += r['2xx'] + ((msg.spec as LoadSpec).headers['if-none-match'] ? r['3xx'] : 0);
      sum.seconds += r.duration;
      sum.responses += r.requests.total;
      sum.non2xx += r.non2xx;
      sum.errors += r.errors + r.timeouts;
      sum.bytes += r.throughput.total;
      return {};
    },
    collect(msg): LoadResult {
      const sum = sums.get(msg.label as string);
      if (!sum) throw new Error(`nothing measured as ${String(msg.label)}`);
      sums.delete(msg.label as string);
      return { rps: sum.ok / sum.seconds, p50: sum.hist.quantile(0.5), p99: sum.hist.quantile(0.99), responses: sum.responses, non2xx: sum.non2xx, errors: sum.errors, bytesPerResponse: sum.bytes / Math.max(1, sum.responses) };
    },
  },
  {},
);
process.once('SIGTERM', () => process.exit(0));
