import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html, type Markup } from './html';

export const CHART_HEIGHT = 170;

/**
 * One uPlot chart in a box as wide as its grid cell. The chart is built once (`makeOptions` is
 * called on mount: uPlot keeps and mutates its options) and fed new data with setData; a
 * ResizeObserver keeps its width in step with the box.
 */
export function UPlotChart({ makeOptions, data, label }: { makeOptions: () => Omit<uPlot.Options, 'width'>; data: uPlot.AlignedData; label: string }): Markup {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const first = useRef(data);

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const options = makeOptions();
    const u = new uPlot({ ...options, width: Math.max(200, el.clientWidth) }, first.current, el);
    chart.current = u;
    const resize = new ResizeObserver(() => {
      if (el.clientWidth > 0 && el.clientWidth !== u.width) u.setSize({ width: el.clientWidth, height: options.height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      chart.current = null;
    };
  }, [makeOptions]);

  useEffect(() => {
    chart.current?.setData(data);
  }, [data]);

  return html`<div class="chart" ref=${box} role="img" aria-label=${label}></div>`;
}
