// Classification and regression metrics against values worked out by hand (and sklearn's documented
// examples). CPU only.
import { describe, expect, it } from 'vitest';
import { accuracy, classificationReport, confusionMatrix, f1, precision, recall } from '../../src/metrics/classification.js';
import { mae, mse, r2, rmse } from '../../src/metrics/regression.js';

const closeAll = (got: number[], want: number[]) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g, `entry ${i}`).toBeCloseTo(want[i], 10));
};

describe('classification', () => {
  // y_true = [0,0,0,1,1,2], y_pred = [0,1,0,1,2,2]
  const target = [0, 0, 0, 1, 1, 2];
  const pred = Int32Array.from([0, 1, 0, 1, 2, 2]);
  const cm = confusionMatrix(pred, target, 3);

  it('confusion matrix: rows are true classes, columns predictions', () => {
    expect(cm).toEqual([[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
    expect(confusionMatrix([], [], 2)).toEqual([[0, 0], [0, 0]]);
  });

  it('accuracy from labels or from the matrix', () => {
    expect(accuracy(pred, target)).toBeCloseTo(4 / 6, 12);
    expect(accuracy(cm)).toBeCloseTo(4 / 6, 12);
    expect(accuracy([], [])).toBe(0);
  });

  it('per-class and averaged precision / recall / F1 (sklearn)', () => {
    // tp [2,1,1], predicted [2,2,2], support [3,2,1]
    closeAll(precision(cm, { average: 'none' }), [1, 0.5, 0.5]);
    closeAll(recall(cm, { average: 'none' }), [2 / 3, 0.5, 1]);
    closeAll(f1(cm, { average: 'none' }), [0.8, 0.5, 2 / 3]);
    expect(precision(cm)).toBeCloseTo(2 / 3, 10); // macro by default
    expect(recall(cm, { average: 'macro' })).toBeCloseTo((2 / 3 + 0.5 + 1) / 3, 10); // 0.7222
    expect(f1(cm, { average: 'macro' })).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 10); // 0.6556 (mean of per-class F1)
    expect(precision(cm, { average: 'weighted' })).toBeCloseTo(0.75, 10);
    expect(recall(cm, { average: 'weighted' })).toBeCloseTo(4 / 6, 10);
    expect(f1(cm, { average: 'weighted' })).toBeCloseTo((0.8 * 3 + 0.5 * 2 + 2 / 3) / 6, 10); // 0.6778
    for (const m of [precision, recall, f1]) expect(m(cm, { average: 'micro' })).toBeCloseTo(4 / 6, 10);
  });

  it('zero division gives 0, and classes that never occur are left out of the macro average', () => {
    // 4 classes; class 1 is never predicted; classes 2 and 3 occur nowhere.
    const z = confusionMatrix([0, 0, 0, 0], [0, 0, 1, 1], 4);
    closeAll(precision(z, { average: 'none' }), [0.5, 0, 0, 0]);
    closeAll(recall(z, { average: 'none' }), [1, 0, 0, 0]);
    expect(precision(z)).toBeCloseTo(0.25, 12);
    expect(recall(z)).toBeCloseTo(0.5, 12);
    expect(f1(z)).toBeCloseTo(1 / 3, 12); // (2/3 + 0) / 2
    expect(f1(z, { average: 'weighted' })).toBeCloseTo(1 / 3, 12);
    const empty = confusionMatrix([], [], 3);
    expect([precision(empty), recall(empty, { average: 'weighted' }), f1(empty, { average: 'micro' }), accuracy(empty)]).toEqual([0, 0, 0, 0]);
  });

  it('classificationReport matches sklearn\'s layout', () => {
    const want = [
      '              precision    recall  f1-score   support',
      '',
      '           0       1.00      0.67      0.80         3',
      '           1       0.50      0.50      0.50         2',
      '           2       0.50      1.00      0.67         1',
      '',
      '    accuracy                           0.67         6',
      '   macro avg       0.67      0.72      0.66         6',
      'weighted avg       0.75      0.67      0.68         6',
      '',
    ].join('\n');
    expect(classificationReport(cm)).toBe(want);
    const named = classificationReport(cm, { names: ['cat', 'dog', 'bird'], digits: 3 });
    expect(named).toContain('         cat      1.000     0.667     0.800         3');
  });

  it('rejects bad input with clear errors', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(/metrics\.confusionMatrix: pred has 2 labels but target has 1/);
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/pred\[1\] = 3 is not a class label in \[0, 3\)/);
    expect(() => confusionMatrix([0, 1], [0, -1], 3)).toThrow(/target\[1\] = -1/);
    expect(() => confusionMatrix([0.5], [0], 2)).toThrow(/pred\[0\] = 0.5/);
    expect(() => precision([[1, 2], [3]])).toThrow(/row 1 has 1 entries; expected 2/);
    expect(() => f1(cm, { average: 'samples' as never })).toThrow(/average must be/);
    expect(() => classificationReport(cm, { names: ['a'] })).toThrow(/1 names for 3 classes/);
  });
});

describe('regression', () => {
  // sklearn docs: y_true = [3, -0.5, 2, 7], y_pred = [2.5, 0.0, 2, 8]
  const target = [3, -0.5, 2, 7];
  const pred = Float32Array.from([2.5, 0.0, 2, 8]);

  it('mse, mae, rmse, r2 on one output', () => {
    expect(mse(pred, target)).toBeCloseTo(0.375, 12);
    expect(mae(pred, target)).toBeCloseTo(0.5, 12);
    expect(rmse(pred, target)).toBeCloseTo(Math.sqrt(0.375), 12);
    expect(r2(pred, target)).toBeCloseTo(0.9486081370449679, 12);
  });

  it('several outputs are averaged uniformly (sklearn uniform_average)', () => {
    // y_true = [[0.5, 1], [-1, 1], [7, -6]], y_pred = [[0, 2], [-1, 2], [8, -5]]
    const t = [0.5, 1, -1, 1, 7, -6];
    const p = [0, 2, -1, 2, 8, -5];
    expect(mse(p, t, { outputs: 2 })).toBeCloseTo(0.7083333333, 9);
    expect(mae(p, t, { outputs: 2 })).toBeCloseTo(0.75, 12);
    expect(rmse(p, t, { outputs: 2 })).toBeCloseTo((Math.sqrt(1.25 / 3) + 1) / 2, 12); // 0.8227
    const r2a = 1 - 1.25 / (36 + 1 / 6);
    const r2b = 1 - 3 / (32 + 2 / 3);
    expect(r2(p, t, { outputs: 2 })).toBeCloseTo((r2a + r2b) / 2, 12); // 0.9368
  });

  it('r2 of a constant target: 1 when exact, else 0', () => {
    expect(r2([2, 2], [2, 2])).toBe(1);
    expect(r2([2, 3], [2, 2])).toBe(0);
    expect(r2([1, 2, 3], [1, 2, 3])).toBe(1);
  });

  it('rejects bad input', () => {
    expect(() => mse([1, 2], [1])).toThrow(/metrics\.mse: pred has 2 values but target has 1/);
    expect(() => mae([], [])).toThrow(/no samples/);
    expect(() => r2([1, NaN], [1, 2])).toThrow(/pred\[1\] = NaN is not finite/);
    expect(() => rmse([1, 2, 3], [1, 2, 3], { outputs: 2 })).toThrow(/do not divide into samples of 2 outputs/);
  });
});
