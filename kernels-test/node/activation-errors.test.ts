// Bad input to the activation, softmax and layerNorm families: each error names the op, the argument,
// the tensor and the shapes involved. Also a few values checked against PyTorch's documented numbers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

beforeAll(async () => {
  await sg.init();
});
afterAll(() => sg.dispose());

describe('activation errors', () => {
  it('rejects integer tensors, naming the tensor', () => {
    const i = sg.tensor(new Int32Array([1, -2, 3]), [3], { name: 'ids' });
    expect(() => sg.leakyRelu(i)).toThrow(/shadergrad: leakyRelu: x must be f32, got tensor 'ids' \[3\] i32/);
    expect(() => sg.gelu(i)).toThrow(/shadergrad: gelu: x must be f32/);
    expect(() => sg.silu(i)).toThrow(/shadergrad: silu: x must be f32/);
  });

  it('rejects bad parameters', () => {
    const x = sg.tensor([1, 2], [2]);
    expect(() => sg.gelu(x, { approximate: 'erf' as 'none' })).toThrow(/gelu: approximate must be 'none' or 'tanh', got "erf"/);
    expect(() => sg.softplus(x, { beta: 0 })).toThrow(/softplus: beta must not be 0/);
    expect(() => sg.softplus(x, { threshold: NaN })).toThrow(/softplus: threshold must be a finite number, got NaN/);
    expect(() => sg.leakyRelu(x, Infinity)).toThrow(/leakyRelu: negativeSlope must be a finite number/);
    expect(() => sg.elu(x, NaN)).toThrow(/elu: alpha must be a finite number/);
  });

  it('matches PyTorch at known points', async () => {
    const x = sg.tensor([-1, 0.5, 2], [3]);
    // torch.nn.functional.gelu(tensor([-1., .5, 2.])) = [-0.1587, 0.3457, 1.9545]
    const g = await sg.gelu(x).data();
    expect(Array.from(g).map((v) => +v.toFixed(4))).toEqual([-0.1587, 0.3457, 1.9545]);
    // softplus(x) with beta 1, threshold 1: x = 2 > 1 is returned as is
    const s = await sg.softplus(x, { threshold: 1 }).data();
    expect(s[2]).toBe(2);
    expect(s[0]).toBeCloseTo(Math.log1p(Math.exp(-1)), 6);
  });
});

describe('softmax errors', () => {
  it('rejects an axis out of range, naming the rank', () => {
    const x = sg.tensor(new Float32Array(6), [2, 3]);
    expect(() => sg.softmax(x, 2)).toThrow(/shadergrad: softmax: axis 2 is out of range for a tensor of rank 2/);
    expect(() => sg.logSoftmax(x, -3)).toThrow(/shadergrad: logSoftmax: axis -3 is out of range for a tensor of rank 2/);
    expect(() => sg.softmax(x, 0.5)).toThrow(/axis 0.5 is out of range/);
  });

  it('rejects integer tensors', () => {
    const i = sg.tensor(new Int32Array([1, 2]), [2], { name: 'labels' });
    expect(() => sg.softmax(i)).toThrow(/shadergrad: softmax: x must be f32, got tensor 'labels' \[2\] i32/);
  });

  it('sums to one and does not overflow on logits of 1e4', async () => {
    const y = await sg.softmax(sg.tensor([1e4, 1e4, -1e4, 1e4 - 1], [4])).data();
    expect(Array.from(y).every(Number.isFinite)).toBe(true);
    expect(y[0] + y[1] + y[2] + y[3]).toBeCloseTo(1, 6);
    expect(y[2]).toBe(0);
  });
});

describe('layerNorm errors', () => {
  const x = () => sg.tensor(new Float32Array(24).map((_, i) => i), [2, 3, 4], { name: 'h' });

  it('rejects a normalizedShape that is not the trailing dims of x', () => {
    expect(() => sg.layerNorm(x(), [3])).toThrow(
      /shadergrad: layerNorm: normalizedShape \[3\] does not match the trailing dimensions of x, tensor 'h' \[2, 3, 4\] f32 \(its last 1 dimension is \[4\]\)/,
    );
    expect(() => sg.layerNorm(x(), [4, 3])).toThrow(/normalizedShape \[4, 3\] does not match .*\(its last 2 dimensions are \[3, 4\]\)/);
    expect(() => sg.layerNorm(x(), [1, 2, 3, 4])).toThrow(/normalizedShape \[1, 2, 3, 4\] does not match the trailing dimensions/);
    expect(() => sg.layerNorm(x(), [])).toThrow(/layerNorm: normalizedShape must be a non-empty list of sizes, got \[\]/);
    expect(() => sg.layerNorm(x(), [2.5])).toThrow(/normalizedShape must be a non-empty list of sizes, got \[2.5\]/);
  });

  it('rejects weight and bias of the wrong shape, naming them', () => {
    const w = sg.tensor(new Float32Array(3), [3], { name: 'gamma' });
    const b = sg.tensor(new Float32Array(12), [12], { name: 'beta' });
    expect(() => sg.layerNorm(x(), [4], w)).toThrow(
      /shadergrad: layerNorm: weight tensor 'gamma' \[3\] f32 must have shape normalizedShape \[4\]/,
    );
    expect(() => sg.layerNorm(x(), [3, 4], null, b)).toThrow(
      /shadergrad: layerNorm: bias tensor 'beta' \[12\] f32 must have shape normalizedShape \[3, 4\]/,
    );
  });

  it('rejects integer inputs and a bad eps', () => {
    const i = sg.tensor(new Int32Array(4), [4], { name: 'ids' });
    expect(() => sg.layerNorm(i, [4])).toThrow(/layerNorm: x must be f32, got tensor 'ids' \[4\] i32/);
    expect(() => sg.layerNorm(x(), [4], null, null, -1)).toThrow(/layerNorm: eps must be a finite number >= 0, got -1/);
  });

  it('returns mean 0 and biased variance 1 per row', async () => {
    const y = await sg.layerNorm(x(), [3, 4], null, null, 0).data();
    for (let r = 0; r < 2; r++) {
      const row = Array.from(y.slice(r * 12, r * 12 + 12));
      const m = row.reduce((a, v) => a + v, 0) / 12;
      const v = row.reduce((a, u) => a + (u - m) ** 2, 0) / 12;
      expect(Math.abs(m)).toBeLessThan(1e-6);
      expect(v).toBeCloseTo(1, 5);
    }
  });
});
