// ROC and precision–recall curves (metrics.rocCurve, rocAuc, precisionRecallCurve, averagePrecision)
// against scikit-learn (fixtures/curves/make.py → sklearn.json): every point of each curve, the AUCs and
// average precision, binary and one-vs-rest, ties, single-class labels; then the input forms (Tensors,
// rows, flat) and the refusals.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

interface Binary {
  name: string; kind: 'binary'; scores: number[]; labels: number[];
  fpr: Num[]; tpr: Num[]; thresholds: Num[]; precision: Num[]; recall: Num[]; prThresholds: Num[]; ap: number; auc?: number;
}
interface Multi {
  name: string; kind: 'multi'; scores: number[][]; labels: number[];
  aucMacro: number; aucWeighted: number; apMacro: number; apWeighted: number;
}
type Num = number | 'inf' | null;
const fixture = JSON.parse(readFileSync(new URL('../fixtures/curves/sklearn.json', import.meta.url), 'utf8')) as { sklearn: string; cases: (Binary | Multi)[] };
const num = (v: Num) => (v === 'inf' ? Infinity : v === null ? NaN : v);

function close(got: ArrayLike<number>, want: Num[], what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = num(want[i]);
    if (Number.isNaN(w)) expect(got[i], `${what}[${i}]`).toBeNaN();
    else if (!Number.isFinite(w)) expect(got[i], `${what}[${i}]`).toBe(w);
    else expect(Math.abs(got[i] - w), `${what}[${i}]: ${got[i]} vs ${w}`).toBeLessThan(1e-12);
  }
}

describe(`against scikit-learn ${fixture.sklearn}`, () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      if (c.kind === 'binary') {
        const roc = sg.metrics.rocCurve(c.scores, c.labels) as sg.metrics.RocCurve;
        close(roc.fpr, c.fpr, 'fpr');
        close(roc.tpr, c.tpr, 'tpr');
        close(roc.thresholds, c.thresholds, 'thresholds');
        const pr = sg.metrics.precisionRecallCurve(c.scores, c.labels) as sg.metrics.PrecisionRecallCurve;
        close(pr.precision, c.precision, 'precision');
        close(pr.recall, c.recall, 'recall');
        close(pr.thresholds, c.prThresholds, 'PR thresholds');
        expect(sg.metrics.averagePrecision(c.scores, c.labels) as number).toBeCloseTo(c.ap, 12);
        if (c.auc !== undefined) expect(sg.metrics.rocAuc(c.scores, c.labels) as number).toBeCloseTo(c.auc, 12);
        else expect(() => sg.metrics.rocAuc(c.scores, c.labels)).toThrow(/only one class present in labels .*ROC AUC is not defined/);
      } else {
        expect(sg.metrics.rocAuc(c.scores, c.labels) as number).toBeCloseTo(c.aucMacro, 12);
        expect(sg.metrics.rocAuc(c.scores, c.labels, { average: 'weighted' }) as number).toBeCloseTo(c.aucWeighted, 12);
        expect(sg.metrics.averagePrecision(c.scores, c.labels) as number).toBeCloseTo(c.apMacro, 12);
        expect(sg.metrics.averagePrecision(c.scores, c.labels, { average: 'weighted' }) as number).toBeCloseTo(c.apWeighted, 12);
      }
    });
  }
  it('covers ties, single-class labels and one-vs-rest', () => {
    const names = fixture.cases.map((c) => c.name).join('\n');
    expect(names).toMatch(/tied/);
    expect(names).toMatch(/no positive label/);
    expect(fixture.cases.filter((c) => c.kind === 'multi').length).toBeGreaterThanOrEqual(3);
  });
});

describe('input forms', () => {
  beforeAll(async () => {
    await sg.init({ quiet: true });
  });
  afterAll(() => sg.dispose());
  const multi = fixture.cases.find((c): c is Multi => c.kind === 'multi')!;
  const bin = fixture.cases.find((c): c is Binary => c.name === 'noisy scores n=17')!;

  it('Tensors (scores f32 [N] / [N, C], labels i32) give a Promise of the same values, within f32 rounding of the scores', async () => {
    const s = sg.tensor(bin.scores, [bin.scores.length]);
    const y = sg.tensor(new Int32Array(bin.labels), [bin.labels.length], { dtype: 'i32' });
    const f32 = Array.from(Float32Array.from(bin.scores));
    expect(await sg.metrics.rocAuc(s, y)).toBeCloseTo(sg.metrics.rocAuc(f32, bin.labels) as number, 12);
    const roc = await sg.metrics.rocCurve(s, y);
    expect(Array.from(roc.tpr)).toEqual(Array.from((sg.metrics.rocCurve(f32, bin.labels) as sg.metrics.RocCurve).tpr));
    const P = sg.tensor(multi.scores.flat(), [multi.scores.length, multi.scores[0].length]);
    const Y = sg.tensor(new Int32Array(multi.labels), [multi.labels.length], { dtype: 'i32' });
    expect(await sg.metrics.averagePrecision(P, Y, { average: 'weighted' })).toBeCloseTo(multi.apWeighted, 6);
    expect(await sg.metrics.rocAuc(P, Y)).toBeCloseTo(multi.aucMacro, 6);
    for (const t of [s, y, P, Y]) t.dispose();
  });

  it('rows, flat { values, shape } and typed arrays agree', () => {
    const flat = { values: Float64Array.from(multi.scores.flat()), shape: [multi.scores.length, multi.scores[0].length] as const };
    expect(sg.metrics.rocAuc(flat, Int32Array.from(multi.labels))).toBe(sg.metrics.rocAuc(multi.scores, multi.labels));
    expect(sg.metrics.averagePrecision(Float64Array.from(bin.scores), bin.labels)).toBe(sg.metrics.averagePrecision(bin.scores, bin.labels));
  });

  it('refuses bad input, naming it', () => {
    expect(() => sg.metrics.rocCurve([0.1, 0.2], [0, 1, 1])).toThrow(/labels has 3 values but scores has 2 samples/);
    expect(() => sg.metrics.rocCurve([0.1, 0.2], [0, 2])).toThrow(/labels\[1\] is 2; expected 0 or 1 \(binary scores \[N\]\)/);
    expect(() => sg.metrics.rocCurve([0.1, NaN], [0, 1])).toThrow(/scores contain NaN \(at flat index 1\)/);
    expect(() => sg.metrics.rocCurve([[0.5, 0.5]], [1])).toThrow(/scores \[1, 2\] are per class: rocCurve takes binary scores \[N\]/);
    expect(() => sg.metrics.rocAuc([[0.2, 0.3, 0.1], [0.6, 0.2, 0.2]], [0, 1])).toThrow(/must be probabilities .*row 0 sums to 0\.6.*softmax/);
    expect(() => sg.metrics.rocAuc([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]], [0, 2])).toThrow(/class 1 does not occur in labels/);
    expect(() => sg.metrics.rocAuc([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]], [0, 3])).toThrow(/labels\[1\] is 3; expected a class index in \[0, 3\)/);
    expect(() => sg.metrics.averagePrecision(multi.scores, multi.labels, { average: 'micro' as never })).toThrow(/average must be 'macro' or 'weighted', got "micro"/);
    expect(() => sg.metrics.rocAuc([0.1, 0.9], [0, 1], { averag: 'macro' } as never)).toThrow(/unknown option 'averag'/);
  });
});
