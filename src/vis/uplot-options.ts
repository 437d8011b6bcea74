// uPlot's options for a chart spec (series.ts: PlotSpec). This one function is self-contained — it
// refers to nothing outside its body — because report.html inlines its source
// (`uplotOptions.toString()`) beside uPlot, so the report draws with exactly the code the page uses.
// `holder.spec` is read at every redraw: a live chart swaps in a new spec and calls setData.

import type uPlot from 'uplot';
import type { PlotSpec } from './series.js';

export function uplotOptions(holder: { spec: PlotSpec }): uPlot.Options {
  const FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
  const LABEL_FONT = '600 11px system-ui, -apple-system, "Segoe UI", sans-serif';
  const INK = '#5f6b7a';
  const GRID = '#eceff3';
  let measure: CanvasRenderingContext2D | null = null;
  const textWidth = (text: string): number => {
    if (!measure) measure = document.createElement('canvas').getContext('2d');
    if (!measure) return text.length * 7;
    measure.font = FONT;
    return measure.measureText(text).width;
  };
  const legendValue = (v: number | null | undefined): string => {
    if (v === null || v === undefined || !Number.isFinite(v)) return '–';
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3).replace(/\.?0+e/, 'e').replace('e+', 'e');
    return String(Number(v.toPrecision(4)));
  };
  const axisStyle = { font: FONT, labelFont: LABEL_FONT, stroke: INK, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1, size: 4 }, gap: 4 };
  const spec = holder.spec;
  return {
    width: spec.width,
    height: spec.height,
    title: spec.title,
    legend: { show: true, live: true },
    // Hover shows the values in the legend; no drag-to-zoom (the ticks are chosen for the whole range).
    cursor: { drag: { x: false, y: false, setScale: false } },
    // Room on the right for half of the last x label, on top for half of the top y label.
    padding: [10, () => Math.ceil(Math.max(12, textWidth(holder.spec.x.labels.at(-1) ?? '') / 2 + 4)), 0, 0],
    scales: {
      x: { time: false, range: () => [holder.spec.x.min, holder.spec.x.max] },
      y: { distr: spec.logY ? 3 : 1, range: () => [holder.spec.y.min, holder.spec.y.max] },
    },
    axes: [
      { ...axisStyle, label: spec.xLabel, labelSize: spec.xLabel ? 18 : 0, size: 24, splits: () => holder.spec.x.ticks, values: () => holder.spec.x.labels },
      {
        ...axisStyle, label: spec.yLabel, labelSize: spec.yLabel ? 18 : 0, splits: () => holder.spec.y.ticks, values: () => holder.spec.y.labels,
        // As wide as the widest tick label (never clipped): gap + tick + text.
        size: () => Math.ceil(8 + 4 + Math.max(0, ...holder.spec.y.labels.map(textWidth))),
      },
    ],
    series: [
      { label: spec.xLabel || 'x', value: (u: uPlot, v: number | null) => legendValue(v) },
      ...spec.series.map((s) => ({
        label: s.label, stroke: s.color, width: s.width, dash: s.dash, spanGaps: true,
        points: { show: s.markers, size: 5, fill: s.color, stroke: s.color },
        value: (u: uPlot, v: number | null) => legendValue(v),
      })),
    ],
  };
}
