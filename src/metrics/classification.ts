// Classification metrics on the CPU, from predicted and true class labels (sklearn.metrics semantics).
//
// Everything derives from the confusion matrix cm[t][p] = number of samples of true class t predicted
// as p (rows: true class, columns: predicted class, as sklearn's confusion_matrix). For class c:
//   tp = cm[c][c],  predicted = Σ_t cm[t][c] (column),  support = Σ_p cm[c][p] (row)
//   precision_c = tp / predicted,  recall_c = tp / support,  f1_c = 2·tp / (predicted + support)
// and a 0/0 is 0 (sklearn's zero_division default). Averages, as sklearn:
//   'macro'    unweighted mean over the classes that occur (in the targets or the predictions)
//   'weighted' mean weighted by support
//   'micro'    from the summed counts (for single-label problems: precision = recall = f1 = accuracy)
//   'none'     the per-class values, one per class 0 … k−1 (0 for classes that never occur)

import { checkOptions, keysOf, type Opts } from '../util/options.js';
import { failIn, type Fail } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const AVERAGE_KEYS = keysOf<AverageOptions>({ average: 1 });
export const CLASSIFICATION_REPORT_KEYS = keysOf<Opts<typeof classificationReport, 1>>({ names: 1, digits: 1 });

export type Average = 'macro' | 'micro' | 'weighted' | 'none';
export type ConfusionMatrix = number[][];

const fail: Fail = failIn('metrics');

function checkLabels(fn: string, name: string, a: ArrayLike<number>, k: number): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!Number.isInteger(v) || v < 0 || v >= k) fail(fn, `${name}[${i}] = ${v} is not a class label in [0, ${k})`);
  }
}

/** cm[t][p]: how many samples of true class t were predicted as p. */
export function confusionMatrix(pred: ArrayLike<number>, target: ArrayLike<number>, numClasses: number): ConfusionMatrix {
  const fn = 'confusionMatrix';
  if (!Number.isInteger(numClasses) || numClasses < 1) fail(fn, `numClasses must be a positive integer, got ${numClasses}`);
  if (pred.length !== target.length) fail(fn, `pred has ${pred.length} labels but target has ${target.length}`);
  checkLabels(fn, 'pred', pred, numClasses);
  checkLabels(fn, 'target', target, numClasses);
  const cm = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < pred.length; i++) cm[target[i]][pred[i]]++;
  return cm;
}

function checkMatrix(fn: string, cm: ConfusionMatrix): void {
  if (!Array.isArray(cm) || cm.length === 0) fail(fn, 'expected a non-empty square confusion matrix (number[][])');
  cm.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== cm.length) fail(fn, `confusion matrix row ${i} has ${Array.isArray(row) ? row.length : 'no'} entries; expected ${cm.length} (square)`);
    row.forEach((v, j) => {
      if (!(v >= 0) || !Number.isFinite(v)) fail(fn, `confusion matrix entry [${i}][${j}] = ${v} is not a count ≥ 0`);
    });
  });
}

/** Fraction of correct predictions: accuracy(cm) or accuracy(pred, target). 0 for no samples. */
export function accuracy(cm: ConfusionMatrix): number;
export function accuracy(pred: ArrayLike<number>, target: ArrayLike<number>): number;
export function accuracy(a: ConfusionMatrix | ArrayLike<number>, target?: ArrayLike<number>): number {
  if (target === undefined) {
    const cm = a as ConfusionMatrix;
    checkMatrix('accuracy', cm);
    let diag = 0;
    let total = 0;
    cm.forEach((row, i) => row.forEach((v, j) => {
      total += v;
      if (i === j) diag += v;
    }));
    return total ? diag / total : 0;
  }
  const pred = a as ArrayLike<number>;
  if (pred.length !== target.length) fail('accuracy', `pred has ${pred.length} labels but target has ${target.length}`);
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === target[i]) correct++;
  return pred.length ? correct / pred.length : 0;
}

interface Counts {
  tp: number[];
  predicted: number[];
  support: number[];
}

function counts(cm: ConfusionMatrix): Counts {
  const k = cm.length;
  const tp = cm.map((row, c) => row[c]);
  const support = cm.map((row) => row.reduce((a, b) => a + b, 0));
  const predicted = Array.from({ length: k }, (_, c) => cm.reduce((s, row) => s + row[c], 0));
  return { tp, predicted, support };
}

const safeDiv = (a: number, b: number) => (b === 0 ? 0 : a / b);

type Kind = 'precision' | 'recall' | 'f1';

function score(kind: Kind, tp: number, predicted: number, support: number): number {
  if (kind === 'precision') return safeDiv(tp, predicted);
  if (kind === 'recall') return safeDiv(tp, support);
  return safeDiv(2 * tp, predicted + support);
}

function metric(kind: Kind, cm: ConfusionMatrix, average: Average): number | number[] {
  checkMatrix(kind, cm);
  const { tp, predicted, support } = counts(cm);
  const k = cm.length;
  const per = Array.from({ length: k }, (_, c) => score(kind, tp[c], predicted[c], support[c]));
  switch (average) {
    case 'none':
      return per;
    case 'micro': {
      const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
      return score(kind, sum(tp), sum(predicted), sum(support));
    }
    case 'macro': {
      let s = 0;
      let present = 0;
      for (let c = 0; c < k; c++) {
        if (support[c] > 0 || predicted[c] > 0) {
          s += per[c];
          present++;
        }
      }
      return safeDiv(s, present);
    }
    case 'weighted': {
      let s = 0;
      let total = 0;
      for (let c = 0; c < k; c++) {
        s += per[c] * support[c];
        total += support[c];
      }
      return safeDiv(s, total);
    }
    default:
      return fail(kind, `average must be 'macro', 'micro', 'weighted' or 'none', got '${String(average)}'`);
  }
}

export interface AverageOptions<A extends Average = Average> {
  /** Default 'macro'. */
  average?: A;
}

/** Precision tp / (tp + fp): per class ('none') or averaged (default 'macro'). */
export function precision(cm: ConfusionMatrix, opts: AverageOptions<'none'> & { average: 'none' }): number[];
export function precision(cm: ConfusionMatrix, opts?: AverageOptions<'macro' | 'micro' | 'weighted'>): number;
export function precision(cm: ConfusionMatrix, opts?: AverageOptions): number | number[];
export function precision(cm: ConfusionMatrix, opts: AverageOptions = {}): number | number[] {
  checkOptions('metrics.precision', opts, AVERAGE_KEYS);
  return metric('precision', cm, opts.average ?? 'macro');
}

/** Recall tp / (tp + fn): per class ('none') or averaged (default 'macro'). */
export function recall(cm: ConfusionMatrix, opts: AverageOptions<'none'> & { average: 'none' }): number[];
export function recall(cm: ConfusionMatrix, opts?: AverageOptions<'macro' | 'micro' | 'weighted'>): number;
export function recall(cm: ConfusionMatrix, opts?: AverageOptions): number | number[];
export function recall(cm: ConfusionMatrix, opts: AverageOptions = {}): number | number[] {
  checkOptions('metrics.recall', opts, AVERAGE_KEYS);
  return metric('recall', cm, opts.average ?? 'macro');
}

/** F1 = 2·tp / (2·tp + fp + fn) per class, then averaged (default 'macro': the mean of per-class F1). */
export function f1(cm: ConfusionMatrix, opts: AverageOptions<'none'> & { average: 'none' }): number[];
export function f1(cm: ConfusionMatrix, opts?: AverageOptions<'macro' | 'micro' | 'weighted'>): number;
export function f1(cm: ConfusionMatrix, opts?: AverageOptions): number | number[];
export function f1(cm: ConfusionMatrix, opts: AverageOptions = {}): number | number[] {
  checkOptions('metrics.f1', opts, AVERAGE_KEYS);
  return metric('f1', cm, opts.average ?? 'macro');
}

/**
 * A text table like sklearn's classification_report: precision, recall, f1-score and support per class,
 * then accuracy, macro avg and weighted avg.
 */
export function classificationReport(cm: ConfusionMatrix, opts: { names?: string[]; digits?: number } = {}): string {
  checkOptions('metrics.classificationReport', opts, CLASSIFICATION_REPORT_KEYS);
  checkMatrix('classificationReport', cm);
  const k = cm.length;
  const digits = opts.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 0 || digits > 10) fail('classificationReport', `digits must be an integer in [0, 10], got ${digits}`);
  const names = opts.names ?? Array.from({ length: k }, (_, c) => String(c));
  if (names.length !== k) fail('classificationReport', `${names.length} names for ${k} classes`);
  const p = precision(cm, { average: 'none' });
  const r = recall(cm, { average: 'none' });
  const f = f1(cm, { average: 'none' });
  const { support } = counts(cm);
  const total = support.reduce((a, b) => a + b, 0);
  const width = Math.max(...names.map((n) => n.length), 'weighted avg'.length, digits);
  const cell = (s: string) => ' ' + s.padStart(9);
  const num = (v: number) => cell(v.toFixed(digits));
  const label = (s: string) => s.padStart(width) + ' ';
  const lines: string[] = [];
  lines.push(label('') + ['precision', 'recall', 'f1-score', 'support'].map(cell).join(''));
  lines.push('');
  for (let c = 0; c < k; c++) lines.push(label(names[c]) + num(p[c]) + num(r[c]) + num(f[c]) + cell(String(support[c])));
  lines.push('');
  lines.push(label('accuracy') + cell('') + cell('') + num(accuracy(cm)) + cell(String(total)));
  for (const avg of ['macro', 'weighted'] as const) {
    lines.push(label(`${avg} avg`) + num(precision(cm, { average: avg })) + num(recall(cm, { average: avg })) + num(f1(cm, { average: avg })) + cell(String(total)));
  }
  return lines.join('\n') + '\n';
}
