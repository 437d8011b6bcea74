// The demos' charts, drawn by shadergrad/vis (uPlot): this file keeps the small API the pages call —
// lineChart(canvas, series, opts) and heatmap(canvas, matrix, opts) on the <canvas class="chart">
// of their HTML — and hands the drawing to sg.vis. A line chart takes the canvas's place in the page
// (a div of the same height with uPlot's chart and legend); uPlot's canvas takes over the canvas's id,
// so the next call, and the tests' getElementById, find the chart. Redraws are batched per frame.
// fitCanvas stays: the pages' own drawings (decision boundary, attention maps, bench bars) use it.

import * as vis from '../../src/vis/index.js'; // shadergrad/vis (the pages use the library's source)

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

export interface LineChartOptions {
  xLabel?: string;
  yLabel?: string;
  /** Fixed y range; otherwise round numbers around the data. */
  yMin?: number;
  yMax?: number;
  logY?: boolean;
  /** Show markers on each point (short series). */
  markers?: boolean;
  /** Only whole numbers on the x axis (layer numbers, epochs). */
  integerX?: boolean;
}

/** Size the canvas backing store to its CSS size × devicePixelRatio; returns the 2-D context in CSS pixels. */
export function fitCanvas(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(50, canvas.clientWidth || Number(canvas.getAttribute('width')) || 300);
  const h = Math.max(50, canvas.clientHeight || Number(canvas.getAttribute('height')) || 150);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

/** The legend row under a uPlot chart, in CSS pixels. */
const LEGEND = 26;

interface Bound {
  chart: vis.Chart<vis.SeriesData[]>;
  /** The options object the chart reads at each redraw (updated in place). */
  opts: vis.PlotOptions;
}

const charts = new Map<string | HTMLElement, Bound>();

const toSeries = (series: Series[]): vis.SeriesData[] => series.map((s) => ({ label: s.name, color: s.color, points: s.points, dashed: s.dashed }));

/** A line chart in the place of `canvas` (the page's <canvas class="chart">, or the chart's own canvas on later calls). */
export function lineChart(canvas: HTMLCanvasElement, series: Series[], opts: LineChartOptions = {}): void {
  const key = canvas.id || canvas;
  const plotOpts: vis.PlotOptions = { xLabel: opts.xLabel, yLabel: opts.yLabel, yMin: opts.yMin, yMax: opts.yMax, logY: opts.logY, markers: opts.markers, integerX: opts.integerX };
  const bound = charts.get(key);
  if (bound && bound.chart.element.isConnected) {
    Object.assign(bound.opts, plotOpts);
    bound.chart.update(toSeries(series));
    return;
  }
  const height = canvas.clientHeight || Number(canvas.getAttribute('height')) || 220;
  const slot = document.createElement('div');
  slot.style.minHeight = `${height}px`;
  canvas.replaceWith(slot);
  // linePlot reads this options object at each redraw: later calls update it in place.
  const o: vis.ChartOptions = { ...plotOpts, height: Math.max(90, height - LEGEND), canvasId: canvas.id || undefined };
  const chart = vis.linePlot(slot, toSeries(series), o);
  charts.set(key, { chart, opts: o });
  chart.flush();
}

const matrices = new WeakMap<HTMLCanvasElement, vis.ConfusionChart>();

/** A matrix as coloured cells with their counts (sg.vis.confusionMatrix); rows labelled on the left, columns on top. */
export function heatmap(canvas: HTMLCanvasElement, m: number[][], opts: { rowTitle?: string; colTitle?: string; labels?: string[] } = {}): void {
  const existing = matrices.get(canvas);
  if (existing) existing.update(m, opts.labels);
  else matrices.set(canvas, vis.confusionMatrix(canvas, m, opts.labels, { rowTitle: opts.rowTitle, colTitle: opts.colTitle }));
}
