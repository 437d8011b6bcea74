// The charts of shadergrad/vis in a page: line charts drawn by uPlot from a PlotSpec (series.ts),
// a confusion matrix on a canvas, and fitCallbacks, which feed sg.train.fit's callbacks into a loss,
// an accuracy and a learning-rate chart. Updates only mark a chart dirty; it redraws at most once per
// animation frame, so a callback per training step costs the page next to nothing.

import uPlot from 'uplot';
import type { EpochRecord, StepInfo } from '../train/fit.js';
import { sgError } from '../util/errors.js';
import {
  accuracySeries, checkConfusion, FitRecorder, lossSeries, lrSeries, plotSpec, prSeries, rocSeries, trainingLog,
  type CurveData, type PlotOptions, type PlotSpec, type SeriesData, type TrainingData, type TrainingLog,
} from './series.js';
import { injectStyle } from './style.js';
import { uplotOptions } from './uplot-options.js';

/** A container: an element, or a CSS selector naming one. */
export type Container = HTMLElement | string;

export interface ChartOptions extends PlotOptions {
  /** Height of the plot with its axes in CSS pixels (the legend adds a line below). Default 220. */
  height?: number;
  /** Fixed width in CSS pixels; default: the container's width, following it when it resizes. */
  width?: number;
  /** An id for the chart's canvas (uPlot's), kept when the chart is rebuilt: for tests and screenshots. */
  canvasId?: string;
}

/** A chart in the page. */
export interface Chart<D> {
  /** The chart's element (a div holding uPlot's), inside the container. */
  readonly element: HTMLDivElement;
  /** The uPlot instance, once drawn. */
  readonly plot: uPlot | undefined;
  /** New data: redrawn at the next animation frame (several updates in one frame draw once). */
  update(data: D): void;
  /** Draw now what is pending. */
  flush(): void;
  /** The spec last drawn (ticks, labels, aligned data). */
  spec(): PlotSpec | undefined;
  /** Remove the chart from the page. */
  destroy(): void;
}

const frame: (f: () => void) => unknown = typeof requestAnimationFrame === 'function' ? (f) => requestAnimationFrame(f) : (f) => setTimeout(f, 16);

function resolveContainer(container: Container, fn: string): HTMLElement {
  if (typeof document === 'undefined') throw sgError(`vis: ${fn} draws in a page (no document here); in Node, write report.html with the shadergrad CLI`);
  const el = typeof container === 'string' ? document.querySelector(container) : container;
  if (!(el instanceof HTMLElement)) {
    throw sgError(`vis: ${fn}: the container must be an HTMLElement or a CSS selector naming one, got ${typeof container === 'string' ? `'${container}' (no such element)` : container === null ? 'null' : typeof container}`);
  }
  return el;
}

const structure = (s: PlotSpec) => JSON.stringify([s.title, s.xLabel, s.yLabel, s.logY, s.series]);

/** A line chart that redraws from `build()` at most once per animation frame. */
class LiveChart<D> implements Chart<D> {
  readonly element: HTMLDivElement;
  plot: uPlot | undefined;
  private readonly holder: { spec: PlotSpec };
  private drawn: PlotSpec | undefined;
  private pending = false;
  private scheduled = false;
  private destroyed = false;
  private readonly observer: ResizeObserver | undefined;
  private lastWidth = 0;

  constructor(container: HTMLElement, private data: D, private readonly view: (d: D) => { series: SeriesData[]; opts: PlotOptions }, private readonly size: ChartOptions) {
    injectStyle(container.ownerDocument);
    this.element = container.ownerDocument.createElement('div');
    this.element.className = 'sg-vis';
    container.append(this.element);
    this.holder = { spec: this.build() };
    if (size.width === undefined && typeof ResizeObserver === 'function') {
      this.observer = new ResizeObserver(() => {
        if (this.element.clientWidth && Math.abs(this.element.clientWidth - this.lastWidth) >= 1) this.schedule();
      });
      this.observer.observe(this.element);
    }
    this.schedule();
  }

  private build(): PlotSpec {
    const width = this.size.width ?? (this.element.clientWidth || this.element.parentElement?.clientWidth || 400);
    this.lastWidth = width;
    const { series, opts } = this.view(this.data);
    return plotSpec(series, opts, { width, height: this.size.height ?? 220 });
  }

  update(data: D): void {
    this.data = data;
    this.schedule();
  }

  private schedule(): void {
    if (this.destroyed) return;
    this.pending = true;
    if (this.scheduled) return;
    this.scheduled = true;
    frame(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  flush(): void {
    if (!this.pending || this.destroyed) return;
    this.pending = false;
    const spec = this.build();
    const old = this.holder.spec;
    this.holder.spec = spec;
    if (!this.plot || structure(old) !== structure(spec) || !this.drawn) {
      this.plot?.destroy();
      this.plot = new uPlot(uplotOptions(this.holder), spec.data as uPlot.AlignedData, this.element);
      if (this.size.canvasId) this.plot.ctx.canvas.id = this.size.canvasId;
    } else {
      if (spec.width !== this.plot.width || spec.height !== this.plot.height) this.plot.setSize({ width: spec.width, height: spec.height });
      this.plot.setData(spec.data as uPlot.AlignedData);
    }
    this.drawn = spec;
  }

  spec(): PlotSpec | undefined {
    return this.drawn;
  }

  destroy(): void {
    this.destroyed = true;
    this.observer?.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
    this.element.remove();
  }
}

/** A line chart of your own series ([x, y] points each). */
export function linePlot(container: Container, series: SeriesData[] = [], opts: ChartOptions = {}): Chart<SeriesData[]> {
  return new LiveChart(resolveContainer(container, 'linePlot'), series, (s) => ({ series: s, opts }), opts);
}

const logOf = (d: TrainingData | FitRecorder | undefined): TrainingLog => (d instanceof FitRecorder ? d.log : trainingLog(d));

/**
 * The loss: per step (light line) when the data has step losses — fit's History, or fitCallbacks
 * live — and per epoch the training mean and the validation loss, at the step where the epoch ended.
 * x is the global step, or the epoch when there are only epoch records.
 */
export function lossCurve(container: Container, data?: TrainingData, opts: ChartOptions = {}): Chart<TrainingData> {
  const view = (d: TrainingData | undefined) => {
    const log = logOf(d);
    return { series: lossSeries(log), opts: { yLabel: 'loss', zero: true, ...opts, integerX: true, xLabel: opts.xLabel ?? log.x } };
  };
  return new LiveChart<TrainingData | undefined>(resolveContainer(container, 'lossCurve'), data, view, opts) as Chart<TrainingData>;
}

/** Training and validation accuracy per epoch (records with trainAccuracy / valAccuracy: classification with metrics). */
export function accuracyCurve(container: Container, data?: TrainingData, opts: ChartOptions = {}): Chart<TrainingData> {
  const o = { yLabel: 'accuracy', xLabel: 'epoch', yMax: 1, ...opts, integerX: true };
  return new LiveChart<TrainingData | undefined>(resolveContainer(container, 'accuracyCurve'), data, (d) => ({ series: accuracySeries(logOf(d)), opts: o }), opts) as Chart<TrainingData>;
}

/** The learning rate of each epoch: from epoch records, or a number[] (one per epoch, as sg.optim.lrCurve returns). */
export function lrCurve(container: Container, data?: TrainingData | number[], opts: ChartOptions = {}): Chart<TrainingData | number[]> {
  const o = { yLabel: 'learning rate', xLabel: 'epoch', zero: true, ...opts, integerX: true };
  const series = (d: TrainingData | number[] | undefined) => lrSeries(Array.isArray(d) && (d.length === 0 || typeof d[0] === 'number') ? (d as number[]) : logOf(d as TrainingData));
  return new LiveChart<TrainingData | number[] | undefined>(resolveContainer(container, 'lrCurve'), data, (d) => ({ series: series(d), opts: o }), opts) as Chart<TrainingData | number[]>;
}

/** One-vs-rest ROC curves, one line per class, the AUC in each label (sg.train.evaluate's `curves`). */
export function rocChart(container: Container, curves: CurveData[] = [], opts: ChartOptions & { classNames?: string[] } = {}): Chart<CurveData[]> {
  const { classNames, ...o } = opts;
  const view = (c: CurveData[]) => ({ series: rocSeries(c, classNames), opts: { xLabel: 'false positive rate', yLabel: 'true positive rate', xMin: 0, xMax: 1, yMin: 0, yMax: 1, ...o } });
  return new LiveChart(resolveContainer(container, 'rocChart'), curves, view, o);
}

/** One-vs-rest precision–recall curves, one line per class, the average precision in each label. */
export function prChart(container: Container, curves: CurveData[] = [], opts: ChartOptions & { classNames?: string[] } = {}): Chart<CurveData[]> {
  const { classNames, ...o } = opts;
  const view = (c: CurveData[]) => ({ series: prSeries(c, classNames), opts: { xLabel: 'recall', yLabel: 'precision', xMin: 0, xMax: 1, yMin: 0, yMax: 1, ...o } });
  return new LiveChart(resolveContainer(container, 'prChart'), curves, view, o);
}

// ---- confusion matrix ----------------------------------------------------------------------------

export interface ConfusionOptions {
  /** Axis titles (default: 'true', 'predicted'). */
  rowTitle?: string;
  colTitle?: string;
  /** Canvas height in CSS pixels when the chart makes its canvas (default: as wide as it is, at most 360). */
  height?: number;
}

export interface ConfusionChart {
  /** The canvas drawn on: the container itself when it is a canvas. */
  readonly element: HTMLCanvasElement;
  update(matrix: number[][], labels?: string[]): void;
  flush(): void;
  destroy(): void;
}

/**
 * A confusion matrix (rows: true class, columns: predicted) as shaded cells with their counts: the
 * diagonal green, errors red, shade by the square root of the count. Drawn into the container when it
 * is a canvas, else into a canvas appended to it.
 */
export function confusionMatrix(container: Container, matrix: number[][], labels?: string[], opts: ConfusionOptions = {}): ConfusionChart {
  const el = resolveContainer(container, 'confusionMatrix');
  let checked = checkConfusion(matrix, labels);
  const own = !(el instanceof HTMLCanvasElement);
  const canvas = own ? el.ownerDocument.createElement('canvas') : (el as HTMLCanvasElement);
  if (own) {
    injectStyle(el.ownerDocument);
    canvas.className = 'sg-vis-matrix';
    el.append(canvas);
  }
  let scheduled = false;
  let pending = true;
  const draw = () => {
    if (!pending) return;
    pending = false;
    if (own) canvas.style.height = `${opts.height ?? Math.min(360, Math.max(160, canvas.clientWidth || 300))}px`;
    drawMatrix(canvas, checked.matrix, checked.labels, opts);
  };
  const schedule = () => {
    pending = true;
    if (scheduled) return;
    scheduled = true;
    frame(() => {
      scheduled = false;
      draw();
    });
  };
  schedule();
  return {
    element: canvas,
    update(m, l) {
      checked = checkConfusion(m, l);
      schedule();
    },
    flush: draw,
    destroy() {
      pending = false;
      if (own) canvas.remove();
    },
  };
}

function drawMatrix(canvas: HTMLCanvasElement, m: number[][], labels: string[], opts: ConfusionOptions): void {
  const dpr = (typeof devicePixelRatio === 'number' && devicePixelRatio) || 1;
  const w = Math.max(80, canvas.clientWidth || Number(canvas.getAttribute('width')) || 300);
  const h = Math.max(80, canvas.clientHeight || Number(canvas.getAttribute('height')) || 300);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const n = m.length;
  if (!n) return;
  ctx.font = '11px system-ui, sans-serif';
  const labelWidth = Math.max(...labels.map((l) => ctx.measureText(l).width));
  const pad = { l: 24 + labelWidth, t: 34, r: 8, b: 8 };
  const size = Math.max(4, Math.min((w - pad.l - pad.r) / n, (h - pad.t - pad.b) / n));
  const max = Math.max(1, ...m.flat());
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const v = m[r][c];
      const t = Math.sqrt(v / max);
      ctx.fillStyle = r === c ? `rgba(31,157,85,${0.08 + 0.85 * t})` : `rgba(214,69,69,${v ? 0.1 + 0.85 * t : 0.03})`;
      const x = pad.l + c * size;
      const y = pad.t + r * size;
      ctx.fillRect(x + 1, y + 1, size - 2, size - 2);
      const text = String(Number(v.toPrecision(4)));
      const fontPx = Math.max(8, Math.min(12, size * 0.38));
      if (v && size >= 14) {
        ctx.font = `${fontPx}px system-ui, sans-serif`;
        if (ctx.measureText(text).width < size - 3) {
          ctx.fillStyle = t > 0.55 ? '#fff' : '#1d2330';
          ctx.fillText(text, x + size / 2, y + size / 2);
        }
      }
    }
  }
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#5f6b7a';
  for (let i = 0; i < n; i++) {
    ctx.textAlign = 'right';
    ctx.fillText(labels[i], pad.l - 5, pad.t + i * size + size / 2);
    ctx.textAlign = 'center';
    ctx.fillText(labels[i], pad.l + i * size + size / 2, pad.t - 8);
  }
  ctx.textAlign = 'left';
  ctx.fillText(`${opts.colTitle ?? 'predicted'} →`, pad.l, 9);
  ctx.save();
  ctx.translate(9, pad.t + 2);
  ctx.rotate(Math.PI / 2);
  ctx.fillText(`${opts.rowTitle ?? 'true'} →`, 0, 0);
  ctx.restore();
}

// ---- fitCallbacks --------------------------------------------------------------------------------

export type FitChartName = 'loss' | 'accuracy' | 'lr';

export interface FitCallbacksOptions {
  /** The charts to draw (default all three; 'accuracy' appears with the first accuracy). */
  charts?: FitChartName[];
  /** Height of each plot in CSS pixels (default 200). */
  height?: number;
}

/** sg.train.fit's callbacks; spread them into fit's options. */
export interface FitCallbacks {
  onStepEnd: (s: StepInfo) => void;
  /** The per-step losses as fit reads them back (every 32 read steps and at each epoch's end). */
  onReadBack: (steps: { epoch: number; step: number; loss: number }[]) => void;
  onEpochEnd: (r: EpochRecord) => void;
}

/** What fitCallbacks returns: the two callbacks, plus (not enumerable, so a spread into fit's options takes only the callbacks) the charts and the log. */
export interface FitCharts extends FitCallbacks {
  readonly charts: { loss?: Chart<TrainingData>; accuracy?: Chart<TrainingData>; lr?: Chart<TrainingData | number[]> };
  /** What the callbacks have received: per-step losses and epoch records. */
  readonly log: TrainingLog;
  /** Draw every chart now. */
  flush(): void;
  destroy(): void;
}

const FIT_CHARTS: FitChartName[] = ['loss', 'accuracy', 'lr'];

/**
 * Live charts of a fit: `sg.train.fit(model, { ..., ...sg.vis.fitCallbacks(el) })`. Draws the loss
 * per step (the losses fit reads back, onReadBack) with the training and validation loss per
 * epoch, the accuracy per epoch (classification with metrics) and the learning rate per epoch, in a
 * grid inside `container`. Redraws are batched per animation frame.
 */
export function fitCallbacks(container: Container, opts: FitCallbacksOptions = {}): FitCharts {
  const el = resolveContainer(container, 'fitCallbacks');
  const wanted = opts.charts ?? FIT_CHARTS;
  const unknown = wanted.filter((c) => !FIT_CHARTS.includes(c));
  if (!Array.isArray(wanted) || unknown.length) throw sgError(`vis: fitCallbacks: unknown chart ${unknown.map((c) => `'${c}'`).join(', ')}; charts are ${FIT_CHARTS.join(', ')}`);
  injectStyle(el.ownerDocument);
  const grid = el.ownerDocument.createElement('div');
  grid.className = 'sg-vis-grid';
  el.append(grid);
  const cell = (name: FitChartName) => {
    const d = el.ownerDocument.createElement('div');
    d.dataset.chart = name;
    grid.append(d);
    return d;
  };
  const cells = Object.fromEntries(wanted.filter((c) => c !== 'accuracy').map((c) => [c, cell(c)])) as Record<FitChartName, HTMLDivElement | undefined>;
  const recorder = new FitRecorder();
  const height = opts.height ?? 200;
  const charts: FitCharts['charts'] = {};
  if (cells.loss) charts.loss = lossCurve(cells.loss, recorder.log, { title: 'Loss', height });
  if (cells.lr) charts.lr = lrCurve(cells.lr, recorder.log, { title: 'Learning rate', height });
  const callbacks: FitCallbacks = {
    onStepEnd(s) {
      recorder.onStepEnd(s);
      if (s.loss !== undefined) charts.loss?.update(recorder.log);
    },
    onReadBack(steps) {
      recorder.onReadBack(steps);
      charts.loss?.update(recorder.log);
    },
    onEpochEnd(r) {
      recorder.onEpochEnd(r);
      if (!charts.accuracy && wanted.includes('accuracy') && (r.trainAccuracy !== undefined || r.valAccuracy !== undefined)) {
        const d = cell('accuracy');
        if (cells.lr) grid.insertBefore(d, cells.lr);
        charts.accuracy = accuracyCurve(d, recorder.log, { title: 'Accuracy', height });
      }
      for (const c of Object.values(charts)) c?.update(recorder.log);
    },
  };
  return Object.defineProperties(callbacks, {
    charts: { value: charts, enumerable: false },
    log: { get: () => recorder.log, enumerable: false },
    flush: { value: () => Object.values(charts).forEach((c) => c?.flush()), enumerable: false },
    destroy: { value: () => {
      Object.values(charts).forEach((c) => c?.destroy());
      grid.remove();
    }, enumerable: false },
  }) as FitCharts;
}
