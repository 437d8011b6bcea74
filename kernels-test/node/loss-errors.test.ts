// Bad input to the losses and metrics: labels out of range (caught on the host when the values are
// known, never read out of bounds on the GPU when they are not), shape mismatches, wrong dtypes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

beforeAll(async () => {
  await sg.init();
});
afterAll(() => sg.dispose());

const f32 = (values: number[], shape: number[]) => sg.tensor(values, shape);
const i32 = (values: number[], shape = [values.length]) => sg.tensor(values, shape, { dtype: 'i32' });
const logits23 = () => f32([0.1, 0.5, -0.3, 1.2, 0.2, 0.7], [2, 3]);

describe('crossEntropy: labels', () => {
  it('rejects a label >= C', () => {
    expect(() => sg.crossEntropy(logits23(), i32([0, 3]))).toThrow(/crossEntropy: target has label 3 at index 1, outside \[0, 3\)/);
  });
  it('rejects a negative label that is not the ignore index', () => {
    expect(() => sg.crossEntropy(logits23(), i32([-1, 2]))).toThrow(/label -1 at index 0.*not the ignore index -100/);
  });
  it('accepts the ignore index, including a custom one', async () => {
    expect(await sg.crossEntropy(logits23(), i32([-100, 2])).item()).toBeGreaterThan(0);
    expect(() => sg.crossEntropy(logits23(), i32([7, 2]), { ignoreIndex: 7 })).not.toThrow();
  });
  it('a label computed on the GPU (not known on the host): the read throws naming it; its row is NaN, never an index', async () => {
    // reshape twice: the target is no longer a source tensor with known values.
    const bad = sg.reshape(sg.reshape(i32([1, 99]), [1, 2]), [2]);
    await expect(sg.crossEntropy(logits23(), bad, { reduction: 'none' }).data()).rejects.toThrow(
      /crossEntropy: target 99 \(row 1\) is out of range: class indices must be in \[0, 3\)/);
    // The values the kernels computed, kept by a compiled plan's history.
    const plan = await sg.compile((y) => ({
      rows: sg.crossEntropy(logits23(), y, { reduction: 'none' }),
      mean: sg.crossEntropy(logits23(), y),
      g: sg.grad((z) => sg.crossEntropy(z, y, { reduction: 'sum' }))(logits23())[0],
    }), { inputs: [{ shape: [2], dtype: 'i32', name: 'y' }] });
    plan.run([1, 99]);
    await expect(plan.flush()).rejects.toThrow(sg.IndexOutOfRangeError);
    const { rows, mean, g: gv } = plan.history[0].values;
    expect(Number.isFinite(rows[0])).toBe(true);
    expect(Number.isNaN(rows[1])).toBe(true);
    expect(Number.isNaN(mean[0])).toBe(true);
    expect(Array.from(gv.slice(0, 3)).every(Number.isFinite)).toBe(true);
    expect(Array.from(gv.slice(3)).every(Number.isNaN)).toBe(true);
    plan.dispose();
  });
});

describe('crossEntropy: shapes and dtypes', () => {
  it('rejects a target of the wrong dtype', () => {
    expect(() => sg.crossEntropy(logits23(), f32([0, 1], [2]))).toThrow(
      /crossEntropy: class-probability target tensor #\d+ \[2\] f32 must have the shape of logits tensor #\d+ \[2, 3\] f32 \(or give class indices as i32 \[2\]\)/);
  });
  it('rejects a target of the wrong length', () => {
    expect(() => sg.crossEntropy(logits23(), i32([0, 1, 2]))).toThrow(/expected target shape \[2\]/);
  });
  it('rejects a [N, C, d] target that does not match', () => {
    const z = sg.tensor(new Float32Array(12), [2, 3, 2]);
    expect(() => sg.crossEntropy(z, i32([0, 1], [2]))).toThrow(/expected target shape \[2, 2\]/);
  });
  it('rejects class weights of the wrong size', () => {
    expect(() => sg.crossEntropy(logits23(), i32([0, 1]), { weight: f32([1, 2], [2]) })).toThrow(/weight must be f32 \[3\]/);
  });
  it('rejects i32 logits, a bad reduction and a bad label smoothing', () => {
    expect(() => sg.crossEntropy(i32([0, 1, 2, 0, 1, 2], [2, 3]), i32([0, 1]))).toThrow(/logits must be f32/);
    expect(() => sg.crossEntropy(logits23(), i32([0, 1]), { reduction: 'avg' as never })).toThrow(/reduction must be 'mean', 'sum' or 'none'/);
    expect(() => sg.crossEntropy(logits23(), i32([0, 1]), { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be in \[0, 1\]/);
  });
});

describe('known values (torch.nn.functional)', () => {
  it('cross_entropy with weights, ignore_index and label smoothing', async () => {
    // Values from the formula torch documents and implements:
    // (1-ε)·nll + (ε/C)·Σ_c w_c·(-log p_c), mean divided by Σ w_t of the non-ignored targets.
    const z = f32([1, 2, 3, 0.5, -1, 0], [2, 3]);
    const t = i32([2, 0]);
    const plain = await sg.crossEntropy(z, t).item();
    const lp = (row: number[], c: number) => row[c] - Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    const r0 = [1, 2, 3];
    const r1 = [0.5, -1, 0];
    expect(plain).toBeCloseTo((-lp(r0, 2) - lp(r1, 0)) / 2, 5);
    const w = [0.5, 2, 1];
    const eps = 0.1;
    const smooth = (row: number[]) => w.reduce((s, wc, c) => s - wc * lp(row, c), 0);
    const l0 = (1 - eps) * w[2] * -lp(r0, 2) + (eps / 3) * smooth(r0);
    const l1 = (1 - eps) * w[0] * -lp(r1, 0) + (eps / 3) * smooth(r1);
    const got = await sg.crossEntropy(z, t, { weight: f32(w, [3]), labelSmoothing: eps }).item();
    expect(got).toBeCloseTo((l0 + l1) / (w[2] + w[0]), 5);
    const ignored = await sg.crossEntropy(z, i32([2, -100]), { weight: f32(w, [3]), labelSmoothing: eps }).item();
    expect(ignored).toBeCloseTo(l0 / w[2], 5);
  });
  it('binary_cross_entropy_with_logits stays finite for |x| = 1e4', async () => {
    const v = await sg.binaryCrossEntropyWithLogits(f32([1e4, -1e4], [2]), f32([0, 1], [2]), { reduction: 'none' }).data();
    expect(v[0]).toBeCloseTo(1e4, 0);
    expect(v[1]).toBeCloseTo(1e4, 0);
  });
});

describe('fused kernels against their composite fallback', () => {
  it('crossEntropy (with label smoothing) equals log-softmax + NLL built from elementwise ops and reductions', async () => {
    const N = 5;
    const C = 4;
    const zv = [0.3, -1.2, 2.2, 0.1, 1.5, 0.4, -0.7, 0.9, -2, 0.6, 0.25, 1.1, 0.8, 0.8, -0.1, 3, -0.5, 1.7, 0.2, -1.1];
    const labels = [3, 0, 1, 1, 2];
    const onehot = f32(labels.flatMap((t) => Array.from({ length: C }, (_, c) => (c === t ? 1 : 0))), [N, C]);
    const eps = 0.1;
    const composite = (z: sg.Tensor) => {
      const m = sg.max(z, 1, true);
      const logp = sg.sub(z, sg.add(sg.log(sg.sum(sg.exp(sg.sub(z, m)), 1, true)), m));
      const nll = sg.neg(sg.sum(sg.mul(logp, onehot), 1));
      const uniform = sg.neg(sg.sum(logp, 1));
      return sg.mean(sg.add(sg.scale(nll, 1 - eps), sg.scale(uniform, eps / C)));
    };
    const [vf, [gf]] = await sg.valueAndGrad((z) => sg.crossEntropy(z, i32(labels), { labelSmoothing: eps }))(f32(zv, [N, C]));
    const [vc, [gc]] = await sg.valueAndGrad(composite)(f32(zv, [N, C]));
    expect(await vf.item()).toBeCloseTo(await vc.item(), 5);
    const [a, b] = await sg.read(gf, gc);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
  });
});

describe('other losses: shapes and dtypes', () => {
  it('mse / l1 / huber reject shape mismatches and i32 targets', () => {
    const a = f32([1, 2, 3], [3]);
    expect(() => sg.mseLoss(a, f32([1, 2], [2]))).toThrow(/mseLoss: input .* and target .* must have the same shape/);
    expect(() => sg.l1Loss(a, f32([1, 2, 3, 4], [1, 4]))).toThrow(/l1Loss: .*same shape/);
    expect(() => sg.huberLoss(a, i32([1, 2, 3]))).toThrow(/huberLoss: target must be f32/);
    expect(() => sg.huberLoss(a, a, { delta: 0 })).toThrow(/delta must be a positive number/);
  });
  it('binaryCrossEntropyWithLogits rejects mismatched targets and posWeight', () => {
    const x = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => sg.binaryCrossEntropyWithLogits(x, f32([1, 0, 1], [3]))).toThrow(/target .* must have the shape of logits/);
    expect(() => sg.binaryCrossEntropyWithLogits(x, x, { posWeight: f32([1, 2], [2]) })).toThrow(/posWeight/);
    expect(() => sg.binaryCrossEntropyWithLogits(x, i32([1, 0, 1, 0, 1, 0], [2, 3]))).toThrow(/target .* must be f32/);
  });
  it('clipLoss and cosineSimilarityMatrix reject mismatched embeddings', () => {
    const a = sg.tensor(new Float32Array(6).fill(1), [2, 3]);
    const b = sg.tensor(new Float32Array(8).fill(1), [2, 4]);
    expect(() => sg.cosineSimilarityMatrix(a, b)).toThrow(/same row length D/);
    expect(() => sg.clipLoss(a, b, f32([0], []))).toThrow(/clipLoss: imageEmb .* and textEmb .* must both be \[N, D\]/);
    expect(() => sg.clipLoss(a, a, f32([0, 1], [2]))).toThrow(/logTemperature must have one element/);
  });
});

describe('metrics: labels, shapes and dtypes', () => {
  it('accuracy and confusionMatrix reject bad targets', () => {
    expect(() => sg.accuracy(logits23(), f32([0, 1], [2]))).toThrow(/accuracy: target must hold class indices as i32/);
    expect(() => sg.accuracy(logits23(), i32([0, 1, 1]))).toThrow(/accuracy: target \[3\] must be \[2\]/);
    expect(() => sg.confusionMatrix(logits23(), i32([0, 3]), 3)).toThrow(/confusionMatrix: target has label 3 at index 1, outside \[0, 3\)/);
    expect(() => sg.confusionMatrix(i32([0, 5]), i32([0, 1]), 3)).toThrow(/predictions has label 5/);
    expect(() => sg.confusionMatrix(logits23(), i32([0, 1]), 4)).toThrow(/have 3 classes, numClasses is 4/);
  });
  it('confusionMatrix skips GPU-computed labels out of range instead of writing out of bounds', async () => {
    const t = sg.reshape(sg.reshape(i32([2, 9]), [1, 2]), [2]);
    // Row 0: true 2, predicted 1 (argmax of [0.1, 0.5, -0.3]); row 1's target 9 is skipped.
    const cm = await sg.confusionMatrix(logits23(), t, 3).data();
    expect(Array.from(cm)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0]);
  });
  it('accuracy counts argmax hits with ties to the lowest index', async () => {
    const z = f32([1, 1, 0, 0, 2, 2], [2, 3]);
    expect(await sg.accuracy(z, i32([0, 1])).item()).toBe(1);
    expect(await sg.accuracy(z, i32([1, 2])).item()).toBe(0);
  });
});
