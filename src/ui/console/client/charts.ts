import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import { CHART_HEIGHT, UPlotChart } from './chart';
import { formatCount, formatMs, formatRate } from './format';
import { chartData, hourTotals, type ChartData } from './history';
import { html, type Markup } from './html';
import type { HistoryPoint } from './types';

const COLORS = { hits: '#1a7f37', misses: '#cf4a0c', requests: '#1f6feb', invalidations: '#8250df' };
/** Hovering one chart shows the same moment on all four. */
const SYNC_KEY = 'wardcache-console';

const fill = (hex: string, alpha: number): string =>
  `rgba(${parseInt(hex.slice(1, 3), 16)}, ${parseInt(hex.slice(3, 5), 16)}, ${parseInt(hex.slice(5, 7), 16)}, ${alpha})`;

interface Line {
  label: string;
  color: string;
  area?: boolean;
  stepped?: boolean;
  value: (v: number | null) => string;
}

const HOUR_MINUTE = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const AXIS = { stroke: '#637083', grid: { stroke: '#edf0f4', width: 1 }, ticks: { stroke: '#dde3ea', width: 1 }, font: '11px system-ui, sans-serif' };

const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];

/** Points with no neighbour (traffic in one 10-second slot) draw no line: they get a dot. */
function isolated(u: uPlot, seriesIdx: number): number[] {
  const ys = u.data[seriesIdx];
  const out: number[] = [];
  for (let i = 0; i < ys.length; i++) if (ys[i] != null && ys[i - 1] == null && ys[i + 1] == null) out.push(i);
  return out;
}

/** On the logarithmic scale only powers of ten get a label and a grid line. */
const powersOfTen = (_u: uPlot, splits: number[]): Array<number | null> => splits.map((v) => (Math.abs(Math.log10(v) % 1) < 1e-9 ? v : null));

/** Options of a chart of the last hour: time across, one y scale, the given lines. */
function options(lines: Line[], y: { unit: (v: number) => string; range?: uPlot.Scale.Range; log?: boolean; whole?: boolean }): () => Omit<uPlot.Options, 'width'> {
  return () => ({
    height: CHART_HEIGHT,
    cursor: { sync: { key: SYNC_KEY }, drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: true }, y: { range: y.range, distr: y.log ? 3 : 1 } },
    series: [
      { value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toLocaleTimeString(undefined, { hourCycle: 'h23' })) },
      ...lines.map(
        (l): uPlot.Series => ({
          label: l.label,
          stroke: l.color,
          width: 1.6,
          fill: l.area ? fill(l.color, 0.12) : undefined,
          paths: l.stepped ? uPlot.paths.stepped?.({ align: 1 }) : undefined,
          points: { show: true, size: 5, fill: l.color, filter: isolated },
          value: (_u, v) => l.value(v),
        }),
      ),
    ],
    axes: [
      { ...AXIS, size: 32, values: (_u, ticks) => ticks.map((t) => HOUR_MINUTE.format(new Date(t * 1000))) },
      {
        ...AXIS,
        size: 58,
        values: (_u, ticks) => ticks.map((t) => (t == null ? '' : y.unit(t))),
        // Counts: ticks on whole numbers only.
        ...(y.whole ? { incrs: WHOLE_STEPS } : {}),
        ...(y.log ? { filter: powersOfTen, grid: { ...AXIS.grid, filter: powersOfTen }, ticks: { ...AXIS.ticks, filter: powersOfTen } } : {}),
      },
    ],
  });
}

const pct = (v: number | null): string => (v == null ? '—' : `${v.toFixed(1)} %`);
const perS = (v: number | null): string => (v == null ? '—' : `${v.toFixed(1)}/s`);
const ms = (v: number | null): string => formatMs(v);
const count = (v: number | null): string => (v == null ? '—' : formatCount(v));

const CHARTS = {
  hitRate: options([{ label: 'Hit rate', color: COLORS.hits, area: true, value: pct }], { unit: (v) => `${v} %`, range: [0, 100] }),
  requests: options(
    [
      { label: 'Requests/s', color: COLORS.requests, area: true, value: perS },
      { label: 'Misses/s', color: COLORS.misses, value: perS },
    ],
    { unit: (v) => `${v}/s`, range: (_u, _min, max) => [0, Math.max(1, max)] },
  ),
  latency: options(
    [
      { label: 'Hits p95', color: COLORS.hits, value: ms },
      { label: 'Misses p95', color: COLORS.misses, value: ms },
    ],
    { unit: (v) => formatMs(v), log: true },
  ),
  invalidations: options([{ label: 'Invalidations/min', color: COLORS.invalidations, area: true, stepped: true, value: count }], {
    unit: (v) => String(v),
    range: (_u, _min, max) => [0, Math.max(4, max)],
    whole: true,
  }),
};

function ChartBox(props: { id: string; title: string; headline: string; note: string; total: number; makeOptions: () => Omit<uPlot.Options, 'width'>; data: uPlot.AlignedData }): Markup {
  return html`<figure class="chart-box" data-testid=${`chart-${props.id}`} data-points=${props.data[0].length} data-total=${props.total}>
    <figcaption>
      <span class="chart-title">${props.title}</span>
      <span class="chart-headline" data-testid="chart-headline">${props.headline}</span>
    </figcaption>
    <${UPlotChart} makeOptions=${props.makeOptions} data=${props.data} label=${`${props.title}: ${props.headline}`} />
    <div class="chart-note">${props.note}</div>
  </figure>`;
}

/** The last hour in four charts with one time axis: hit rate, traffic, latency, invalidations. */
export function Charts({ history }: { history: HistoryPoint[] }): Markup {
  const d: ChartData = useMemo(() => chartData(history), [history]);
  const totals = useMemo(() => hourTotals(history), [history]);
  return html`<div class="charts">
    <${ChartBox}
      id="hit-rate"
      title="Hit rate"
      headline=${`${formatRate(totals.hitRate)} over the hour`}
      note=${`${formatCount(totals.hits)} hits, ${formatCount(totals.misses)} misses; gaps where there was no traffic`}
      total=${totals.hits + totals.misses}
      makeOptions=${CHARTS.hitRate}
      data=${[d.x, d.hitRatePct]}
    />
    <${ChartBox}
      id="requests"
      title="Requests per second"
      headline=${`${formatCount(totals.requests)} requests · peak ${totals.peakRequestsPerS.toFixed(1)}/s`}
      note="All GraphQL requests of your hospital (this console's reads too), per 10 s ÷ 10; and the misses"
      total=${totals.requests}
      makeOptions=${CHARTS.requests}
      data=${[d.x, d.requestsPerS, d.missesPerS]}
    />
    <${ChartBox}
      id="latency"
      title="p95 latency, hits vs misses"
      headline=${`last: hits ${formatMs(totals.lastHitP95Ms)} · misses ${formatMs(totals.lastMissP95Ms)}`}
      note="95th percentile of each 10 seconds, logarithmic scale"
      total=${d.hitP95Ms.filter((v) => v != null).length + d.missP95Ms.filter((v) => v != null).length}
      makeOptions=${CHARTS.latency}
      data=${[d.x, d.hitP95Ms, d.missP95Ms]}
    />
    <${ChartBox}
      id="invalidations"
      title="Invalidations per minute"
      headline=${`${formatCount(totals.invalidations)} in the hour`}
      note="At each point: the invalidations of the 60 seconds ending there (six 10-second points)"
      total=${totals.invalidations}
      makeOptions=${CHARTS.invalidations}
      data=${[d.x, d.invalidationsPerMin]}
    />
  </div>`;
}
