// shadergrad/vis's pure parts (issue #16 item 4), in Node: round ticks and short labels, the training
// log built from fit's callbacks and from its History, chart specs (aligned data, markers), the
// self-contained uPlot option builder that report.html inlines, and the confusion matrix checks.
// The charts drawn in a page are checked in Chromium (demos/test/vis.mjs).
import { describe, expect, it } from 'vitest';
import { axis, niceStep, tickLabels, formatValue } from '../../src/vis/ticks.js';
import { FitRecorder, accuracySeries, checkConfusion, lossSeries, lrSeries, plotSpec, trainingLog } from '../../src/vis/series.js';
import { uplotOptions } from '../../src/vis/uplot-options.js';
import type { EpochRecord, History } from '../../src/train/fit.js';

const rec = (epoch: number, o: Partial<EpochRecord> = {}): EpochRecord => ({ epoch, trainLoss: 1 / epoch, lr: 1e-3, seconds: 1, samplesPerSecond: 100, ...o });
const isRound = (v: number, step: number) => Math.abs(v / step - Math.round(v / step)) < 1e-9;

describe('ticks', () => {
  it('steps are 1, 2 or 5 × 10^k and cover the span in at most maxTicks intervals', () => {
    for (const [span, max, want] of [[2.25, 5, 0.5], [1, 5, 0.2], [0.00051, 5, 2e-4], [0.00049, 5, 1e-4], [37, 6, 10], [7, 10, 1], [1e6, 4, 5e5]] as const) {
      expect(niceStep(span, max)).toBeCloseTo(want, 12);
    }
    expect(niceStep(3, 10, 1)).toBe(1); // integer axes never go below 1
  });

  it('a loss axis: round ends around the data, labels with the step\'s decimals', () => {
    const a = axis(0.0537, 2.31, { maxTicks: 5, zero: true });
    expect([a.min, a.max]).toEqual([0, 2.5]);
    expect(a.ticks).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(a.labels).toEqual(['0', '0.5', '1.0', '1.5', '2.0', '2.5']);
    const b = axis(0.31, 0.47, { maxTicks: 6 });
    expect(b.ticks.every((t) => isRound(t, 0.05))).toBe(true);
    expect(b.min).toBeLessThanOrEqual(0.31);
    expect(b.max).toBeGreaterThanOrEqual(0.47);
    expect(b.labels).toEqual(b.ticks.map((t) => t.toFixed(2)));
  });

  it('learning rates: 5e-4, not .000509 — a constant rate and a decaying one', () => {
    const constant = axis(5.09e-4, 5.09e-4, { maxTicks: 6, zero: true });
    expect(constant.labels).toContain('5e-4');
    expect(constant.labels.every((l) => /^(0|\d(\.\d+)?e-\d+)$/.test(l))).toBe(true);
    expect(constant.ticks[0]).toBe(0);
    expect(constant.max).toBeGreaterThanOrEqual(5.09e-4);
    const cosine = axis(1.2e-5, 1e-3, { maxTicks: 6, zero: true });
    expect(cosine.labels).toEqual(['0', '2e-4', '4e-4', '6e-4', '8e-4', '1e-3']);
    expect(tickLabels([0.001, 0.0015, 0.002], 5e-4)).toEqual(['1e-3', '1.5e-3', '2e-3']);
    expect(tickLabels([0, 50000, 100000, 150000], 50000)).toEqual(['0', '5e4', '1e5', '1.5e5']);
  });

  it('steps and epochs: whole-number ticks', () => {
    const steps = axis(1, 937, { maxTicks: 8, integer: true, zero: true });
    expect(steps.ticks).toEqual([0, 200, 400, 600, 800, 1000]);
    const epochs = axis(1, 3, { maxTicks: 8, integer: true });
    expect(epochs.ticks).toEqual([1, 2, 3]);
    expect(epochs.labels).toEqual(['1', '2', '3']);
  });

  it('a log axis has ticks at powers of ten', () => {
    const a = axis(3e-5, 2e-2, { log: true, maxTicks: 6 });
    expect(a.ticks).toEqual([1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
    expect(a.labels).toEqual(['1e-5', '1e-4', '1e-3', '1e-2', '1e-1']);
    expect([a.min, a.max]).toEqual([1e-5, 1e-1]);
  });

  it('legend values: 4 significant digits', () => {
    expect(formatValue(0.123456)).toBe('0.1235');
    expect(formatValue(5.09e-4)).toBe('5.09e-4');
    expect(formatValue(undefined)).toBe('–');
  });
});

describe('the training log', () => {
  it('from fit\'s callbacks: read-back losses at their global step, epochs where they ended', () => {
    const r = new FitRecorder();
    for (let epoch = 1; epoch <= 2; epoch++) {
      for (let step = 1; step <= 3; step++) r.onStepEnd({ epoch, step });
      // fit delivers the losses in batches (every 32 read steps and at the end of the epoch)
      r.onReadBack([{ epoch, step: 1, loss: 10 * epoch + 1 }, { epoch, step: 2, loss: 10 * epoch + 2 }]);
      r.onReadBack([{ epoch, step: 3, loss: 10 * epoch + 3 }]);
      r.onEpochEnd(rec(epoch, { valLoss: 0.5 / epoch, trainAccuracy: 0.5 + 0.1 * epoch, valAccuracy: 0.4 + 0.1 * epoch }));
    }
    expect(r.log.x).toBe('step');
    expect(r.log.steps.map((s) => [s.x, s.loss])).toEqual([[1, 11], [2, 12], [3, 13], [4, 21], [5, 22], [6, 23]]);
    expect(r.log.epochs.map((e) => e.x)).toEqual([3, 6]);
    const loss = lossSeries(r.log);
    expect(loss.map((s) => s.label)).toEqual(['train (per step)', 'train (epoch mean)', 'validation']);
    expect(loss[2].points).toEqual([[3, 0.5], [6, 0.25]]);
    expect(accuracySeries(r.log).map((s) => s.points)).toEqual([[[1, 0.6], [2, 0.7]], [[1, 0.5], [2, 0.6000000000000001]]]);
    expect(lrSeries(r.log)[0].points).toEqual([[1, 1e-3], [2, 1e-3]]);
    expect(() => r.onStepEnd({ step: 1 } as never)).toThrow(/onStepEnd takes fit's StepInfo \{ epoch, step, loss\? \}/);
    expect(() => r.onReadBack([{ epoch: 1 }] as never)).toThrow(/each read-back loss is \{ epoch, step, loss \}/);
  });

  it('readEvery > 1: the steps per read are learnt from the first finished epoch', () => {
    const r = new FitRecorder();
    for (let epoch = 1; epoch <= 2; epoch++) {
      for (let step = 1; step <= 8; step++) r.onStepEnd({ epoch, step });
      r.onReadBack([1, 2, 3, 4].map((i) => ({ epoch, step: 2 * i, loss: i })));
      if (epoch === 1) expect(r.log.steps.map((s) => s.x)).toEqual([1, 2, 3, 4]); // not known yet
      r.onEpochEnd(rec(epoch));
    }
    expect(r.log.steps.map((s) => s.x)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    expect(r.log.epochs.map((e) => e.x)).toEqual([8, 16]);
  });

  it('a StepInfo with its loss is placed at its step (when no onReadBack comes)', () => {
    const r = new FitRecorder();
    for (let step = 1; step <= 4; step++) r.onStepEnd({ epoch: 1, step, loss: step === 3 ? undefined : step });
    r.onEpochEnd(rec(1));
    r.onStepEnd({ epoch: 2, step: 1, loss: 9 });
    expect(r.log.steps.map((s) => [s.x, s.loss])).toEqual([[1, 1], [2, 2], [4, 4], [5, 9]]);
  });

  it('epochs alone: the x axis is the epoch', () => {
    const r = new FitRecorder();
    r.onEpochEnd(rec(1));
    r.onEpochEnd(rec(2));
    expect(r.log.x).toBe('epoch');
    expect(r.log.epochs.map((e) => e.x)).toEqual([1, 2]);
    expect(trainingLog([rec(1), rec(2)]).epochs.map((e) => e.x)).toEqual([1, 2]);
  });

  it('from a History: the n-th read loss at step n; epochs before a resume take the mean step count', () => {
    const history: History = {
      epochs: [rec(1), rec(2), rec(3)], stoppedEarly: false, stopReason: 'completed', bestEpoch: 3, warnings: [],
      steps: [{ epoch: 2, step: 9, loss: 2 }, { epoch: 2, step: 10, loss: 1.9 }, { epoch: 3, step: 1, loss: 1.5 }, { epoch: 3, step: 11, loss: 1.4 }],
    };
    const log = trainingLog(history);
    expect(log.x).toBe('step');
    expect(log.steps.map((s) => s.x)).toEqual([3, 4, 5, 6]);
    expect(log.epochs.map((e) => e.x)).toEqual([2, 4, 6]);
    expect(() => trainingLog([{ loss: 1 }] as never)).toThrow(/epoch record 0 has no epoch number/);
  });
});

describe('chart specs', () => {
  it('aligns series on the union of their x, marks sparse series, and picks ticks for the size', () => {
    const r = new FitRecorder();
    for (let s = 1; s <= 100; s++) r.onStepEnd({ epoch: 1 + Math.floor((s - 1) / 50), step: 1 + ((s - 1) % 50), loss: 2 / s });
    r.onEpochEnd(rec(1, { trainLoss: 0.3, valLoss: 0.35 }));
    r.onEpochEnd(rec(2, { trainLoss: 0.03, valLoss: 0.2 }));
    const spec = plotSpec(lossSeries(r.log), { xLabel: 'step', yLabel: 'loss', zero: true, integerX: true }, { width: 460, height: 240 });
    expect(spec.data).toHaveLength(4);
    expect(spec.data[0]).toHaveLength(100);
    expect(spec.data[3].filter((v) => v !== null)).toEqual([0.35, 0.2]);
    expect(spec.data[3][49]).toBe(0.35);
    expect(spec.series.map((s) => s.markers)).toEqual([false, true, true]);
    expect(spec.x.ticks).toEqual([0, 20, 40, 60, 80, 100]);
    expect(spec.y.min).toBe(0);
    expect(spec.y.max).toBe(2);
    expect(spec.y.ticks.length).toBeLessThanOrEqual(Math.floor((240 - 40) / 34) + 1);
    // A dashed reference line gets no markers unless asked.
    const ref = plotSpec([{ label: 'chance', color: '#999', dashed: true, points: [[0, 1], [10, 1]] }, { label: 'm', color: '#000', dashed: true, markers: true, points: [[5, 2]] }], {}, { width: 300, height: 200 });
    expect(ref.series.map((s) => [s.markers, s.dash])).toEqual([[false, [5, 4]], [true, [5, 4]]]);
    // NaN losses are gaps, not points.
    const nan = plotSpec([{ label: 'a', color: '#000', points: [[1, 1], [2, NaN], [3, 2]] }], {}, { width: 300, height: 200 });
    expect(nan.data).toEqual([[1, 3], [1, 2]]);
    // Fixed x ends (ROC and PR charts: rates and recall run 0 to 1 whatever the data covers).
    const pts: [number, number][] = [[0.1, 1], [0.5, 0.5]];
    const auto = plotSpec([{ label: 'a', color: '#000', points: pts }], {}, { width: 300, height: 200 });
    const fixed = plotSpec([{ label: 'a', color: '#000', points: pts }], { xMin: 0, xMax: 1 }, { width: 300, height: 200 });
    expect(auto.x.max).toBeLessThan(1);
    expect([fixed.x.min, fixed.x.max]).toEqual([0, 1]);
    expect(fixed.x.ticks[fixed.x.ticks.length - 1]).toBe(1);
  });

  it('uplotOptions is self-contained (report.html inlines its source) and draws the spec\'s ticks and labels', () => {
    const spec = plotSpec(lrSeries([1e-3, 5e-4, 2.5e-4]), { yLabel: 'learning rate', xLabel: 'epoch', zero: true, integerX: true }, { width: 400, height: 200 });
    const standalone = new Function(`const __name = (f) => f; return (${uplotOptions.toString()});`)() as typeof uplotOptions;
    const saved = (globalThis as { document?: unknown }).document;
    (globalThis as { document?: unknown }).document = { createElement: () => ({ getContext: () => ({ font: '', measureText: (t: string) => ({ width: 6 * t.length }) }) }) };
    try {
      const o = standalone({ spec });
      const [xAxis, yAxis] = o.axes!;
      expect((xAxis.splits as () => number[])()).toEqual([1, 2, 3]);
      expect((yAxis.values as () => string[])()).toEqual(spec.y.labels);
      expect(spec.y.labels).toContain('1e-3');
      // The y axis is as wide as its widest label plus the tick and the gap: no clipped labels.
      expect((yAxis.size as () => number)()).toBe(Math.ceil(12 + 6 * Math.max(...spec.y.labels.map((l) => l.length))));
      expect(o.series.map((s) => s.label)).toEqual(['epoch', 'learning rate']);
      expect((o.scales!.y.range as unknown as () => number[])()).toEqual([spec.y.min, spec.y.max]);
    } finally {
      (globalThis as { document?: unknown }).document = saved;
    }
  });

  it('confusion matrices are checked: square, counts ≥ 0, one label per class', () => {
    expect(checkConfusion([[1, 2], [3, 4]], ['a', 'b'])).toEqual({ matrix: [[1, 2], [3, 4]], labels: ['a', 'b'] });
    expect(checkConfusion([new Int32Array([5])]).labels).toEqual(['0']);
    expect(() => checkConfusion([[1, 2], [3]])).toThrow(/square matrix: row 1 has 1 entries, expected 2/);
    expect(() => checkConfusion([[1, -2], [3, 4]])).toThrow(/\[0\]\[1\] is -2/);
    expect(() => checkConfusion([[1]], ['a', 'b'])).toThrow(/one string per class \(1\), got 2 labels/);
    expect(() => checkConfusion('x')).toThrow(/array of rows/);
  });
});
