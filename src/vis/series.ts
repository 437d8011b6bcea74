// What the charts of shadergrad/vis draw, as plain data: the training log (per-step losses and
// per-epoch records, from sg.train.fit's callbacks or its History), the series of the loss, accuracy
// and learning-rate charts, and a chart's spec (uPlot's aligned data, axis ranges, ticks and labels).
// No DOM here: report.html's charts are specified in Node with these same functions.

import type { EpochRecord, History, StepInfo } from '../train/fit.js';
import { sgError } from '../util/errors.js';
import { axis, type Axis } from './ticks.js';

export type Point = [x: number, y: number];

/** One line of a chart. */
export interface SeriesData {
  label: string;
  /** A CSS colour. */
  color: string;
  points: Point[];
  /** Dashed line. */
  dashed?: boolean;
  /** Draw a marker at each point (sparse series: one point per epoch). */
  markers?: boolean;
  /** Line width in CSS pixels (default 1.8). */
  width?: number;
}

export interface PlotOptions {
  /** A title drawn above the chart. */
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Fixed ends of the x axis (rates and recall: 0 and 1); otherwise round numbers around the data. */
  xMin?: number;
  xMax?: number;
  /** Fixed ends of the y axis; otherwise round numbers around the data. */
  yMin?: number;
  yMax?: number;
  /** Include 0 on the y axis. */
  zero?: boolean;
  /** Logarithmic y axis (non-positive values are left out). */
  logY?: boolean;
  /** Whole-number x ticks (steps, epochs). */
  integerX?: boolean;
  /** Markers on every series. */
  markers?: boolean;
}

/** A chart, fully specified: what uPlot needs to draw it (JSON: report.html embeds it). */
export interface PlotSpec {
  title?: string;
  xLabel: string;
  yLabel: string;
  logY: boolean;
  width: number;
  height: number;
  /** uPlot's aligned data: the sorted x values, then one array per series (null where it has no point). */
  data: (number | null)[][];
  series: { label: string; color: string; width: number; dash?: number[]; markers: boolean }[];
  x: Axis;
  y: Axis;
}

export const COLORS = { train: '#2f6fdb', trainStep: '#8fb1ee', validation: '#e8710a', lr: '#8f3fb5', extra: ['#1f9d55', '#d64545', '#6b7280', '#b08900'] };

/** The space (CSS px) one tick needs along x and along y; the chart's size gives the tick counts. */
const X_TICK_PX = 70;
const Y_TICK_PX = 34;

/**
 * The spec of a line chart of `series` drawn `width` × `height` CSS pixels (the plot with its axes;
 * the legend sits below it). Non-finite values (and non-positive ones on a log axis) are gaps.
 */
export function plotSpec(series: SeriesData[], opts: PlotOptions, size: { width: number; height: number }): PlotSpec {
  if (!Array.isArray(series)) throw sgError(`vis: the series must be an array of { label, color, points }, got ${typeof series}`);
  const keep = (y: number) => Number.isFinite(y) && (!opts.logY || y > 0);
  series.forEach((s, i) => {
    if (!s || !Array.isArray(s.points)) throw sgError(`vis: series ${i} (${s?.label ?? 'unnamed'}) needs points: [x, y][], got ${s ? typeof s.points : s}`);
  });
  const xs = new Set<number>();
  for (const s of series) for (const [x, y] of s.points) if (Number.isFinite(x) && keep(y)) xs.add(x);
  const xValues = [...xs].sort((a, b) => a - b);
  const index = new Map(xValues.map((x, i) => [x, i]));
  const data: (number | null)[][] = [xValues];
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    const ys: (number | null)[] = new Array(xValues.length).fill(null);
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !keep(y)) continue;
      ys[index.get(x)!] = y;
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
    data.push(ys);
  }
  const width = Math.max(120, Math.round(size.width));
  const height = Math.max(80, Math.round(size.height));
  const x0 = xValues.length ? xValues[0] : 0;
  const x1 = xValues.length ? xValues[xValues.length - 1] : 1;
  const x = axis(x0, x1, { maxTicks: Math.floor((width - 60) / X_TICK_PX), integer: opts.integerX, zero: x0 >= 0 && x0 <= (x1 - x0) * 0.25, min: opts.xMin, max: opts.xMax });
  const y = axis(lo, hi, { maxTicks: Math.floor((height - 40) / Y_TICK_PX), zero: opts.zero, min: opts.yMin, max: opts.yMax, log: opts.logY });
  return {
    title: opts.title, xLabel: opts.xLabel ?? '', yLabel: opts.yLabel ?? '', logY: !!opts.logY, width, height, data, x, y,
    series: series.map((s) => ({
      label: s.label, color: s.color, width: s.width ?? 1.8, dash: s.dashed ? [5, 4] : undefined,
      // Markers by default on short series and on sparse ones (one point per epoch among the steps);
      // not on dashed ones (reference lines).
      markers: s.markers ?? opts.markers ?? (s.points.length === 1 || (!s.dashed && (s.points.length <= 40 || xValues.length > s.points.length * 3))),
    })),
  };
}

// ---- the training log -------------------------------------------------------------------------------

/**
 * Training as the charts see it: per-step losses at x = the global step (1, 2, …) and per-epoch
 * records at the step where their epoch ended. `x` is 'epoch' when there are no step losses (then
 * each record sits at its epoch number).
 */
export interface TrainingLog {
  x: 'step' | 'epoch';
  steps: { x: number; epoch: number; loss: number }[];
  epochs: { x: number; record: EpochRecord }[];
}

/** The per-step losses of a History or a log of your own: `step` is optional (the order is used). */
export interface StepLoss {
  epoch: number;
  step?: number;
  loss: number;
}

/** What the loss, accuracy and learning-rate charts accept. */
export type TrainingData = TrainingLog | History | EpochRecord[] | { steps?: StepLoss[]; epochs: EpochRecord[] };

function isLog(d: object): d is TrainingLog {
  return 'x' in d && ((d as TrainingLog).x === 'step' || (d as TrainingLog).x === 'epoch');
}

/**
 * The training log of `data`: fit's History (its `steps` are the read-back losses in the order they
 * ran: the n-th one sits at step n, exact with fit's default readEvery 1), an EpochRecord[] (x: epoch),
 * or a TrainingLog (returned as is). An epoch without step losses (the epochs before a resume)
 * takes the mean step count of the others.
 */
export function trainingLog(data: TrainingData | undefined): TrainingLog {
  if (data === undefined || data === null) return { x: 'epoch', steps: [], epochs: [] };
  if (typeof data !== 'object') throw sgError(`vis: training data must be fit's History, an EpochRecord[] or { steps, epochs }, got ${typeof data}`);
  if (isLog(data)) return data;
  const epochs = Array.isArray(data) ? data : data.epochs;
  const steps = Array.isArray(data) ? [] : data.steps ?? [];
  if (!Array.isArray(epochs)) throw sgError('vis: training data must be fit\'s History, an EpochRecord[] or { steps, epochs }: its epochs is not an array');
  epochs.forEach((r, i) => {
    if (!r || typeof r.epoch !== 'number') throw sgError(`vis: epoch record ${i} has no epoch number (an EpochRecord from sg.train.fit expected), got ${JSON.stringify(r)}`);
  });
  if (!steps.length) return { x: 'epoch', steps: [], epochs: epochs.map((record) => ({ x: record.epoch, record })) };
  const byEpoch = new Map<number, StepLoss[]>();
  for (const s of steps) {
    if (!byEpoch.has(s.epoch)) byEpoch.set(s.epoch, []);
    byEpoch.get(s.epoch)!.push(s);
  }
  const counts = [...byEpoch.values()].map((v) => v.length);
  const mean = Math.round(counts.reduce((a, b) => a + b, 0) / counts.length);
  const log: TrainingLog = { x: 'step', steps: [], epochs: [] };
  let x = 0;
  const placed = new Set<number>();
  const place = (epoch: number) => {
    for (const s of byEpoch.get(epoch) ?? []) log.steps.push({ x: ++x, epoch, loss: s.loss });
    placed.add(epoch);
  };
  for (const record of epochs) {
    if (byEpoch.has(record.epoch)) place(record.epoch);
    else x += mean;
    log.epochs.push({ x, record });
  }
  // Steps of an epoch without its record yet (a History of a run still going).
  for (const epoch of [...byEpoch.keys()].sort((a, b) => a - b)) if (!placed.has(epoch)) place(epoch);
  return log;
}

/**
 * Builds a TrainingLog from sg.train.fit's callbacks as they come: `onReadBack` (the per-step losses
 * fit reads back, in the order they ran), `onStepEnd` ({ epoch, step }: how many steps each epoch
 * has) and `onEpochEnd`. The n-th loss read in an epoch sits at the steps of the earlier epochs plus
 * n × the epoch's steps per read (1 with fit's default readEvery; learnt from the finished epochs).
 * A StepInfo carrying a `loss` is placed at its own step, unless onReadBack delivers the losses.
 */
export class FitRecorder {
  readonly log: TrainingLog = { x: 'step', steps: [], epochs: [] };
  /** Steps seen in each epoch (onStepEnd). */
  private readonly stepsIn = new Map<number, number>();
  /** Losses read back, per epoch in run order (onReadBack). */
  private readonly reads = new Map<number, number[]>();
  /** Losses that came with a StepInfo: epoch → step → loss. */
  private readonly stepLosses = new Map<number, Map<number, number>>();
  private viaReadBack = false;

  private stepsOf(epoch: number): number {
    return this.stepsIn.get(epoch) ?? this.reads.get(epoch)?.length ?? 0;
  }

  /** The global step before `epoch` starts. */
  private offset(epoch: number): number {
    const epochs = new Set([...this.stepsIn.keys(), ...this.reads.keys()]);
    let before = 0;
    for (const e of epochs) if (e < epoch) before += this.stepsOf(e);
    return before;
  }

  /** Steps per read-back in `epoch`: from the epoch itself once finished, else from the last finished one. */
  private stride(epoch: number): number {
    const finished = (e: number) => this.log.epochs.some((r) => r.record.epoch === e) && (this.reads.get(e)?.length ?? 0) > 0 && this.stepsIn.has(e);
    const of = (e: number) => Math.max(1, this.stepsIn.get(e)! / this.reads.get(e)!.length);
    if (finished(epoch)) return of(epoch);
    const done = this.log.epochs.map((r) => r.record.epoch).filter((e) => e < epoch && finished(e));
    return done.length ? of(Math.max(...done)) : 1;
  }

  /** Recompute every step's x (offsets and strides change as epochs finish). */
  private place(): void {
    const steps: TrainingLog['steps'] = [];
    if (this.viaReadBack) {
      for (const epoch of [...this.reads.keys()].sort((a, b) => a - b)) {
        const offset = this.offset(epoch);
        const stride = this.stride(epoch);
        this.reads.get(epoch)!.forEach((loss, i) => steps.push({ x: offset + Math.round((i + 1) * stride), epoch, loss }));
      }
    } else {
      for (const epoch of [...this.stepLosses.keys()].sort((a, b) => a - b)) {
        const offset = this.offset(epoch);
        for (const [step, loss] of [...this.stepLosses.get(epoch)!].sort((a, b) => a[0] - b[0])) steps.push({ x: offset + step, epoch, loss });
      }
    }
    this.log.steps = steps;
    for (const e of this.log.epochs) e.x = this.log.x === 'epoch' ? e.record.epoch : this.offset(e.record.epoch) + this.stepsOf(e.record.epoch);
  }

  onStepEnd(s: StepInfo): void {
    if (!s || typeof s.epoch !== 'number' || typeof s.step !== 'number') {
      throw sgError(`vis: fitCallbacks' onStepEnd takes fit's StepInfo { epoch, step, loss? }, got ${JSON.stringify(s)}`);
    }
    this.stepsIn.set(s.epoch, Math.max(this.stepsIn.get(s.epoch) ?? 0, s.step));
    if (s.loss === undefined || this.viaReadBack) return;
    if (!this.stepLosses.has(s.epoch)) this.stepLosses.set(s.epoch, new Map());
    this.stepLosses.get(s.epoch)!.set(s.step, s.loss);
    this.place();
  }

  onReadBack(steps: { epoch: number; step?: number; loss: number }[]): void {
    if (!Array.isArray(steps)) throw sgError(`vis: fitCallbacks' onReadBack takes fit's read-back losses [{ epoch, step, loss }], got ${typeof steps}`);
    this.viaReadBack = true;
    for (const s of steps) {
      if (!s || typeof s.epoch !== 'number' || typeof s.loss !== 'number') throw sgError(`vis: fitCallbacks' onReadBack: each read-back loss is { epoch, step, loss }, got ${JSON.stringify(s)}`);
      if (!this.reads.has(s.epoch)) this.reads.set(s.epoch, []);
      this.reads.get(s.epoch)!.push(s.loss);
    }
    this.place();
  }

  onEpochEnd(r: EpochRecord): void {
    if (!r || typeof r.epoch !== 'number') throw sgError(`vis: fitCallbacks' onEpochEnd takes fit's EpochRecord, got ${JSON.stringify(r)}`);
    const i = this.log.epochs.findIndex((e) => e.record.epoch === r.epoch);
    if (i >= 0) this.log.epochs[i] = { x: 0, record: r };
    else this.log.epochs.push({ x: 0, record: r });
    // With no step seen at all (a caller forwarding only epochs), the epochs are the x axis.
    this.log.x = this.stepsIn.size || this.reads.size ? 'step' : 'epoch';
    this.place();
  }
}

const defined = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

/** The loss chart's series: per-step training loss, and per epoch the training mean and validation loss. */
export function lossSeries(log: TrainingLog): SeriesData[] {
  const out: SeriesData[] = [];
  if (log.steps.length) out.push({ label: 'train (per step)', color: COLORS.trainStep, width: 1.2, points: log.steps.map((s) => [s.x, s.loss]) });
  out.push({ label: log.steps.length ? 'train (epoch mean)' : 'train', color: COLORS.train, points: log.epochs.filter((e) => defined(e.record.trainLoss)).map((e) => [e.x, e.record.trainLoss]) });
  if (log.epochs.some((e) => defined(e.record.valLoss))) {
    out.push({ label: 'validation', color: COLORS.validation, points: log.epochs.filter((e) => defined(e.record.valLoss)).map((e) => [e.x, e.record.valLoss!]) });
  }
  return out;
}

/** The accuracy chart's series, per epoch: training and validation accuracy. */
export function accuracySeries(log: TrainingLog): SeriesData[] {
  const points = (k: 'trainAccuracy' | 'valAccuracy'): Point[] => log.epochs.filter((e) => defined(e.record[k])).map((e) => [e.record.epoch, e.record[k]!]);
  const out: SeriesData[] = [{ label: 'train', color: COLORS.train, points: points('trainAccuracy') }];
  if (log.epochs.some((e) => defined(e.record.valAccuracy))) out.push({ label: 'validation', color: COLORS.validation, points: points('valAccuracy') });
  return out;
}

/** The learning-rate chart's series: the rate of each epoch (EpochRecord.lr, or a per-epoch number[] as sg.optim.lrCurve returns, epoch 1 first). */
export function lrSeries(data: TrainingLog | number[]): SeriesData[] {
  if (Array.isArray(data)) {
    data.forEach((v, i) => {
      if (typeof v !== 'number') throw sgError(`vis: lrCurve's values must be numbers (one per epoch), got ${typeof v} at index ${i}`);
    });
    return [{ label: 'learning rate', color: COLORS.lr, points: data.map((v, i) => [i + 1, v]) }];
  }
  return [{ label: 'learning rate', color: COLORS.lr, points: data.epochs.filter((e) => defined(e.record.lr)).map((e) => [e.record.epoch, e.record.lr]) }];
}

/** One colour per class (ten, then repeated): the ROC and precision–recall charts' lines. */
export const CLASS_COLORS = ['#2f6fdb', '#e8710a', '#1f9d55', '#d64545', '#8f3fb5', '#8c564b', '#d6409f', '#6b7280', '#b08900', '#17a2b8'];

/** A curve's points with steps kept: the charts align series on x, so of several points at one x only
 * the first and the last stay, the last nudged right by 1e-9 (a vertical step drawn as one). */
function stepPoints(xs: ArrayLike<number>, ys: ArrayLike<number>): Point[] {
  const out: Point[] = [];
  for (let k = 0; k < xs.length; k++) {
    if (!Number.isFinite(xs[k]) || !Number.isFinite(ys[k])) continue;
    const first = k === 0 || xs[k - 1] !== xs[k];
    const last = k === xs.length - 1 || xs[k + 1] !== xs[k];
    if (first) out.push([xs[k], ys[k]]);
    else if (last) out.push([xs[k] + 1e-9, ys[k]]);
  }
  return out;
}

/** A class's one-vs-rest curves (sg.train.evaluate's `curves`, sg.metrics.rocCurve / precisionRecallCurve). */
export interface CurveData {
  class: number;
  roc: { fpr: ArrayLike<number>; tpr: ArrayLike<number> };
  pr: { precision: ArrayLike<number>; recall: ArrayLike<number> };
  rocAuc: number;
  averagePrecision: number;
}

const className = (c: CurveData, names?: string[]) => names?.[c.class] ?? `class ${c.class}`;

/** The ROC chart's series: one line per class (false positive rate → true positive rate), AUC in the label. */
export function rocSeries(curves: CurveData[], names?: string[]): SeriesData[] {
  return curves.map((c, i) => ({
    label: `${className(c, names)} (AUC ${c.rocAuc.toFixed(3)})`, color: CLASS_COLORS[i % CLASS_COLORS.length], width: 1.4,
    points: stepPoints(c.roc.fpr, c.roc.tpr),
  }));
}

/** The precision–recall chart's series: one line per class (recall → precision), average precision in the label. */
export function prSeries(curves: CurveData[], names?: string[]): SeriesData[] {
  return curves.map((c, i) => {
    // Recall increasing (the curve is stored with recall decreasing, ending at recall 0).
    const n = c.pr.recall.length;
    const xs = Array.from({ length: n }, (_, k) => c.pr.recall[n - 1 - k]);
    const ys = Array.from({ length: n }, (_, k) => c.pr.precision[n - 1 - k]);
    return { label: `${className(c, names)} (AP ${c.averagePrecision.toFixed(3)})`, color: CLASS_COLORS[i % CLASS_COLORS.length], width: 1.4, points: stepPoints(xs, ys) };
  });
}

/** The confusion matrix, checked: square, counts finite and ≥ 0, labels one per class. */
export function checkConfusion(matrix: unknown, labels?: unknown): { matrix: number[][]; labels: string[] } {
  if (!Array.isArray(matrix) || !matrix.every((r) => Array.isArray(r) || ArrayBuffer.isView(r))) {
    throw sgError(`vis: confusionMatrix takes a matrix as an array of rows (number[][]), got ${matrix === null ? 'null' : typeof matrix}`);
  }
  const n = matrix.length;
  const rows = matrix.map((r) => Array.from(r as ArrayLike<number>));
  rows.forEach((r, i) => {
    if (r.length !== n) throw sgError(`vis: confusionMatrix needs a square matrix: row ${i} has ${r.length} entries, expected ${n} (one per class)`);
    const bad = r.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0);
    if (bad >= 0) throw sgError(`vis: confusionMatrix counts must be finite numbers ≥ 0: [${i}][${bad}] is ${r[bad]}`);
  });
  if (labels !== undefined && (!Array.isArray(labels) || labels.length !== n)) {
    throw sgError(`vis: confusionMatrix labels must be one string per class (${n}), got ${Array.isArray(labels) ? `${labels.length} labels` : typeof labels}`);
  }
  return { matrix: rows, labels: labels ? (labels as unknown[]).map(String) : rows.map((_, i) => String(i)) };
}
